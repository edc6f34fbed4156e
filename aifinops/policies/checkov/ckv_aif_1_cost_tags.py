"""CKV_AIF_1: cost tags present and allowed on AI resources (the CDK pack's cost-tag rule, for CloudFormation).

EC2 instances and launch templates count only with a literal accelerated instance type; a launch template's
tags are those it gives its instances (every `instance` tag specification, merged). Tags that cannot be read
(one intrinsic function, a tag item whose key is unresolved) are not judged; a tag value that is an intrinsic
function, or a key named in the branches of an Fn::If item, counts as present. The verdicts are those of the
cdk-nag rule AiFinOps-TAG1 (both read tags with `aif_resources.cost_tags`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from aifinops.policies.checkov import aif_policy
    from aifinops.policies.checkov.aif_check import AiFinOpsResourceCheck
    from aifinops.policies.resource_facts import aif_resources
else:  # checkov runs each file as a top-level module, with this directory on sys.path
    import aif_facts  # noqa: F401  (first: puts resource_facts on sys.path)
    import aif_policy
    import aif_resources
    from aif_check import AiFinOpsResourceCheck

CHECK_ID = "CKV_AIF_1"
AI_RESOURCE_TYPES = aif_resources.AI_RESOURCE_TYPES
EC2_TYPES = aif_resources.ACCELERATED_EC2_TYPES


class CostTags(AiFinOpsResourceCheck):
    def __init__(self) -> None:
        super().__init__(CHECK_ID, "AI resources carry the required cost tags with allowed values",
                         aif_resources.COST_TAG_TYPES)

    def problems(self, resource_type: str, props: Mapping[str, Any], policy: aif_policy.Policy) -> list[str] | None:
        if resource_type in EC2_TYPES and not any(
                isinstance(value, str) and policy.is_accelerated(value)
                for value in aif_resources.instance_types(resource_type, props, policy.ec2_families)):
            return None
        tags = aif_resources.cost_tags(resource_type, props)
        return None if tags is None else policy.tag_problems(tags)


check = CostTags()
