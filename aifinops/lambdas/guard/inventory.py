"""Inventory: the running accelerated resources of one account and region (SageMaker tags: tags.py).

Accelerated, one function for every kind (`Classifier`): DescribeInstanceTypes says so (GPU, Neuron, inference
accelerator, FPGA or media accelerator info), or the catalog's families say so (the policy). An `ml.` type is
judged as its EC2 hardware, so ml.p3 endpoints, notebooks and jobs are kept exactly when p3 instances are.

Efficiency (API calls per scan and region; N = EC2 instances, R = their reservations, T = instance types offered
in the region, E = InService endpoints, C = their distinct endpoint configs, B = notebooks, J = training jobs):

- `accelerated_types`: DescribeInstanceTypes, MaxResults 100: ceil(T/100) calls (about 10 in a real region),
  once per scan and region; the caller keeps the result.
- `ec2_instances`: DescribeInstances with server-side filters (state `running`, `instance-type` = the exact
  accelerated names: DescribeInstanceTypes' and the catalog's) and MaxResults 1000; tags come in the response.
  EC2 rejects more than 200 filter values in one call (`FilterLimitExceeded: The maximum number of filter values
  specified on a single call is 200`, the error AWS returns, e.g. github.com/gjbae1212/gossm/issues/47,
  convox/rack#2205; the API reference states no number), so the type names go in chunks of 199 (+1 state
  value): ceil(A/199) * max(1, ceil(R/1000)) calls for A accelerated type names (MaxResults counts reservations
  in moto; AWS documents it in instances). Exact names, not `g5.*`: AWS accepts wildcards but moto 5.2.5
  silently matches nothing with them.
- `endpoints`: ListEndpoints(StatusEquals=InService, MaxResults=100) + per endpoint DescribeEndpoint (variants
  and their current instance counts; the summary has no instance type) + DescribeEndpointConfig for the instance
  types (cached by config name: C calls, C <= E): ceil(E/100) + E + C calls.
- `notebooks`: ListNotebookInstances(StatusEquals=InService, MaxResults=100), once (the instance type is in the
  summary): ceil(B/100).
- `training_jobs`: ListTrainingJobs(StatusEquals=InProgress, MaxResults=100) + DescribeTrainingJob (instance
  type or instance groups, count, start time): ceil(J/100) + J.

Nothing here raises on an API error: each error is collected as an `InventoryError` (resource id, operation,
error code, message) next to the resources found; a failed list call stops that listing (resource id `*`),
a failed per-resource call drops that resource only. Only `accelerated_types` lets errors propagate: the caller
then builds the EC2 filter from the catalog's names alone and reports the error.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from aifinops_runtime.accelerators import ACCELERATOR_INFO
from aifinops_runtime.clients import API_ERRORS, describe_error, pages

from .model import Kind, Resource

__all__ = ["ACCELERATOR_INFO", "FILTER_VALUES_PER_CALL", "Classifier", "InventoryError", "InventoryResult",
           "accelerated_types", "ec2_instances", "endpoints", "notebooks", "training_jobs"]

FILTER_VALUES_PER_CALL = 200  # EC2 FilterLimitExceeded beyond 200 values in one call, all filters together
EC2_PAGE = 1000  # DescribeInstances MaxResults maximum
TYPES_PAGE = 100  # DescribeInstanceTypes MaxResults maximum
SAGEMAKER_PAGE = 100  # ListEndpoints / ListNotebookInstances / ListTrainingJobs MaxResults maximum
ALL = "*"  # the resource id of an error that stopped a whole listing


@dataclass(frozen=True)
class InventoryError:
    resource: str  # resource id, or "*" when a list call failed
    operation: str
    code: str
    message: str


@dataclass
class InventoryResult:
    resources: list[Resource] = field(default_factory=list)
    errors: list[InventoryError] = field(default_factory=list)

    def extend(self, other: InventoryResult) -> None:
        self.resources += other.resources
        self.errors += other.errors


@dataclass(frozen=True)
class Classifier:
    """Whether an instance type is accelerated: its family is a catalog accelerator family, or DescribeInstanceTypes
    listed the exact type with accelerator info. `ml.` types are judged as their EC2 hardware."""

    families: frozenset[str]
    described: frozenset[str] = frozenset()

    def __call__(self, instance_type: str) -> bool:
        hardware = instance_type.removeprefix("ml.")
        return hardware in self.described or hardware.split(".", 1)[0] in self.families


def accelerated_types(ec2: Any) -> frozenset[str]:
    """The exact instance type names of the region that DescribeInstanceTypes reports with an accelerator
    (paginated). Call once per scan and region and keep the result. API errors propagate."""
    found: set[str] = set()
    for page in pages(ec2.describe_instance_types, "NextToken", MaxResults=TYPES_PAGE):
        for info in page.get("InstanceTypes", []):
            if any(key in info for key in ACCELERATOR_INFO):
                found.add(info["InstanceType"])
    return frozenset(found)


def ec2_instances(ec2: Any, names: Iterable[str], accelerated: Callable[[str], bool] | None = None) -> InventoryResult:
    """Running EC2 instances of the given exact types, tags from the DescribeInstances response (with
    `accelerated`, only those it classifies as accelerated)."""
    result = InventoryResult()
    ordered = sorted(set(names))
    region = ec2.meta.region_name
    chunk = FILTER_VALUES_PER_CALL - 1  # one value goes to instance-state-name
    for start in range(0, len(ordered), chunk):
        filters = [{"Name": "instance-state-name", "Values": ["running"]},
                   {"Name": "instance-type", "Values": ordered[start:start + chunk]}]
        try:
            for page in pages(ec2.describe_instances, "NextToken", Filters=filters, MaxResults=EC2_PAGE):
                for reservation in page.get("Reservations", []):
                    owner = reservation.get("OwnerId", "")
                    for instance in reservation.get("Instances", []):
                        resource = _ec2_resource(instance, owner, region)
                        if accelerated is None or accelerated(resource.instance_type):
                            result.resources.append(resource)
        except API_ERRORS as exc:
            result.errors.append(_error(ALL, "DescribeInstances", exc))
    return result


def endpoints(sagemaker: Any, accelerated: Callable[[str], bool]) -> InventoryResult:
    """InService endpoints running at least one accelerated variant (production or shadow), with every variant's
    type and current count (serverless variants have no instance type). An endpoint whose endpoint config was
    deleted meanwhile (AWS allows it) is kept with `missing_config`: its types are unknown, and it is reported,
    never skipped. Tags are read apart (tags.py)."""
    result = InventoryResult()
    configs: dict[str, dict[str, str] | None] = {}  # config name -> variant name -> instance type (None: gone)
    config_arns: dict[str, str] = {}  # config name -> ARN (act tags the config when it stops an endpoint)
    asynchronous: set[str] = set()  # names of the configs with an AsyncInferenceConfig
    try:
        summaries = [s for page in pages(sagemaker.list_endpoints, "NextToken", StatusEquals="InService",
                                         MaxResults=SAGEMAKER_PAGE) for s in page.get("Endpoints", [])]
    except API_ERRORS as exc:
        return InventoryResult(errors=[_error(ALL, "ListEndpoints", exc)])
    for summary in summaries:
        name = summary["EndpointName"]
        operation = "DescribeEndpoint"
        try:
            endpoint = sagemaker.describe_endpoint(EndpointName=name)
            config_name = endpoint["EndpointConfigName"]
            if config_name not in configs:
                operation = "DescribeEndpointConfig"
                configs[config_name] = _variant_types(sagemaker, config_name, config_arns, asynchronous)
        except API_ERRORS as exc:
            result.errors.append(_error(name, operation, exc))
            continue
        types = configs[config_name]
        variants = [*endpoint.get("ProductionVariants", []), *endpoint.get("ShadowProductionVariants", [])]
        counts = {v["VariantName"]: int(v.get("CurrentInstanceCount", 0) or 0) for v in variants}
        if types is None:  # the config is gone: kept, types unknown
            fleet: tuple[tuple[str, int], ...] = (("", sum(counts.values())),)
            kept: tuple[str, ...] = ()
        else:
            fleet = tuple((types[v], c) for v, c in counts.items() if v in types)
            kept = tuple(dict.fromkeys(t for t, _ in fleet if accelerated(t)))
            if not kept:
                continue
        result.resources.append(Resource(
            kind=Kind.ENDPOINT, id=name, arn=endpoint["EndpointArn"], account=_account(endpoint["EndpointArn"]),
            region=sagemaker.meta.region_name, instance_type=max(kept, key=_size_rank, default=""),
            instance_count=sum(c for _, c in fleet), launched_at=_utc(endpoint.get("CreationTime")),
            variants=tuple(counts), config_arn=config_arns.get(config_name), fleet=fleet, accelerated_types=kept,
            missing_config="" if types is not None else config_name, asynchronous=config_name in asynchronous))
    return result


def _variant_types(sagemaker: Any, config_name: str, arns: dict[str, str],
                   asynchronous: set[str]) -> dict[str, str] | None:
    """Variant name -> instance type of an endpoint config (production and shadow variants); None when the config
    no longer exists (ValidationException: AWS lets a config be deleted under a running endpoint). Records the
    config's ARN in `arns`, and its name in `asynchronous` when it configures asynchronous inference."""
    try:
        config = sagemaker.describe_endpoint_config(EndpointConfigName=config_name)
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") == "ValidationException":
            return None
        raise
    if config.get("EndpointConfigArn"):
        arns[config_name] = config["EndpointConfigArn"]
    if config.get("AsyncInferenceConfig"):
        asynchronous.add(config_name)
    return {v["VariantName"]: v["InstanceType"]
            for key in ("ProductionVariants", "ShadowProductionVariants")
            for v in config.get(key, []) if v.get("InstanceType")}


