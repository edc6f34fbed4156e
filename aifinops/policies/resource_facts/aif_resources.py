"""The AI resource types the checks cover, where each keeps its cost tags, instance types and time limit.
Standard library only.

These lists are the one place both tools read their resource types from: the checkov checks
(`aifinops.policies.checkov`) and the cdk-nag rules (`aifinops.policies.nag.rules`);
tests/policies/nag/test_shared_facts.py pins that each rule covers the types of its check.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING or __package__:  # imported as part of aifinops (the cdk-nag rules, tests)
    from aifinops.policies.resource_facts import aif_template as t
else:  # checkov: this directory is on sys.path (aifinops/policies/checkov/aif_facts.py)
    import aif_template as t

LAUNCH_TEMPLATE = "AWS::EC2::LaunchTemplate"
EC2_INSTANCE = "AWS::EC2::Instance"
ENDPOINT = "AWS::SageMaker::Endpoint"
ENDPOINT_CONFIG = "AWS::SageMaker::EndpointConfig"
NOTEBOOK = "AWS::SageMaker::NotebookInstance"
INFERENCE_COMPONENT = "AWS::SageMaker::InferenceComponent"
COMPUTE_ENVIRONMENT = "AWS::Batch::ComputeEnvironment"
JOB_DEFINITION = "AWS::Batch::JobDefinition"
SCALABLE_TARGET = "AWS::ApplicationAutoScaling::ScalableTarget"
# Other doors to accelerated capacity: judged, like EC2 instances, when one of their types is accelerated.
AUTO_SCALING_GROUP = "AWS::AutoScaling::AutoScalingGroup"
EC2_FLEET = "AWS::EC2::EC2Fleet"
SPOT_FLEET = "AWS::EC2::SpotFleet"
EKS_NODEGROUP = "AWS::EKS::Nodegroup"
SAGEMAKER_CLUSTER = "AWS::SageMaker::Cluster"

# Cost tags (CKV_AIF_1, AiFinOps-TAG1): always, and EC2 only with an accelerated instance type.
AI_RESOURCE_TYPES = (ENDPOINT, ENDPOINT_CONFIG, "AWS::SageMaker::Model", NOTEBOOK, INFERENCE_COMPONENT,
                     "AWS::Bedrock::ApplicationInferenceProfile", COMPUTE_ENVIRONMENT, "AWS::Batch::JobQueue",
                     JOB_DEFINITION)
ACCELERATED_EC2_TYPES = (EC2_INSTANCE, LAUNCH_TEMPLATE, AUTO_SCALING_GROUP, EC2_FLEET, SPOT_FLEET, EKS_NODEGROUP,
                         SAGEMAKER_CLUSTER)
COST_TAG_TYPES = AI_RESOURCE_TYPES + ACCELERATED_EC2_TYPES
# Accelerated instance types allowed (CKV_AIF_2, AiFinOps-ACC1).
INSTANCE_TYPE_TYPES = (ENDPOINT_CONFIG, NOTEBOOK, COMPUTE_ENVIRONMENT, EC2_INSTANCE, LAUNCH_TEMPLATE,
                       AUTO_SCALING_GROUP, EC2_FLEET, SPOT_FLEET, EKS_NODEGROUP, SAGEMAKER_CLUSTER)
# Endpoint scaling (CKV_AIF_3, AiFinOps-SM1) and job time limits (CKV_AIF_4, AiFinOps-JOB1).
ENDPOINT_SCALING_TYPES = (ENDPOINT,)
TIME_LIMIT_TYPES = (JOB_DEFINITION,)


def cost_tags(resource_type: str, props: Mapping[str, Any]) -> dict[str, str | None] | None:
    """The tags a resource's cost is attributed to; a launch template's are those of its instances.
    None when they cannot be read at all (an intrinsic function stands for them)."""
    if resource_type == LAUNCH_TEMPLATE:
        return t.launch_template_instance_tags(props.get("LaunchTemplateData"))
    if resource_type == EC2_FLEET:
        return t.launch_template_instance_tags(props)  # its `instance` TagSpecifications
    if resource_type == SPOT_FLEET:
        return t.launch_template_instance_tags(props.get("SpotFleetRequestConfigData"))
    return t.read_cost_tags(props.get("Tags"))  # an ASG's tags (PropagateAtLaunch or not), a node group's map


def instance_types(resource_type: str, props: Mapping[str, Any]) -> list[Any]:
    """The instance types a resource runs on, as written (strings, or intrinsic functions)."""
    if resource_type == ENDPOINT_CONFIG:
        variants = t.as_list(props.get("ProductionVariants")) + t.as_list(props.get("ShadowProductionVariants"))
        return [v.get("InstanceType") for v in variants if isinstance(v, dict) and "InstanceType" in v]
    if resource_type == COMPUTE_ENVIRONMENT:
        resources = props.get("ComputeResources")
        return t.as_list(resources.get("InstanceTypes")) if isinstance(resources, dict) else []
    if resource_type == LAUNCH_TEMPLATE:
        data = props.get("LaunchTemplateData")
        return t.as_list(data.get("InstanceType")) if isinstance(data, dict) else []
    if resource_type in (EC2_INSTANCE, NOTEBOOK):
        return t.as_list(props.get("InstanceType"))
    if resource_type == AUTO_SCALING_GROUP:
        policy = props.get("MixedInstancesPolicy")
        template = policy.get("LaunchTemplate") if isinstance(policy, dict) else None
        return _override_types(template.get("Overrides") if isinstance(template, dict) else None)
    if resource_type == EC2_FLEET:
        return [v for c in t.as_list(props.get("LaunchTemplateConfigs")) if isinstance(c, dict)
                for v in _override_types(c.get("Overrides"))]
    if resource_type == SPOT_FLEET:
        data = props.get("SpotFleetRequestConfigData")
        data = data if isinstance(data, dict) else {}
        specs = [s.get("InstanceType") for s in t.as_list(data.get("LaunchSpecifications"))
                 if isinstance(s, dict) and "InstanceType" in s]
        return specs + [v for c in t.as_list(data.get("LaunchTemplateConfigs")) if isinstance(c, dict)
                        for v in _override_types(c.get("Overrides"))]
    if resource_type == EKS_NODEGROUP:
        return t.as_list(props.get("InstanceTypes"))
    if resource_type == SAGEMAKER_CLUSTER:
        return [g.get("InstanceType") for g in t.as_list(props.get("InstanceGroups"))
                if isinstance(g, dict) and "InstanceType" in g]
    return []


def _override_types(overrides: Any) -> list[Any]:
    """The instance types of launch template overrides (Auto Scaling groups, EC2 and Spot fleets)."""
    return [o.get("InstanceType") for o in t.as_list(overrides) if isinstance(o, dict) and "InstanceType" in o]


def attempt_limit(props: Mapping[str, Any]) -> tuple[str, float | None]:
    """A job definition's time limit: ("absent", None), ("unresolved", None) when the Timeout may or may not
    be set (an intrinsic function, or an Fn::If with an AWS::NoValue branch), ("set", None) when set to an
    unresolved length, ("set", seconds) otherwise. Numbers written as text count as numbers."""
    timeout = t.clean(props.get("Timeout"))
    if timeout is None:
        return "absent", None
    if not isinstance(timeout, dict) or t.is_intrinsic(timeout):
        return "unresolved", None
    seconds = timeout.get("AttemptDurationSeconds")
    if seconds is None:
        return "absent", None
    if t.may_be_absent(seconds):
        return "unresolved", None
    return "set", t.number(seconds)
