"""AiFinOps-IMD1 and AiFinOps-SNS2 on what the CDK really renders: an ec2.Instance with and without
``require_imdsv2`` (CloudFormation puts the options in a launch template the instance names), raw launch
templates, and the pack's own topics."""

from __future__ import annotations

from types import SimpleNamespace

import aws_cdk as cdk
import pytest
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_sns as sns

from aifinops.constructs.budget_topic import BudgetTopic
from aifinops.constructs.pack_topic import mark_pack_topic
from aifinops.policies.nag.rule import Outcome
from aifinops.policies.nag.rules import imds, pack_topics
from tests.policies.nag.conftest import DEV_TAGS, Cases, tag

IMAGE = ec2.MachineImage.generic_linux({"us-east-1": "ami-12345678"})


def _cfn(construct: object) -> cdk.CfnResource:
    child = construct.node.default_child  # type: ignore[attr-defined]
    assert isinstance(child, cdk.CfnResource)
    return child


@pytest.fixture(scope="module")
def nodes(cases: Cases) -> SimpleNamespace:
    stack = cases.stack("Imds")
    vpc = ec2.Vpc(stack, "Vpc", max_azs=1, nat_gateways=0,
                  subnet_configuration=[ec2.SubnetConfiguration(name="p", subnet_type=ec2.SubnetType.PUBLIC)])
    n = SimpleNamespace()
    gpu = ec2.InstanceType("g5.xlarge")
    n.v2 = _cfn(ec2.Instance(stack, "GpuV2", vpc=vpc, instance_type=gpu, machine_image=IMAGE, require_imdsv2=True))
    n.v1 = _cfn(ec2.Instance(stack, "GpuV1", vpc=vpc, instance_type=gpu, machine_image=IMAGE))
    n.cpu = _cfn(ec2.Instance(stack, "Cpu", vpc=vpc, instance_type=ec2.InstanceType("m5.large"), machine_image=IMAGE))
    n.template_v1 = _cfn(ec2.LaunchTemplate(stack, "TemplateV1", instance_type=ec2.InstanceType("p5.48xlarge")))
    n.template_v2 = _cfn(ec2.LaunchTemplate(stack, "TemplateV2", instance_type=ec2.InstanceType("p5.48xlarge"),
                                            require_imdsv2=True))
    n.raw = ec2.CfnInstance(stack, "Raw", instance_type="p4d.24xlarge", image_id="ami-12345678")
    n.raw.add_property_override("LaunchTemplate", {"LaunchTemplateId": "lt-0123456789abcdef0", "Version": "1"})
    for node in (n.v2, n.v1, n.template_v1, n.template_v2, n.raw):
        tag(node, DEV_TAGS)
    topics = cases.stack("PackTopics")
    n.budget_topic = _cfn(BudgetTopic(topics, "Budgets").topic)
    plain = sns.Topic(topics, "Plain", topic_name="renamed-alerts")
    mark_pack_topic(plain, "Test")
    n.plain_pack_topic = _cfn(plain)
    n.user_topic = _cfn(sns.Topic(topics, "User"))
    cases.synth()
    return n


@pytest.mark.parametrize(("name", "outcome"), [
    ("v2", Outcome.COMPLIANT), ("v1", Outcome.NON_COMPLIANT), ("cpu", Outcome.NOT_APPLICABLE),
    ("template_v1", Outcome.NON_COMPLIANT), ("template_v2", Outcome.COMPLIANT), ("raw", Outcome.NOT_APPLICABLE)])
def test_imdsv2_is_required_on_accelerated_instances(cases: Cases, nodes: SimpleNamespace, name: str,
                                                     outcome: Outcome) -> None:
    assert cases.verdict(imds.RULE, getattr(nodes, name)).outcome is outcome


def test_an_instance_allowing_imdsv1_is_told_the_fix(cases: Cases, nodes: SimpleNamespace) -> None:
    assert "require_imdsv2=True" in cases.verdict(imds.RULE, nodes.v1).reason


@pytest.mark.parametrize(("name", "outcome"), [
    ("budget_topic", Outcome.COMPLIANT), ("plain_pack_topic", Outcome.NON_COMPLIANT),
    ("user_topic", Outcome.NOT_APPLICABLE)])
def test_the_pack_topics_are_encrypted(cases: Cases, nodes: SimpleNamespace, name: str, outcome: Outcome) -> None:
    assert cases.verdict(pack_topics.RULE, getattr(nodes, name)).outcome is outcome
