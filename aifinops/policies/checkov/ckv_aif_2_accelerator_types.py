"""CKV_AIF_2: accelerated instance types allowed in the resource's environment (its environment tag).

An instance type given as an intrinsic function is not judged (it is unknown before deployment; the SCPs
deny it at deploy time); a resource with no accelerated type, or without the environment tag of a configured
environment (CKV_AIF_1 reports that), is not applicable. The verdicts are those of the cdk-nag rule
AiFinOps-ACC1.
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

CHECK_ID = "CKV_AIF_2"
RESOURCE_TYPES = aif_resources.INSTANCE_TYPE_TYPES


class AcceleratorTypes(AiFinOpsResourceCheck):
    def __init__(self) -> None:
        super().__init__(CHECK_ID, "Accelerated instance types are allowed in the resource's environment",
                         RESOURCE_TYPES)

    def problems(self, resource_type: str, props: Mapping[str, Any], policy: aif_policy.Policy) -> list[str] | None:
        accelerated = [v for v in aif_resources.instance_types(resource_type, props, policy.ec2_families)
                       if isinstance(v, str) and policy.is_accelerated(v)]
        if not accelerated:
            return None
        name, environment = policy.environment(aif_resources.cost_tags(resource_type, props) or {})
        if environment is None:
            return None
        return [f"instance type {value} is not allowed in environment '{name}' (allowed: "
                f"{', '.join(environment.accelerators) or 'none'})"
                for value in accelerated if not aif_policy.allows(environment, value)]


check = AcceleratorTypes()
