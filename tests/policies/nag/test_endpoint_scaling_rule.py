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


_SERVERLESS = sagemaker.CfnEndpointConfig.ServerlessConfigProperty(max_concurrency=5, memory_size_in_mb=2048)
UP_ONLY = [appscaling.CfnScalableTarget.ScheduledActionProperty(
    scheduled_action_name="morning", schedule="cron(0 8 ? * MON-FRI *)",
    scalable_target_action=appscaling.CfnScalableTarget.ScalableTargetActionProperty(min_capacity=4))]
FLOOR_DOWN = [appscaling.CfnScalableTarget.ScheduledActionProperty(
    scheduled_action_name="night", schedule="cron(0 19 ? * MON-FRI *)",
    scalable_target_action=appscaling.CfnScalableTarget.ScalableTargetActionProperty(min_capacity=1))]


def _on_config(stack: cdk.Stack, name: str,
               serverless: sagemaker.CfnEndpointConfig.ServerlessConfigProperty) -> sagemaker.CfnEndpoint:
    """A dev endpoint without any scalable target, on a config whose only variant has `serverless`."""
    config = sagemaker.CfnEndpointConfig(stack, f"{name}Config", production_variants=[
        sagemaker.CfnEndpointConfig.ProductionVariantProperty(variant_name="AllTraffic", model_name="m",
                                                              serverless_config=serverless)])
    node = sagemaker.CfnEndpoint(stack, name, endpoint_config_name=config.attr_endpoint_config_name)
    tag(node, DEV_TAGS)
    return node


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
    review = cases.stack("ReviewScaling")
    n.serverless = _on_config(review, "Serverless", _SERVERLESS)
    n.provisioned = _on_config(review, "Provisioned", sagemaker.CfnEndpointConfig.ServerlessConfigProperty(
        max_concurrency=5, memory_size_in_mb=2048, provisioned_concurrency=2))
    n.text_min = _endpoint(review, "TextMin", DEV_TAGS)
    _variant_target(review, n.text_min, 1).add_property_override("MinCapacity", "1")
    n.text_zero = _endpoint(review, "TextZero", DEV_TAGS)
    _variant_target(review, n.text_zero, 1).add_property_override("MinCapacity", "0")
    n.scale_up = _endpoint(review, "ScaleUp", DEV_TAGS)
    _variant_target(review, n.scale_up, 1, UP_ONLY)
    n.floor_lowered = _endpoint(review, "FloorLowered", DEV_TAGS)
    _variant_target(review, n.floor_lowered, 2, FLOOR_DOWN).add_property_override("MaxCapacity", 4)
    n.sub_list = _endpoint(review, "SubList", DEV_TAGS)
    appscaling.CfnScalableTarget(review, "SubListTarget", service_namespace="sagemaker", min_capacity=1,
                                 max_capacity=2, scalable_dimension=VARIANT_DIMENSION, resource_id=cdk.Fn.sub(
                                     "endpoint/${Name}/variant/AllTraffic", {"Name": n.sub_list.attr_endpoint_name}))
    parameter = cases.stack("ParameterScaling")
    n.parameter_dev = _endpoint(parameter, "ParameterDev", DEV_TAGS)
    appscaling.CfnScalableTarget(parameter, "Target", service_namespace="sagemaker", min_capacity=1, max_capacity=2,
                                 resource_id=cdk.CfnParameter(parameter, "ResourceId").value_as_string,
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


def test_a_serverless_endpoint_scales_to_zero_without_a_target(cases: Cases, nodes: SimpleNamespace) -> None:
    verdict = cases.verdict(RULE, nodes.serverless)
    assert verdict.outcome is Outcome.COMPLIANT and "serverless" in verdict.reason
    # provisioned concurrency bills while idle: it needs scaling like a classic variant
    verdict = cases.verdict(RULE, nodes.provisioned)
    assert verdict.outcome is Outcome.NON_COMPLIANT and "no scalable target" in verdict.reason


def test_capacities_written_as_text_are_numbers(cases: Cases, nodes: SimpleNamespace) -> None:
    verdict = cases.verdict(RULE, nodes.text_min)
    assert verdict.outcome is Outcome.NON_COMPLIANT and "never goes below 1" in verdict.reason
    assert cases.verdict(RULE, nodes.text_zero).reason == "scales to zero (dev)"


def test_only_a_schedule_that_lowers_capacity_counts(cases: Cases, nodes: SimpleNamespace) -> None:
    verdict = cases.verdict(RULE, nodes.scale_up)
    assert verdict.outcome is Outcome.NON_COMPLIANT and "never goes below 1" in verdict.reason
    assert cases.verdict(RULE, nodes.floor_lowered).reason == "scales down on a schedule (dev)"


def test_a_resource_id_in_fn_sub_list_form_is_read(cases: Cases, nodes: SimpleNamespace) -> None:
    verdict = cases.verdict(RULE, nodes.sub_list)
    assert verdict.outcome is Outcome.NON_COMPLIANT and "never goes below 1" in verdict.reason


def test_a_resource_id_from_a_parameter_is_not_guessed(cases: Cases, nodes: SimpleNamespace) -> None:
    verdict = cases.verdict(RULE, nodes.parameter_dev)
    assert verdict.outcome is Outcome.NOT_APPLICABLE and "unresolved" in verdict.reason