def notebooks(sagemaker: Any, accelerated: Callable[[str], bool]) -> InventoryResult:
    """InService notebook instances of accelerated types (type and creation time from the list response)."""
    result = InventoryResult()
    try:
        summaries = [s for page in pages(sagemaker.list_notebook_instances, "NextToken", StatusEquals="InService",
                                         MaxResults=SAGEMAKER_PAGE) for s in page.get("NotebookInstances", [])]
    except API_ERRORS as exc:
        return InventoryResult(errors=[_error(ALL, "ListNotebookInstances", exc)])
    for summary in summaries:
        instance_type = summary.get("InstanceType", "")
        if not accelerated(instance_type):
            continue
        arn = summary["NotebookInstanceArn"]
        # Started last when it was last modified (a start modifies it); created long before, maybe.
        started = max((t for t in (_utc(summary.get("CreationTime")), _utc(summary.get("LastModifiedTime")))
                       if t is not None), default=None)
        result.resources.append(Resource(
            kind=Kind.NOTEBOOK, id=summary["NotebookInstanceName"], arn=arn, account=_account(arn),
            region=sagemaker.meta.region_name, instance_type=instance_type, instance_count=1, launched_at=started,
            accelerated_types=(instance_type,)))
    return result


def training_jobs(sagemaker: Any, accelerated: Callable[[str], bool]) -> InventoryResult:
    """InProgress training jobs on accelerated types: instance type (or heterogeneous instance groups), count and
    start time from DescribeTrainingJob."""
    result = InventoryResult()
    try:
        summaries = [s for page in pages(sagemaker.list_training_jobs, "NextToken", StatusEquals="InProgress",
                                         MaxResults=SAGEMAKER_PAGE) for s in page.get("TrainingJobSummaries", [])]
    except API_ERRORS as exc:
        return InventoryResult(errors=[_error(ALL, "ListTrainingJobs", exc)])
    for summary in summaries:
        name, arn = summary["TrainingJobName"], summary["TrainingJobArn"]
        try:
            job = sagemaker.describe_training_job(TrainingJobName=name)
        except API_ERRORS as exc:
            result.errors.append(_error(name, "DescribeTrainingJob", exc))
            continue
        config = job.get("ResourceConfig", {})
        groups = config.get("InstanceGroups") or []
        fleet = tuple((g["InstanceType"], int(g.get("InstanceCount", 1))) for g in groups if g.get("InstanceType"))
        if not fleet and config.get("InstanceType"):
            fleet = ((config["InstanceType"], int(config.get("InstanceCount", 1))),)
        kept = tuple(dict.fromkeys(t for t, _ in fleet if accelerated(t)))
        if not kept:
            continue
        result.resources.append(Resource(
            kind=Kind.TRAINING_JOB, id=name, arn=arn, account=_account(arn), region=sagemaker.meta.region_name,
            instance_type=max(kept, key=_size_rank), instance_count=sum(c for _, c in fleet),
            launched_at=_utc(job.get("TrainingStartTime") or summary.get("CreationTime")), fleet=fleet,
            accelerated_types=kept))
    return result


