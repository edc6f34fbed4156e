"""AiFinOps-ACC1: accelerated types against the environment named by the `environment` tag."""

from __future__ import annotations

from types import SimpleNamespace

import aws_cdk as cdk
import pytest
from aws_cdk import aws_batch as batch
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_sagemaker as sagemaker

from aifinops.policies.nag.rule import Outcome
from aifinops.policies.nag.rules.accelerator_types import RULE
from tests.policies.nag.conftest import DEV_TAGS, PROD_TAGS, Cases, tag

AMI = "ami-12345678"


def _instance(stack: cdk.Stack, name: str, instance_type: str, tags: dict[str, str] | None) -> ec2.CfnInstance:
    node = ec2.CfnInstance(stack, name, instance_type=instance_type, image_id=AMI)
    if tags:
        tag(node, tags)
    return node


@pytest.fixture(scope="module")
def nodes(cases: Cases) -> SimpleNamespace:
    stack = cases.stack("Types")
    n = SimpleNamespace()
    n.g5_dev = _instance(stack, "G5Dev", "g5.xlarge", DEV_TAGS)
    n.p5_dev = _instance(stack, "P5Dev", "p5.48xlarge", DEV_TAGS)
    n.p5_prod = _instance(stack, "P5Prod", "p5.48xlarge", PROD_TAGS)
    n.cpu_dev = _instance(stack, "CpuDev", "m5.large", DEV_TAGS)
    n.untagged = _instance(stack, "Untagged", "p5.48xlarge", None)
    n.token = _instance(stack, "Token", cdk.CfnParameter(stack, "Type").value_as_string, DEV_TAGS)
    variant = sagemaker.CfnEndpointConfig.ProductionVariantProperty
    n.endpoint_config = sagemaker.CfnEndpointConfig(stack, "EndpointConfig", production_variants=[
        variant(variant_name="A", model_name="m", instance_type="ml.g5.xlarge", initial_instance_count=1),
        variant(variant_name="B", model_name="m", instance_type="ml.p5.48xlarge", initial_instance_count=1)])
    tag(n.endpoint_config, DEV_TAGS)
    n.notebook = sagemaker.CfnNotebookInstance(stack, "Notebook", instance_type="ml.g5.xlarge",
                                               role_arn="arn:aws:iam::222222222222:role/nb")
    tag(n.notebook, DEV_TAGS)
    # The types an escape hatch sets are the types that deploy (GpuTrainingQueue does this).
    n.compute = batch.CfnComputeEnvironment(stack, "Compute", type="MANAGED", compute_resources=(
        batch.CfnComputeEnvironment.ComputeResourcesProperty(type="SPOT", maxv_cpus=8, subnets=["subnet-1"],
                                                             instance_types=["g5.xlarge"])))
    n.compute.add_property_override("ComputeResources.InstanceTypes", ["g5", "g6e.xlarge", "optimal"])
    tag(n.compute, DEV_TAGS)
    cases.synth()
    return n


def test_allowed_types_comply(cases: Cases, nodes: SimpleNamespace) -> None:
    assert cases.verdict(RULE, nodes.g5_dev).outcome is Outcome.COMPLIANT
    assert cases.verdict(RULE, nodes.p5_prod).outcome is Outcome.COMPLIANT
    assert cases.verdict(RULE, nodes.notebook).outcome is Outcome.COMPLIANT


def test_a_type_outside_the_environment_is_named(cases: Cases, nodes: SimpleNamespace) -> None:
    verdict = cases.verdict(RULE, nodes.p5_dev)
    assert verdict.outcome is Outcome.NON_COMPLIANT
    assert verdict.reason.startswith("p5.48xlarge not allowed in dev")


def test_every_variant_of_an_endpoint_config_is_checked(cases: Cases, nodes: SimpleNamespace) -> None:
    verdict = cases.verdict(RULE, nodes.endpoint_config)
    assert verdict.outcome is Outcome.NON_COMPLIANT
    assert "ml.p5.48xlarge" in verdict.reason and "ml.g5.xlarge" not in verdict.reason.split(" not allowed")[0]


def test_batch_types_are_read_as_synthesized_overrides_included(cases: Cases, nodes: SimpleNamespace) -> None:
    verdict = cases.verdict(RULE, nodes.compute)
    assert verdict.outcome is Outcome.NON_COMPLIANT
    assert verdict.reason.startswith("g6e.xlarge not allowed in dev")


def test_cpu_types_and_untagged_resources_are_not_judged(cases: Cases, nodes: SimpleNamespace) -> None:
    assert cases.verdict(RULE, nodes.cpu_dev).outcome is Outcome.NOT_APPLICABLE
    verdict = cases.verdict(RULE, nodes.untagged)
    assert verdict.outcome is Outcome.NOT_APPLICABLE and "AiFinOps-TAG1" in verdict.reason


def test_an_unresolved_type_is_not_guessed(cases: Cases, nodes: SimpleNamespace) -> None:
    assert cases.verdict(RULE, nodes.token).outcome is Outcome.NOT_APPLICABLE
