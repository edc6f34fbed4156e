"""Prop rules of `GpuInferenceEndpoint`: each broken rule is one `PropProblem` with a stable code.

No aws_cdk import at load: `aifinops validate` runs these rules on finops.yaml workloads."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from aifinops.catalog import accelerator_problem, parse_instance_type
from aifinops.config import Environment
from aifinops.constructs.errors import PropProblem
from aifinops.constructs.sagemaker_sources import (
    ECR_IMAGE_FORM,
    MODEL_DATA_FORM,
    parse_ecr_image,
    parse_model_data,
)
from aifinops.constructs.tokens import is_token
from aifinops.schedule_expressions import CRON_FORM, cron_problem

if TYPE_CHECKING:
    from constructs import IConstruct

IdleMode = Literal["scale_to_zero", "schedule", "none"]
IDLE_MODES: tuple[IdleMode, ...] = ("scale_to_zero", "schedule", "none")
SAGEMAKER_NAME = re.compile(r"[a-zA-Z0-9](-*[a-zA-Z0-9])*")
SAGEMAKER_NAME_MAX = 63
DEFAULT_INVOCATIONS_TARGET = 20  # invocations per instance and minute that target tracking keeps


@dataclass(frozen=True, kw_only=True)
class BusinessHours:
    """When an ``idle_mode="schedule"`` endpoint may use its full capacity: two Application Auto Scaling
    cron expressions (minutes hours day-of-month month day-of-week year), evaluated in UTC.

    Example::

        from aifinops.constructs import BusinessHours

        hours = BusinessHours(start="cron(0 6 ? * MON-FRI *)", stop="cron(0 20 ? * MON-FRI *)")

    Defaults: ``start`` 07:00 UTC and ``stop`` 19:00 UTC, Monday to Friday; weekends stay at the floor.
    """

    start: str = "cron(0 7 ? * MON-FRI *)"
    stop: str = "cron(0 19 ? * MON-FRI *)"


@dataclass(frozen=True)
class EndpointProps:
    """The props that the rules read, after defaults that depend on nothing else."""

    instance_type: str
    image_uri: str
    model_data_url: str | None
    min_instances: int
    max_instances: int
    idle_mode: str
    idle_mode_given: bool
    invocations_per_instance_target: int
    business_hours: BusinessHours | None
    component_memory_mb: int | None
    endpoint_name: str | None
    fixed_capacity_reason: str | None = None


def default_idle_mode(environment: Environment) -> IdleMode:
    """Cheap outside production; in production an idle endpoint going cold must be asked for."""
    return "none" if environment.production else "scale_to_zero"


def check_props(props: EndpointProps, environment: Environment) -> list[PropProblem]:
    return [*_check_instance_type(props.instance_type, environment), *_check_capacity(props),
            *_check_mode_props(props), *_check_sources(props), *_check_name(props.endpoint_name),
            *_check_fixed_reason(props)]


def unacknowledged_fixed_fleet(p: EndpointProps) -> PropProblem | None:
    """A fixed fleet without a reason: not refused by the construct (its owner may acknowledge AiFinOps-SM1
    elsewhere), but from finops.yaml nothing else can, so synthesis would fail on SM1: `validate` says so first."""
    if p.idle_mode == "none" and p.min_instances == p.max_instances and p.fixed_capacity_reason is None:
        return PropProblem("AIF_FIXED_FLEET_NEEDS_REASON", "fixed_capacity_reason", None, (
            "a reason of 20 characters or more for a fixed fleet (idle_mode none, min_instances == max_instances "
            "has no auto scaling, which AiFinOps-SM1 fails at synthesis), or max_instances above min_instances"))
    return None


def _check_fixed_reason(p: EndpointProps) -> list[PropProblem]:
    if p.fixed_capacity_reason is None:
        return []
    fixed = p.idle_mode == "none" and p.min_instances == p.max_instances
    if not fixed:
        return [PropProblem("AIF_FIXED_REASON_UNUSED", "fixed_capacity_reason", p.fixed_capacity_reason,
                            "only for a fixed fleet: idle_mode none with min_instances == max_instances")]
    if len(p.fixed_capacity_reason.strip()) < 20:
        return [PropProblem("AIF_FIXED_REASON_SHORT", "fixed_capacity_reason", p.fixed_capacity_reason,
                            "a specific reason of 20 characters or more: it is the audit trail of the exception")]
    return []


def _check_instance_type(value: str, environment: Environment) -> list[PropProblem]:
    if is_token(value):
        return [PropProblem("AIF_INSTANCE_TYPE_TOKEN", "instance_type", value,
                            "a literal ml. instance type: allowance, accelerator count and price are read at synth")]
    parsed = parse_instance_type(value)
    if not parsed.sagemaker:
        return [PropProblem("AIF_INSTANCE_NOT_SAGEMAKER", "instance_type", value,
                            f"a SageMaker instance type, e.g. ml.{parsed.family}.xlarge")]
    problem = accelerator_problem(value) or (None if parsed.size else f"'{value}' names a family, not a size")
    if problem:
        return [PropProblem("AIF_INSTANCE_NOT_ACCELERATED", "instance_type", value,
                            f"an accelerated ml.<family>.<size> of the catalog ({problem})")]
    if not environment.allows_instance_type(value):
        sagemaker = [a for a in environment.accelerators if a.startswith("ml.")]
        return [PropProblem("AIF_INSTANCE_NOT_ALLOWED", "instance_type", value,
                            f"types of the environment's accelerators: {', '.join(sagemaker) or 'none'}")]
    return []


def _check_capacity(p: EndpointProps) -> list[PropProblem]:
    problems = []
    if p.max_instances < 1:
        problems.append(PropProblem("AIF_MAX_INSTANCES", "max_instances", p.max_instances, "1 or more"))
    if p.min_instances < 0:
        problems.append(PropProblem("AIF_MIN_INSTANCES", "min_instances", p.min_instances, "0 or more"))
    elif p.min_instances > p.max_instances >= 1:
        problems.append(PropProblem("AIF_MIN_ABOVE_MAX", "min_instances", p.min_instances,
                                    f"at most max_instances ({p.max_instances})"))
    if p.min_instances == 0 and p.idle_mode in ("schedule", "none"):
        why = "" if p.idle_mode_given else " (the production default)"
        problems.append(PropProblem("AIF_MIN_ZERO_NEEDS_SCALE_TO_ZERO", "min_instances", 0, (
            f"1 or more with idle_mode '{p.idle_mode}'{why}: only inference-component endpoints scale to zero; "
            "set min_instances, or idle_mode='scale_to_zero'")))
    if p.idle_mode == "scale_to_zero" and p.min_instances > 0:
        problems.append(PropProblem("AIF_SCALE_TO_ZERO_MIN", "min_instances", p.min_instances,
                                    "0 with idle_mode 'scale_to_zero' (or choose idle_mode 'none' or 'schedule')"))
    if p.idle_mode == "schedule" and p.max_instances == 1:
        problems.append(PropProblem("AIF_SCHEDULE_NO_EFFECT", "max_instances", 1, (
            "2 or more with idle_mode 'schedule': a classic variant never goes below 1 instance, so a schedule "
            "on 1 instance saves nothing; use idle_mode 'scale_to_zero'")))
    if p.invocations_per_instance_target < 1:
        problems.append(PropProblem("AIF_INVOCATIONS_TARGET", "invocations_per_instance_target",
                                    p.invocations_per_instance_target, "1 or more invocations per minute"))
    return problems


def _check_mode_props(p: EndpointProps) -> list[PropProblem]:
    if p.idle_mode not in IDLE_MODES:
        return [PropProblem("AIF_IDLE_MODE", "idle_mode", p.idle_mode, ", ".join(IDLE_MODES))]
    problems = []
    if p.business_hours is not None:
        if p.idle_mode != "schedule":
            problems.append(PropProblem("AIF_PROP_NOT_FOR_MODE", "business_hours", p.business_hours,
                                        f"only with idle_mode 'schedule' (idle_mode is '{p.idle_mode}')"))
        for field in ("start", "stop"):
            value = getattr(p.business_hours, field)
            if not is_token(value) and (problem := cron_problem(value)):
                problems.append(PropProblem("AIF_SCHEDULE_CRON", f"business_hours.{field}", value,
                                            f"{CRON_FORM}, in UTC ({problem})"))
    if p.component_memory_mb is not None:
        if p.idle_mode != "scale_to_zero":
            problems.append(PropProblem("AIF_PROP_NOT_FOR_MODE", "component_memory_mb", p.component_memory_mb,
                                        f"only with idle_mode 'scale_to_zero' (idle_mode is '{p.idle_mode}')"))
        if p.component_memory_mb < 128:
            problems.append(PropProblem("AIF_COMPONENT_MEMORY", "component_memory_mb", p.component_memory_mb,
                                        "128 MiB or more, within the instance's memory"))
    return problems


def _check_sources(p: EndpointProps) -> list[PropProblem]:
    problems = []
    if not is_token(p.image_uri) and parse_ecr_image(p.image_uri) is None:
        problems.append(PropProblem("AIF_IMAGE_URI", "image_uri", p.image_uri, ECR_IMAGE_FORM))
    if p.model_data_url is not None and parse_model_data(p.model_data_url) is None:
        problems.append(PropProblem("AIF_MODEL_DATA_URL", "model_data_url", p.model_data_url, MODEL_DATA_FORM))
    return problems


def _check_name(name: str | None) -> list[PropProblem]:
    if name is None or is_token(name):
        return []
    if len(name) > SAGEMAKER_NAME_MAX or not SAGEMAKER_NAME.fullmatch(name):
        return [PropProblem("AIF_ENDPOINT_NAME", "endpoint_name", name,
                            "1-63 letters, digits and hyphens, starting and ending with a letter or digit")]
    return []


def sagemaker_name(scope: IConstruct, suffix: str = "", *, salt: str = "") -> str:
    """A name SageMaker accepts (<= 63 characters, letters, digits and single hyphens), unique per
    stack name, construct path, suffix and salt: readable start, short hash of the whole at the end.
    A new salt gives a new name: a custom-named resource can only be replaced under a new name."""
    import aws_cdk as cdk  # here, not at the top: the rules above load without jsii

    stack = cdk.Stack.of(scope)
    stack_name = "" if is_token(stack.stack_name) else stack.stack_name
    relative = scope.node.path.removeprefix(stack.node.path).strip("/")
    raw = "/".join(part for part in (stack_name, relative, suffix) if part)
    digest = hashlib.sha256(f"{raw}#{salt}".encode()).hexdigest()[:8]
    cleaned = re.sub(r"[^a-zA-Z0-9]+", "-", raw).strip("-")
    return f"{cleaned[: SAGEMAKER_NAME_MAX - len(digest) - 1].rstrip('-')}-{digest}".lstrip("-")
