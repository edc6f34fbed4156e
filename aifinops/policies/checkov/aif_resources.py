"""Where each AI resource type keeps its cost tags and its instance types. Standard library only."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from aifinops.policies.checkov import aif_template as t
else:  # checkov runs each file as a top-level module, with this directory on sys.path
    import aif_template as t

LAUNCH_TEMPLATE = "AWS::EC2::LaunchTemplate"
EC2_INSTANCE = "AWS::EC2::Instance"


def cost_tags(resource_type: str, props: Mapping[str, Any]) -> dict[str, str | None]:
    """The tags a resource's cost is attributed to; a launch template's are those of its instances."""
    if resource_type == LAUNCH_TEMPLATE:
        return t.launch_template_instance_tags(props.get("LaunchTemplateData"))
    return t.read_tags(props.get("Tags"))


def instance_types(resource_type: str, props: Mapping[str, Any]) -> list[Any]:
    """The instance types a resource runs on, as written (strings, or intrinsic functions)."""
    if resource_type == "AWS::SageMaker::EndpointConfig":
        variants = t.as_list(props.get("ProductionVariants")) + t.as_list(props.get("ShadowProductionVariants"))
        return [v.get("InstanceType") for v in variants if isinstance(v, dict) and "InstanceType" in v]
    if resource_type == "AWS::Batch::ComputeEnvironment":
        resources = props.get("ComputeResources")
        return t.as_list(resources.get("InstanceTypes")) if isinstance(resources, dict) else []
    if resource_type == LAUNCH_TEMPLATE:
        data = props.get("LaunchTemplateData")
        return t.as_list(data.get("InstanceType")) if isinstance(data, dict) else []
    if resource_type in (EC2_INSTANCE, "AWS::SageMaker::NotebookInstance"):
        return t.as_list(props.get("InstanceType"))
    return []
