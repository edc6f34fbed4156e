"""CKV_AIF_4: a Batch job definition has a time limit (Timeout.AttemptDurationSeconds) within its
environment's max_training_hours; a job without one runs, and bills its GPUs, until someone notices.

A limit given as an intrinsic function, or without the environment tag of a configured environment (CKV_AIF_1
reports that), is not bounded. The verdicts are those of the cdk-nag rule AiFinOps-JOB1.
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

CHECK_ID = "CKV_AIF_4"
JOB_DEFINITION = "AWS::Batch::JobDefinition"


class BatchTimeLimit(AiFinOpsResourceCheck):
    def __init__(self) -> None:
        super().__init__(CHECK_ID, "Batch job definitions have a time limit within the environment's maximum",
                         [JOB_DEFINITION])

    def problems(self, resource_type: str, props: Mapping[str, Any], policy: aif_policy.Policy) -> list[str] | None:
        timeout = props.get("Timeout")
        if aif_template.is_intrinsic(timeout):
            return []  # the whole timeout is decided at deployment: set, not judged
        seconds = timeout.get("AttemptDurationSeconds") if isinstance(timeout, dict) else None
        if seconds is None:
            return ["no time limit: set Timeout.AttemptDurationSeconds"]
        value = _number(seconds)
        name, environment = policy.environment(aif_resources.cost_tags(resource_type, props))
        if value is None or environment is None:
            return []  # an intrinsic function, or no environment to bound it: set, not judged
        limit = environment.max_training_hours * 3600
        if value > limit:
            return [f"Timeout.AttemptDurationSeconds is {seconds} s, above {limit} s ({environment.max_training_hours} "
                    f"hours, the maximum of environment '{name}')"]
        return []


def _number(value: Any) -> float | None:
    """A literal number (templates may carry it as a string); None for an intrinsic function."""
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        return None
    try:
        return float(value)
    except ValueError:
        return None


check = BatchTimeLimit()