def _ec2_resource(instance: dict[str, Any], owner: str, region: str) -> Resource:
    instance_id = instance["InstanceId"]
    notes = []
    if instance.get("InstanceLifecycle") == "spot":
        notes.append("a spot instance, priced at the on-demand rate (it costs less)")
    platform = str(instance.get("PlatformDetails") or instance.get("Platform") or "Linux/UNIX")
    if not platform.startswith("Linux"):
        notes.append(f"{platform}, priced as Linux (the license costs more)")
    return Resource(
        kind=Kind.EC2_INSTANCE, id=instance_id, arn=f"arn:aws:ec2:{region}:{owner}:instance/{instance_id}",
        account=owner, region=region, instance_type=instance["InstanceType"], instance_count=1,
        launched_at=_utc(instance.get("LaunchTime")), tags={t["Key"]: t["Value"] for t in instance.get("Tags", [])},
        accelerated_types=(instance["InstanceType"],), pricing_note="; ".join(notes))


def _error(resource: str, operation: str, exc: ClientError | BotoCoreError) -> InventoryError:
    code, message = describe_error(exc)
    return InventoryError(resource, operation, code, message)


def _account(arn: str) -> str:
    parts = arn.split(":")
    return parts[4] if len(parts) > 5 else ""


def _utc(value: Any) -> datetime | None:
    if not isinstance(value, datetime):
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


_SIZE = re.compile(r"(\d*)xlarge$")
_SMALL = {"nano": 0.05, "micro": 0.1, "small": 0.2, "medium": 0.3, "large": 0.5}


def _size_rank(instance_type: str) -> float:
    """Orders sizes: large < xlarge < 2xlarge < ... < 48xlarge; metal last."""
    size = instance_type.rsplit(".", 1)[-1]
    match = _SIZE.match(size)
    if match:
        return float(match.group(1) or 1)
    return 1000.0 if size.startswith("metal") else _SMALL.get(size, 0.0)
