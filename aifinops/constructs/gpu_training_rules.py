"""Prop rules of `GpuTrainingQueue`: each broken rule is one `PropProblem` with a stable code; and the
instance type that prices the queue's worst case. No aws_cdk import: `aifinops validate` runs these rules."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from aifinops.catalog import accelerator_catalog, accelerator_problem, hourly_price, parse_instance_type, vcpus_of
from aifinops.config import Environment
from aifinops.constructs.errors import PropProblem
from aifinops.constructs.tokens import is_token

DEFAULT_JOB_VCPUS = 4
DEFAULT_JOB_GPUS = 1
MIB_PER_JOB_VCPU = 3_584
MAX_RETRY_ATTEMPTS = 10  # AWS Batch RetryStrategy.attempts: 1-10
MIN_TIMEOUT_SECONDS = 60  # AWS Batch JobTimeout.attemptDurationSeconds minimum
MIN_JOB_MEMORY_MIB = 4  # AWS Batch: at least 4 MiB per job
# Families the queue's ECS_AL2023_NVIDIA image cannot serve, and why.
UNSUPPORTED_FAMILIES = {
    "p3": "ECS_AL2023_NVIDIA does not support p3 (AWS Batch Ec2Configuration.ImageType)",
    "p3dn": "ECS_AL2023_NVIDIA does not support p3 (AWS Batch Ec2Configuration.ImageType)",
    "p6e-gb200": "arm64 (NVIDIA Grace); the queue's ECS_AL2023_NVIDIA image is for x86_64 types",
}


@dataclass(frozen=True)
class QueueProps:
    """The props the rules read, after defaults that depend on nothing else."""

    instance_types: tuple[str, ...]
    max_vcpus: int
    on_demand_fallback: bool
    on_demand_max_vcpus: int | None
    job_vcpus: int
    job_gpus: int
    job_memory_mib: int | None  # as given; None: derived from job_vcpus
    job_timeout_seconds: float
    job_timeout_text: str
    retry_attempts: int
    image_uri: str


@dataclass(frozen=True)
class Candidate:
    """An instance type Batch may launch: a listed exact type, or any catalog size of a listed family."""

    name: str
    vcpus: int
    gpus: int
    listed_exactly: bool


def check_props(p: QueueProps, environment: Environment) -> list[PropProblem]:
    type_problems = list(_check_instance_types(p.instance_types, environment))
    candidates = [] if type_problems else candidates_of(p.instance_types)
    return [*type_problems, *_check_caps(p, candidates), *_check_job(p, candidates),
            *_check_timeout(p, environment), *_check_image(p.image_uri)]


def _check_instance_types(values: Sequence[str], environment: Environment) -> Iterator[PropProblem]:
    if not values:
        yield PropProblem("AIF_INSTANCE_TYPES_EMPTY", "instance_types", list(values),
                          "one or more EC2 NVIDIA GPU types or families, e.g. g5.xlarge or g6")
    allowed = ", ".join(a for a in environment.accelerators if not parse_instance_type(a).sagemaker) or "none"
    for index, value in enumerate(values):
        if is_token(value):
            yield PropProblem("AIF_INSTANCE_TYPE_TOKEN", "instance_types", value,
                              "a literal type: allowance, vCPUs and price are read at synth", index)
            continue
        parsed = parse_instance_type(value)
        family = accelerator_catalog().family(parsed.family)
        if parsed.sagemaker:
            yield PropProblem("AIF_INSTANCE_NOT_EC2", "instance_types", value,
                              f"an EC2 type or family without 'ml.', e.g. {parsed.family}.xlarge", index)
        elif (problem := accelerator_problem(value)) or family is None:
            yield PropProblem("AIF_INSTANCE_NOT_ACCELERATED", "instance_types", value,
                              f"an accelerated EC2 type or family of the catalog ({problem})", index)
        elif not family.accelerator.startswith("NVIDIA"):
            yield PropProblem("AIF_INSTANCE_NOT_NVIDIA", "instance_types", value,
                              f"an NVIDIA GPU family ({family.name} has {family.accelerator}): "
                              f"{', '.join(_nvidia_families())}", index)
        elif family.name in UNSUPPORTED_FAMILIES:
            yield PropProblem("AIF_INSTANCE_IMAGE_UNSUPPORTED", "instance_types", value,
                              f"a family the GPU image serves ({UNSUPPORTED_FAMILIES[family.name]})", index)
        elif not environment.allows_instance_type(value):
            yield PropProblem("AIF_INSTANCE_NOT_ALLOWED", "instance_types", value,
                              f"EC2 types of the environment's accelerators: {allowed}", index)


def _check_caps(p: QueueProps, candidates: Sequence[Candidate]) -> Iterator[PropProblem]:
    largest = max((c for c in candidates if c.listed_exactly), key=lambda c: c.vcpus, default=None)
    caps = [("max_vcpus", p.max_vcpus)]
    if p.on_demand_max_vcpus is not None:
        if not p.on_demand_fallback:
            yield PropProblem("AIF_PROP_NEEDS_FALLBACK", "on_demand_max_vcpus", p.on_demand_max_vcpus,
                              "only with on_demand_fallback=True")
        caps.append(("on_demand_max_vcpus", p.on_demand_max_vcpus))
    for prop, cap in caps:
        if not _literal(cap):
            continue
        if cap < 1:
            yield PropProblem("AIF_MAX_VCPUS", prop, cap, "1 or more vCPUs")
        elif largest is not None and cap < largest.vcpus:
            yield PropProblem("AIF_MAX_VCPUS_BELOW_INSTANCE", prop, cap, (
                f"{largest.vcpus} or more, the vCPUs of {largest.name}: a smaller cap never launches it"))


def _check_job(p: QueueProps, candidates: Sequence[Candidate]) -> Iterator[PropProblem]:
    if _literal(p.retry_attempts) and not 1 <= p.retry_attempts <= MAX_RETRY_ATTEMPTS:
        yield PropProblem("AIF_RETRY_ATTEMPTS", "retry_attempts", p.retry_attempts,
                          f"1 to {MAX_RETRY_ATTEMPTS} attempts (AWS Batch)")
    if p.job_memory_mib is not None and _literal(p.job_memory_mib) and p.job_memory_mib < MIN_JOB_MEMORY_MIB:
        yield PropProblem("AIF_JOB_MEMORY", "job_memory_mib", p.job_memory_mib,
                          f"{MIN_JOB_MEMORY_MIB} MiB or more, within the instance's memory")
    sizes = [("job_vcpus", p.job_vcpus, "AIF_JOB_VCPUS"), ("job_gpus", p.job_gpus, "AIF_JOB_GPUS")]
    for prop, value, code in sizes:
        if _literal(value) and value < 1:
            yield PropProblem(code, prop, value, "1 or more")
    if not candidates or not all(_literal(v) and v >= 1 for _, v, _ in sizes):
        return
    most_vcpus = max(candidates, key=lambda c: c.vcpus)
    most_gpus = max(candidates, key=lambda c: c.gpus)
    if p.job_vcpus > most_vcpus.vcpus:
        yield PropProblem("AIF_JOB_TOO_LARGE", "job_vcpus", p.job_vcpus,
                          f"at most {most_vcpus.vcpus}, the vCPUs of {most_vcpus.name}, the largest listed type")
    elif p.job_gpus > most_gpus.gpus:
        yield PropProblem("AIF_JOB_TOO_LARGE", "job_gpus", p.job_gpus,
                          f"at most {most_gpus.gpus}, the GPUs of {most_gpus.name}, the most of a listed type")
    elif not any(c.vcpus >= p.job_vcpus and c.gpus >= p.job_gpus for c in candidates):
        yield PropProblem("AIF_JOB_TOO_LARGE", "job_gpus", p.job_gpus, (
            f"a job size one listed type holds: none has {p.job_gpus} GPUs and {p.job_vcpus} vCPUs"))
    if _literal(p.max_vcpus) and p.job_vcpus > p.max_vcpus >= 1:
        yield PropProblem("AIF_JOB_ABOVE_CAP", "job_vcpus", p.job_vcpus,
                          f"at most max_vcpus ({p.max_vcpus}): a larger job never starts")


def _check_timeout(p: QueueProps, environment: Environment) -> Iterator[PropProblem]:
    if is_token(p.job_timeout_seconds):
        return
    limit = environment.max_training_hours * 3600
    allowed = f"{MIN_TIMEOUT_SECONDS} seconds to {environment.max_training_hours} hours (max_training_hours)"
    if p.job_timeout_seconds > limit:
        yield PropProblem("AIF_JOB_TIMEOUT_ABOVE_MAX", "job_timeout", p.job_timeout_text, allowed)
    elif p.job_timeout_seconds < MIN_TIMEOUT_SECONDS:
        yield PropProblem("AIF_JOB_TIMEOUT_MIN", "job_timeout", p.job_timeout_text, allowed)


def _check_image(image_uri: str) -> Iterator[PropProblem]:
    if not is_token(image_uri) and (not image_uri or any(ch.isspace() for ch in image_uri)):
        yield PropProblem("AIF_IMAGE_URI", "image_uri", image_uri,
                          "a container image reference, e.g. <account>.dkr.ecr.<region>.amazonaws.com/repo:tag")


def candidates_of(instance_types: Sequence[str]) -> list[Candidate]:
    """Every type Batch may launch for the listed types and families (catalog sizes with known vCPUs)."""
    found: dict[str, Candidate] = {}
    for value in instance_types:
        parsed = parse_instance_type(value)
        family = accelerator_catalog().family(parsed.family)
        if family is None:
            continue
        sizes = [parsed.size] if parsed.size else list(family.sizes)
        for size in sizes:
            name = f"{family.name}.{size}"
            vcpus = vcpus_of(name)
            if vcpus is None or size not in family.sizes:
                continue
            exact = parsed.size is not None or (name in found and found[name].listed_exactly)
            found[name] = Candidate(name, vcpus, family.sizes[size], exact)
    return list(found.values())


def costliest_type(instance_types: Sequence[str]) -> tuple[str, int] | None:
    """The type whose full cap costs most, with its vCPUs: a vCPU-capped fleet costs cap x hourly price per
    vCPU, so the type with the highest catalog price per vCPU (small GPU types) is the worst case. Without
    any catalog price, the largest type."""
    candidates = candidates_of(instance_types)
    priced = [(price.usd / c.vcpus, c) for c in candidates if (price := hourly_price(c.name)) is not None]
    if priced:
        worst = max(priced, key=lambda pc: (pc[0], pc[1].vcpus))[1]
    elif candidates:
        worst = max(candidates, key=lambda c: c.vcpus)
    else:
        return None
    return worst.name, worst.vcpus


def hours_text(hours: int) -> str:
    """A job timeout of whole hours as `cdk.Duration.hours(hours).to_human_string()` writes it ("1 day 12 hours"):
    how `aifinops validate` shows a finops.yaml job_timeout_hours in the construct's message (pinned by a test)."""
    days, rest = divmod(hours, 24)
    parts = [f"{n} {unit}{'' if n == 1 else 's'}" for n, unit in ((days, "day"), (rest, "hour")) if n]
    return " ".join(parts) or "0 hours"


def _literal(value: object) -> bool:
    return not is_token(value)


def _nvidia_families() -> list[str]:
    return [f.name for f in accelerator_catalog().families
            if f.accelerator.startswith("NVIDIA") and f.name not in UNSUPPORTED_FAMILIES]
