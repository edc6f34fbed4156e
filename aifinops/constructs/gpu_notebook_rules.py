"""Prop rules of `GpuNotebook`: each broken rule is one `PropProblem` with a stable code; and the types
SageMaker offers for its notebook platform. No aws_cdk import: `aifinops validate` runs these rules."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache

import annotated_types
import botocore
import botocore.session

from aifinops.catalog import accelerator_catalog, accelerator_problem, parse_instance_type
from aifinops.config import Environment, GpuNotebookWorkload
from aifinops.constructs.errors import PropProblem
from aifinops.constructs.tokens import is_token

# Default for new notebook instances since 2026-05-15; AL2 platforms cannot be created or restarted
# since 2026-07-01 (SageMaker AI developer guide, "Amazon Linux 2 notebook instances").
PLATFORM_IDENTIFIER = "notebook-al2023-v1"
# Families AL2023 notebook instances do not run (same guide, "AL2023 notebook instances" and migration notes).
NOT_ON_AL2023 = frozenset({"p2", "p3", "p3dn", "inf1", "g3"})
CHECK_EVERY_MINUTES = 5


@dataclass(frozen=True, kw_only=True)
class NotebookProps:
    """The props the rules read; the network ones only as given or not (the rules never look inside)."""

    instance_type: str
    idle_minutes: int
    direct_internet: bool
    allow_internet_in_production: bool
    has_vpc: bool
    subnet_selection: object | None = None
    security_groups: Sequence[object] | None = None
    volume_gib: int


def check_props(p: NotebookProps, environment: Environment) -> list[PropProblem]:
    problems = _check_instance_type(p.instance_type, environment)
    low, high = _bounds("idle_minutes")
    if not _is_int(p.idle_minutes) or not low <= p.idle_minutes <= high:
        problems.append(PropProblem("AIF_IDLE_MINUTES", "idle_minutes", p.idle_minutes, (
            f"a whole number of minutes from {low} to {high}, known at synthesis: the on-start script checks "
            f"every {CHECK_EVERY_MINUTES} minutes, and beyond a day the auto-stop no longer bounds spend")))
    low, high = _bounds("volume_gib")
    if not is_token(p.volume_gib) and (not _is_int(p.volume_gib) or not low <= p.volume_gib <= high):
        problems.append(PropProblem("AIF_VOLUME_GIB", "volume_gib", p.volume_gib,
                                    f"a whole number from {low} to {high}"))
    if not p.direct_internet and not p.has_vpc:
        problems.append(PropProblem("AIF_NOTEBOOK_VPC_REQUIRED", "vpc", None, (
            "a VPC: with direct_internet=False the notebook reaches AWS only through your subnet and security "
            "group (and the auto-stop needs a com.amazonaws.<region>.sagemaker.api endpoint or a NAT there)")))
    if not p.has_vpc:
        for prop, value in (("subnet_selection", p.subnet_selection), ("security_groups", p.security_groups)):
            if value is not None:
                problems.append(PropProblem("AIF_NOTEBOOK_NETWORK_WITHOUT_VPC", prop, value,
                                            "None unless vpc is given"))
    if p.security_groups is not None and not 1 <= len(p.security_groups) <= 5:
        problems.append(PropProblem("AIF_NOTEBOOK_SECURITY_GROUPS", "security_groups",
                                    f"{len(p.security_groups)} groups", "1 to 5 security groups, or None"))
    if p.direct_internet and environment.production and not p.allow_internet_in_production:
        problems.append(PropProblem("AIF_INTERNET_IN_PRODUCTION", "direct_internet", True, (
            "False in a production environment; set allow_internet_in_production=True to choose it on purpose")))
    return problems


def _check_instance_type(instance_type: str, environment: Environment) -> list[PropProblem]:
    if is_token(instance_type):
        return []
    parsed = parse_instance_type(instance_type)
    problem = accelerator_problem(instance_type)
    if problem or not parsed.sagemaker or parsed.size is None:
        reason = f" ({problem})" if problem else ""
        return [PropProblem("AIF_INSTANCE_TYPE", "instance_type", instance_type,
                            f"an accelerated SageMaker instance type ml.<family>.<size>, e.g. ml.g5.xlarge{reason}")]
    problems = []
    if not environment.allows_instance_type(instance_type):
        problems.append(PropProblem("AIF_INSTANCE_TYPE_NOT_ALLOWED", "instance_type", instance_type,
                                    f"the environment's accelerators: {', '.join(environment.accelerators) or 'none'}"))
    offered = notebook_instance_types()
    if instance_type not in offered:
        families = sorted({parse_instance_type(t).family for t in offered})
        problems.append(PropProblem("AIF_NOTEBOOK_INSTANCE_TYPE", "instance_type", instance_type, (
            f"a type SageMaker offers for {PLATFORM_IDENTIFIER} notebook instances, of the families "
            f"{', '.join('ml.' + f for f in families)} (per botocore {botocore.__version__})")))
    return problems


@cache
def notebook_instance_types() -> frozenset[str]:
    """Accelerated types CreateNotebookInstance accepts (the installed botocore's service model), less
    the families the AL2023 platform does not run."""
    model = botocore.session.get_session().get_service_model("sagemaker")
    accepted = model.operation_model("CreateNotebookInstance").input_shape.members["InstanceType"].enum
    accelerated = set(accelerator_catalog().family_names())
    return frozenset(t for t in accepted
                     if parse_instance_type(t).family in accelerated - NOT_ON_AL2023)


def _bounds(field: str) -> tuple[int, int]:
    """The bounds finops.yaml puts on a gpu_notebook field: one place for both the file and the construct."""
    metadata = GpuNotebookWorkload.model_fields[field].metadata
    low = next(m.ge for m in metadata if isinstance(m, annotated_types.Ge))
    high = next(m.le for m in metadata if isinstance(m, annotated_types.Le))
    return int(low), int(high)  # type: ignore[call-overload]


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)
