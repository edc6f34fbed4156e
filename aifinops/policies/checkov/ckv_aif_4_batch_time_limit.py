"""CKV_AIF_4: a Batch job definition has a time limit (Timeout.AttemptDurationSeconds) within its
environment's max_training_hours; a job without one runs, and bills its GPUs, until someone notices.

A Timeout that may or may not be set at deployment (an intrinsic function, or an Fn::If with an AWS::NoValue
branch) is not judged: no result, as AiFinOps-JOB1 says NOT_APPLICABLE. A limit whose length is an intrinsic
function, or without the environment tag of a configured environment (CKV_AIF_1 reports that), is set and not
bounded: it passes. Numbers written as text count as numbers. The verdicts are those of the cdk-nag rule
AiFinOps-JOB1 (both read the limit with `aif_resources.attempt_limit`).
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

CHECK_ID = "CKV_AIF_4"


class BatchTimeLimit(AiFinOpsResourceCheck):
    def __init__(self) -> None:
        super().__init__(CHECK_ID, "Batch job definitions have a time limit within the environment's maximum",
                         aif_resources.TIME_LIMIT_TYPES)

    def problems(self, resource_type: str, props: Mapping[str, Any], policy: aif_policy.Policy) -> list[str] | None:
        state, value = aif_resources.attempt_limit(props)
        if state == "unresolved":
            return None  # the Timeout may or may not be set at deployment: not judged
        if state == "absent":
            return ["no time limit: set Timeout.AttemptDurationSeconds"]
        name, environment = policy.environment(aif_resources.cost_tags(resource_type, props) or {})
        if value is None or environment is None:
            return []  # set to an intrinsic function, or no environment to bound it: its length is not judged
        limit = environment.max_training_hours * 3600
        if value > limit:
            return [f"Timeout.AttemptDurationSeconds is {value:g} s, above {limit} s "
                    f"({environment.max_training_hours} hours, the maximum of environment '{name}')"]
        return []


check = BatchTimeLimit()
