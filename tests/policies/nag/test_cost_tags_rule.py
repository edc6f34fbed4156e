"""AiFinOps-TAG1 on synthesized L1s: AI resource types, accelerated EC2, launch template instance tags."""

from __future__ import annotations

from types import SimpleNamespace

import aws_cdk as cdk
import pytest
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_sagemaker as sagemaker
from aws_cdk import aws_sqs as sqs

from aifinops.policies.nag.rule import Outcome
from aifinops.policies.nag.rules.cost_tags import RULE
from tests.policies.nag.conftest import DEV_TAGS, Cases, tag

ROLE = "arn:aws:iam::222222222222:role/sm"


def _model(stack: cdk.Stack, name: str) -> sagemaker.CfnModel:
    return sagemaker.CfnModel(stack, name, execution_role_arn=ROLE)


def _launch_template(stack: cdk.Stack, name: str, tags: dict[str, str]) -> ec2.CfnLaunchTemplate:
    """Accelerated, with its instance tags split over two instance tag specifications around a volume one."""
    items = [cdk.CfnTag(key=k, value=v) for k, v in tags.items()]
    specs = [ec2.CfnLaunchTemplate.TagSpecificationProperty(resource_type=kind, tags=part)
             for kind, part in (("instance", items[:2]), ("volume", items), ("instance", items[2:]))]
    return ec2.CfnLaunchTemplate(stack, name, launch_template_data=ec2.CfnLaunchTemplate.LaunchTemplateDataProperty(
        instance_type="g5.xlarge", tag_specifications=specs))


@pytest.fixture(scope="module")
def nodes(cases: Cases) -> SimpleNamespace:
    stack = cases.stack("Tags")
    n = SimpleNamespace()
    n.tagged = _model(stack, "Tagged")
    tag(n.tagged, DEV_TAGS)
    n.no_team = _model(stack, "NoTeam")
    tag(n.no_team, {k: v for k, v in DEV_TAGS.items() if k != "team"})
    n.wrong_env = _model(stack, "WrongEnv")
    tag(n.wrong_env, {**DEV_TAGS, "environment": "qa"})
    n.token_value = _model(stack, "TokenValue")
    tag(n.token_value, {**DEV_TAGS, "team": cdk.CfnParameter(stack, "Team").value_as_string})
    n.token_tags = _model(stack, "TokenTags")
    n.token_tags.add_property_override("Tags", cdk.Fn.import_value("shared-tags"))
    n.cpu = ec2.CfnInstance(stack, "Cpu", instance_type="m5.large", image_id="ami-12345678")
    n.gpu = ec2.CfnInstance(stack, "Gpu", instance_type="g5.xlarge", image_id="ami-12345678")
    n.unknown_type = ec2.CfnInstance(stack, "UnknownType", image_id="ami-12345678",
                                     instance_type=cdk.CfnParameter(stack, "Type").value_as_string)
    n.queue = sqs.CfnQueue(stack, "Queue")
    # A launch template is judged by the tags it puts on its instances, not on itself.
    n.template_untagged_instances = ec2.CfnLaunchTemplate(
        stack, "UntaggedInstances", launch_template_data=ec2.CfnLaunchTemplate.LaunchTemplateDataProperty(
            instance_type="g6.xlarge"))
    tag(n.template_untagged_instances, DEV_TAGS)
    n.template_tagged_instances = ec2.CfnLaunchTemplate(
        stack, "TaggedInstances", launch_template_data=ec2.CfnLaunchTemplate.LaunchTemplateDataProperty(
            instance_type="g6.xlarge", tag_specifications=[ec2.CfnLaunchTemplate.TagSpecificationProperty(
                resource_type="instance", tags=[cdk.CfnTag(key=k, value=v) for k, v in DEV_TAGS.items()])]))
    # Tags split over several instance tag specifications are merged, as CKV_AIF_1 merges them.
    n.template_split = _launch_template(stack, "Split", DEV_TAGS)
    no_team = {k: v for k, v in DEV_TAGS.items() if k != "team"}
    n.template_split_no_team = _launch_template(stack, "SplitNoTeam", no_team)
    # An Fn::If item of the tag list: its key is present, its value decided at deployment.
    condition = cdk.CfnCondition(stack, "Training", expression=cdk.Fn.condition_equals("a", "a"))
    n.conditional_tag = _model(stack, "ConditionalTag")
    n.conditional_tag.add_property_override("Tags", [
        *({"Key": k, "Value": v} for k, v in DEV_TAGS.items() if k != "task-type"),
        cdk.Fn.condition_if(condition.logical_id, {"Key": "task-type", "Value": "training"}, cdk.Aws.NO_VALUE)])
    cases.synth()
    return n


def test_a_model_with_every_allowed_cost_tag_complies(cases: Cases, nodes: SimpleNamespace) -> None:
    assert cases.verdict(RULE, nodes.tagged).outcome is Outcome.COMPLIANT


@pytest.mark.parametrize(("name", "words"), [("no_team", "'team' is missing"),
                                              ("wrong_env", "'environment' has value 'qa'")])
def test_a_missing_or_unknown_cost_tag_is_named(cases: Cases, nodes: SimpleNamespace, name: str, words: str) -> None:
    verdict = cases.verdict(RULE, getattr(nodes, name))
    assert verdict.outcome is Outcome.NON_COMPLIANT
    assert words in verdict.reason


def test_an_accelerated_instance_needs_cost_tags_and_a_cpu_instance_does_not(
        cases: Cases, nodes: SimpleNamespace) -> None:
    assert cases.verdict(RULE, nodes.gpu).outcome is Outcome.NON_COMPLIANT
    assert cases.verdict(RULE, nodes.cpu).outcome is Outcome.NOT_APPLICABLE
    assert cases.verdict(RULE, nodes.queue).outcome is Outcome.NOT_APPLICABLE


def test_a_launch_template_is_judged_by_its_instance_tags(cases: Cases, nodes: SimpleNamespace) -> None:
    assert cases.verdict(RULE, nodes.template_untagged_instances).outcome is Outcome.NON_COMPLIANT
    assert cases.verdict(RULE, nodes.template_tagged_instances).outcome is Outcome.COMPLIANT


def test_unresolved_values_are_not_guessed(cases: Cases, nodes: SimpleNamespace) -> None:
    assert cases.verdict(RULE, nodes.token_value).outcome is Outcome.COMPLIANT  # present, value unknown
    verdict = cases.verdict(RULE, nodes.token_tags)
    assert verdict.outcome is Outcome.NOT_APPLICABLE and "unresolved" in verdict.reason
    verdict = cases.verdict(RULE, nodes.unknown_type)
    assert verdict.outcome is Outcome.NOT_APPLICABLE and "unresolved" in verdict.reason


def test_a_launch_template_merges_its_instance_tag_specifications(cases: Cases, nodes: SimpleNamespace) -> None:
    assert cases.verdict(RULE, nodes.template_split).outcome is Outcome.COMPLIANT
    verdict = cases.verdict(RULE, nodes.template_split_no_team)
    assert verdict.outcome is Outcome.NON_COMPLIANT and "'team' is missing" in verdict.reason
    assert "'project' is missing" not in verdict.reason  # found in the second specification


def test_a_conditional_tag_item_counts_as_present(cases: Cases, nodes: SimpleNamespace) -> None:
    assert cases.view(nodes.conditional_tag).properties["Tags"][-1].keys() == {"Fn::If"}  # as synthesized
    assert cases.verdict(RULE, nodes.conditional_tag).outcome is Outcome.COMPLIANT
