"""CKV_AIF_1: cost tags present and allowed on AI resources (the CDK pack's cost-tag rule, for CloudFormation).

EC2 instances and launch templates count only with a literal accelerated instance type; a launch template's
tags are those it gives its instances. Tags given as one intrinsic function are not judged; a tag value that
is one counts as present. The verdicts are those of the cdk-nag rule AiFinOps-TAG1.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from aifinops.policies.checkov import aif_policy, aif_resources, aif_template
    from aifinops.policies.checkov.aif_check import AiFinOpsResourceCheck
else:  # checkov runs each file as a top-level module, with this directory on sys.path
    import aif_policy
    import aif_resources
    import aif_template
    from aif_check import AiFinOpsResourceCheck

CHECK_ID = "CKV_AIF_1"
AI_RESOURCE_TYPES = (
    "AWS::SageMaker::Endpoint", "AWS::SageMaker::EndpointConfig", "AWS::SageMaker::Model",
    "AWS::SageMaker::NotebookInstance", "AWS::SageMaker::InferenceComponent",
    "AWS::Bedrock::ApplicationInferenceProfile",
    "AWS::Batch::ComputeEnvironment", "AWS::Batch::JobQueue", "AWS::Batch::JobDefinition",
)
EC2_TYPES = (aif_resources.EC2_INSTANCE, aif_resources.LAUNCH_TEMPLATE)


class CostTags(AiFinOpsResourceCheck):
    def __init__(self) -> None:
        super().__init__(CHECK_ID, "AI resources carry the required cost tags with allowed values",
                         AI_RESOURCE_TYPES + EC2_TYPES)

    def problems(self, resource_type: str, props: Mapping[str, Any], policy: aif_policy.Policy) -> list[str] | None:
        if resource_type in EC2_TYPES and not any(
                isinstance(value, str) and policy.is_accelerated(value)
                for value in aif_resources.instance_types(resource_type, props)):
            return None
        if resource_type != aif_resources.LAUNCH_TEMPLATE and aif_template.is_intrinsic(props.get("Tags")):
            return None
        return policy.tag_problems(aif_resources.cost_tags(resource_type, props))


check = CostTags()
