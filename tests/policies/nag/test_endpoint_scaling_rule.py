"""AiFinOps-SM1: scalable targets found by reference (variant or inference component) in the same stack."""

from __future__ import annotations

from types import SimpleNamespace

import aws_cdk as cdk
import pytest
from aws_cdk import aws_applicationautoscaling as appscaling
from aws_cdk import aws_sagemaker as sagemaker

from aifinops.constructs import CostTags, GpuInferenceEndpoint
from aifinops.policies.nag.rule import Outcome
from aifinops.policies.nag.rules.endpoint_scaling import RULE
from tests.policies.nag.conftest import DEV_TAGS, PROD_TAGS, Cases, tag

VARIANT_DIMENSION = "sagemaker:variant:DesiredInstanceCount"
SCHEDULE = [appscaling.CfnScalableTarget.ScheduledActionProperty(
    scheduled_action_name="night", schedule="cron(0 19 ? * MON-FRI *)",
    scalable_target_action=appscaling.CfnScalableTarget.ScalableTargetActionProperty(min_capacity=1, max_capacity=1))]


def _endpoint(stack: cdk.Stack, name: str, tags: dict[str, str]) -> sagemaker.CfnEndpoint:
    node = sagemaker.CfnEndpoint(stack, name, endpoint_config_name="config")
    tag(node, tags)
    return node


def _variant_target(stack: cdk.Stack, endpoint: sagemaker.CfnEndpoint, min_capacity: float,
                    actions: list[appscaling.CfnScalableTarget.ScheduledActionProperty] | None = None,
                    ) -> appscaling.CfnScalableTarget:
    resource_id = cdk.Fn.join("", ["endpoint/", endpoint.attr_endpoint_name, "/variant/AllTraffic"])
    return appscaling.CfnScalableTarget(stack, f"{endpoint.node.id}Target", service_namespace="sagemaker",
                                        resource_id=resource_id, scalable_dimension=VARIANT_DIMENSION,
                                        min_capacity=min_capacity, max_capacity=2, scheduled_actions=actions)


@pytest.fixture(scope="module")
def nodes(cases: Cases) -> SimpleNamespace:
    stack = cases.stack("Scaling")
    n = SimpleNamespace()
    n.fixed_dev = _endpoint(stack, "FixedDev", DEV_TAGS)
    _variant_target(stack, n.fixed_dev, 1)
    n.scheduled_dev = _endpoint(stack, "ScheduledDev", DEV_TAGS)
    _variant_target(stack, n.scheduled_dev, 1, SCHEDULE)
    n.unscaled_prod = _endpoint(stack, "UnscaledProd", PROD_TAGS)
    n.scaled_prod = _endpoint(stack, "ScaledProd", PROD_TAGS)
    _variant_target(stack, n.scaled_prod, 1)
    n.token_min_dev = _endpoint(stack, "TokenMinDev", DEV_TAGS)
    _variant_target(stack, n.token_min_dev, cdk.CfnParameter(stack, "Min", type="Number").value_as_number)
    # The project's own construct: an inference component scaled by a literal ResourceId, down to zero.
    tags = CostTags(team="search", project="ranker", model="llama-3-1-8b-custom", environment="dev",
                    task_type="generation")
    construct = GpuInferenceEndpoint(stack, "Ranker", cost_tags=tags, environment=cases.config.environments["dev"],
                                     instance_type="ml.g5.xlarge", max_instances=2,
                                     image_uri="111111111111.dkr.ecr.us-east-1.amazonaws.com/llm:1")
    n.construct = construct.endpoint
    n.endpoint_config = construct.endpoint_config
    opaque = cases.stack("OpaqueScaling")
    n.opaque_dev = _endpoint(opaque, "OpaqueDev", DEV_TAGS)
    appscaling.CfnScalableTarget(opaque, "Target", service_namespace="sagemaker", min_capacity=1, max_capacity=2,
                                 resource_id=cdk.Fn.import_value("shared-resource-id"),
                                 scalable_dimension=VARIANT_DIMENSION)
    cases.synth()
    return n


def test_scale_to_zero_and_scheduled_scale_down_comply_outside_production(
        cases: Cases, nodes: SimpleNamespace) -> None:
    assert cases.verdict(RULE, nodes.construct).reason == "scales to zero (dev)"
    assert cases.verdict(RULE, nodes.scheduled_dev).reason == "scales down on a schedule (dev)"


def test_production_needs_auto_scaling_only(cases: Cases, nodes: SimpleNamespace) -> None:
    assert cases.verdict(RULE, nodes.scaled_prod).outcome is Outcome.COMPLIANT
    verdict = cases.verdict(RULE, nodes.unscaled_prod)
    assert verdict.outcome is Outcome.NON_COMPLIANT and "no scalable target" in verdict.reason


def test_a_dev_endpoint_that_never_scales_down_fails(cases: Cases, nodes: SimpleNamespace) -> None:
    verdict = cases.verdict(RULE, nodes.fixed_dev)
    assert verdict.outcome is Outcome.NON_COMPLIANT and "never goes below 1" in verdict.reason


def test_other_resources_are_not_judged(cases: Cases, nodes: SimpleNamespace) -> None:
    assert cases.verdict(RULE, nodes.endpoint_config).outcome is Outcome.NOT_APPLICABLE


def test_unresolved_values_are_not_guessed(cases: Cases, nodes: SimpleNamespace) -> None:
    verdict = cases.verdict(RULE, nodes.token_min_dev)
    assert verdict.outcome is Outcome.COMPLIANT and "unresolved" in verdict.reason
    verdict = cases.verdict(RULE, nodes.opaque_dev)
    assert verdict.outcome is Outcome.NOT_APPLICABLE and "unresolved" in verdict.reason
