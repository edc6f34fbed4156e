"""Inventory: the running accelerated resources of one account and region, with their tags.

Efficiency (API calls per scan and region; N = EC2 instances, R = their reservations, T = instance types offered
in the region, E = InService endpoints, C = their distinct endpoint configs, B = notebooks, J = training jobs):

- `accelerated_types`: DescribeInstanceTypes, MaxResults 100: ceil(T/100) calls (about 10 in a real region),
  once per scan and region; the caller keeps the result.
- `ec2_instances`: DescribeInstances with server-side filters (state `running`, `instance-type` = the exact
  accelerated names) and MaxResults 1000; tags come in the response. EC2 rejects more than 200 filter values in
  one call (`FilterLimitExceeded: The maximum number of filter values specified on a single call is 200`, the
  error AWS returns, e.g. github.com/gjbae1212/gossm/issues/47, convox/rack#2205; the API reference states no
  number), so the type names go in chunks of 199 (+1 state value): ceil(A/199) * max(1, ceil(R/1000)) calls for
  A accelerated type names (MaxResults counts reservations in moto; AWS documents it in instances). Exact names,
  not `g5.*`: AWS accepts wildcards but moto 5.2.5 silently matches nothing with them.
- `endpoints`: ListEndpoints(StatusEquals=InService, MaxResults=100) + per endpoint DescribeEndpoint (variants
  and their current instance counts; the summary has no instance type) + DescribeEndpointConfig for the instance
  types (cached by config name: C calls, C <= E) + ListTags (SageMaker list and describe responses carry no
  tags): ceil(E/100) + 2E + C calls, i.e. 3 per endpoint when each has its own config.
- `notebooks`: ListNotebookInstances(StatusEquals=InService, MaxResults=100) (the instance type is in the
  summary) + ListTags: ceil(B/100) + B.
- `training_jobs`: ListTrainingJobs(StatusEquals=InProgress, MaxResults=100) + DescribeTrainingJob (instance
  type, count, start time) + ListTags: ceil(J/100) + 2J.

Nothing here raises on an API error: each error is collected as an `InventoryError` (resource id, operation,
error code, message) next to the resources found; a failed list call stops that listing (resource id `*`),
a failed per-resource call drops that resource only. Only `accelerated_types` lets errors propagate: without the
type list the EC2 filter cannot be built, and the caller reports the region's EC2 inventory as failed.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from .model import Kind, Resource

__all__ = ["FILTER_VALUES_PER_CALL", "InventoryError", "InventoryResult", "accelerated_types", "ec2_instances",
           "endpoints", "notebooks", "training_jobs"]

FILTER_VALUES_PER_CALL = 200  # EC2 FilterLimitExceeded beyond 200 values in one call, all filters together
EC2_PAGE = 1000  # DescribeInstances MaxResults maximum
TYPES_PAGE = 100  # DescribeInstanceTypes MaxResults maximum
SAGEMAKER_PAGE = 100  # ListEndpoints / ListNotebookInstances / ListTrainingJobs MaxResults maximum
TAGS_PAGE = 50  # ListTags MaxResults maximum (a resource holds at most 50 tags: one call)
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


def accelerated_types(ec2: Any, fallback: Iterable[str] = ()) -> frozenset[str]:
    """The exact instance type names of the region that carry GPUs, inference accelerators or Neuron devices
    (DescribeInstanceTypes, paginated), plus the fallback: an entry with a dot is an exact type name (taken as is:
    moto lists no p3.2xlarge yet launches one), an entry without one is a family matched against every listed
    type (`p3` -> p3.2xlarge, p3.8xlarge, ...; for types listed without accelerator info). Call once per scan and
    region and keep the result. API errors propagate."""
    exact = {f for f in fallback if "." in f}
    families = {f for f in fallback if "." not in f}
    found: set[str] = set(exact)
    for page in _pages(ec2.describe_instance_types, "NextToken", MaxResults=TYPES_PAGE):
        for info in page.get("InstanceTypes", []):
            name = info["InstanceType"]
            if (info.get("GpuInfo") or info.get("InferenceAcceleratorInfo") or info.get("NeuronInfo")
                    or name.split(".", 1)[0] in families):
                found.add(name)
    return frozenset(found)


def ec2_instances(ec2: Any, accelerated: Iterable[str]) -> InventoryResult:
    """Running EC2 instances of the accelerated types, tags from the DescribeInstances response."""
    result = InventoryResult()
    names = sorted(set(accelerated))
    region = ec2.meta.region_name
    chunk = FILTER_VALUES_PER_CALL - 1  # one value goes to instance-state-name
    for start in range(0, len(names), chunk):
        filters = [{"Name": "instance-state-name", "Values": ["running"]},
                   {"Name": "instance-type", "Values": names[start:start + chunk]}]
        try:
            for page in _pages(ec2.describe_instances, "NextToken", Filters=filters, MaxResults=EC2_PAGE):
                for reservation in page.get("Reservations", []):
                    owner = reservation.get("OwnerId", "")
                    for instance in reservation.get("Instances", []):
                        result.resources.append(_ec2_resource(instance, owner, region))
        except (ClientError, BotoCoreError) as exc:
            result.errors.append(_error(ALL, "DescribeInstances", exc))
    return result


def endpoints(sagemaker: Any, accelerated: Iterable[str] | None = None) -> InventoryResult:
    """InService endpoints with their variants, instance counts, types and tags. With `accelerated` (EC2 type
    names), endpoints none of whose variants runs an accelerated type (`ml.` + name) are left out; serverless
    variants have no instance type."""
    result = InventoryResult()
    wanted = None if accelerated is None else frozenset(accelerated)
    configs: dict[str, dict[str, str]] = {}  # config name -> variant name -> instance type
    config_arns: dict[str, str] = {}  # config name -> ARN (act tags the config when it stops an endpoint)
    try:
        summaries = [s for page in _pages(sagemaker.list_endpoints, "NextToken", StatusEquals="InService",
                                          MaxResults=SAGEMAKER_PAGE) for s in page.get("Endpoints", [])]
    except (ClientError, BotoCoreError) as exc:
        return InventoryResult(errors=[_error(ALL, "ListEndpoints", exc)])
    for summary in summaries:
        name = summary["EndpointName"]
        operation = "DescribeEndpoint"
        try:
            endpoint = sagemaker.describe_endpoint(EndpointName=name)
            config_name = endpoint["EndpointConfigName"]
            if config_name not in configs:
                operation = "DescribeEndpointConfig"
                config = sagemaker.describe_endpoint_config(EndpointConfigName=config_name)
                configs[config_name] = {v["VariantName"]: v["InstanceType"]
                                        for v in config.get("ProductionVariants", []) if v.get("InstanceType")}
                if config.get("EndpointConfigArn"):
                    config_arns[config_name] = config["EndpointConfigArn"]
            types = configs[config_name]
            variants = tuple(v["VariantName"] for v in endpoint.get("ProductionVariants", []))
            running = [types[v] for v in variants if v in types]
            if not running or (wanted is not None and not any(t.removeprefix("ml.") in wanted for t in running)):
                continue
            operation = "ListTags"
            tags = _sagemaker_tags(sagemaker, endpoint["EndpointArn"])
        except (ClientError, BotoCoreError) as exc:
            result.errors.append(_error(name, operation, exc))
            continue
        count = sum(int(v.get("CurrentInstanceCount", 0)) for v in endpoint.get("ProductionVariants", []))
        result.resources.append(Resource(
            kind=Kind.ENDPOINT, id=name, arn=endpoint["EndpointArn"], account=_account(endpoint["EndpointArn"]),
            region=sagemaker.meta.region_name, instance_type=max(running, key=_size_rank), instance_count=count,
            launched_at=_utc(endpoint.get("CreationTime")), tags=tags, variants=variants,
            config_arn=config_arns.get(config_name)))
    return result


def notebooks(sagemaker: Any) -> InventoryResult:
    """InService notebook instances (type and creation time from the list response) with their tags."""
    result = InventoryResult()
    try:
        summaries = [s for page in _pages(sagemaker.list_notebook_instances, "NextToken", StatusEquals="InService",
                                          MaxResults=SAGEMAKER_PAGE) for s in page.get("NotebookInstances", [])]
    except (ClientError, BotoCoreError) as exc:
        return InventoryResult(errors=[_error(ALL, "ListNotebookInstances", exc)])
    for summary in summaries:
        name, arn = summary["NotebookInstanceName"], summary["NotebookInstanceArn"]
        try:
            tags = _sagemaker_tags(sagemaker, arn)
        except (ClientError, BotoCoreError) as exc:
            result.errors.append(_error(name, "ListTags", exc))
            continue
        result.resources.append(Resource(
            kind=Kind.NOTEBOOK, id=name, arn=arn, account=_account(arn), region=sagemaker.meta.region_name,
            instance_type=summary.get("InstanceType", ""), instance_count=1,
            launched_at=_utc(summary.get("CreationTime")), tags=tags))
    return result


def training_jobs(sagemaker: Any) -> InventoryResult:
    """InProgress training jobs: instance type, count and start time from DescribeTrainingJob, plus tags."""
    result = InventoryResult()
    try:
        summaries = [s for page in _pages(sagemaker.list_training_jobs, "NextToken", StatusEquals="InProgress",
                                          MaxResults=SAGEMAKER_PAGE) for s in page.get("TrainingJobSummaries", [])]
    except (ClientError, BotoCoreError) as exc:
        return InventoryResult(errors=[_error(ALL, "ListTrainingJobs", exc)])
    for summary in summaries:
        name, arn = summary["TrainingJobName"], summary["TrainingJobArn"]
        operation = "DescribeTrainingJob"
        try:
            job = sagemaker.describe_training_job(TrainingJobName=name)
            operation = "ListTags"
            tags = _sagemaker_tags(sagemaker, arn)
        except (ClientError, BotoCoreError) as exc:
            result.errors.append(_error(name, operation, exc))
            continue
        config = job.get("ResourceConfig", {})
        result.resources.append(Resource(
            kind=Kind.TRAINING_JOB, id=name, arn=arn, account=_account(arn), region=sagemaker.meta.region_name,
            instance_type=config.get("InstanceType", ""), instance_count=int(config.get("InstanceCount", 1)),
            launched_at=_utc(job.get("TrainingStartTime") or summary.get("CreationTime")), tags=tags))
    return result


def _pages(call: Callable[..., dict[str, Any]], token: str, **kwargs: Any) -> Iterator[dict[str, Any]]:
    while True:
        page = call(**kwargs)
        yield page
        next_token = page.get(token)
        if not next_token:
            return
        kwargs[token] = next_token


def _sagemaker_tags(sagemaker: Any, arn: str) -> dict[str, str]:
    tags: dict[str, str] = {}
    for page in _pages(sagemaker.list_tags, "NextToken", ResourceArn=arn, MaxResults=TAGS_PAGE):
        tags.update({t["Key"]: t["Value"] for t in page.get("Tags", [])})
    return tags


def _ec2_resource(instance: dict[str, Any], owner: str, region: str) -> Resource:
    instance_id = instance["InstanceId"]
    return Resource(
        kind=Kind.EC2_INSTANCE, id=instance_id, arn=f"arn:aws:ec2:{region}:{owner}:instance/{instance_id}",
        account=owner, region=region, instance_type=instance["InstanceType"], instance_count=1,
        launched_at=_utc(instance.get("LaunchTime")), tags={t["Key"]: t["Value"] for t in instance.get("Tags", [])})


def _error(resource: str, operation: str, exc: ClientError | BotoCoreError) -> InventoryError:
    if isinstance(exc, ClientError):
        err = exc.response.get("Error", {})
        return InventoryError(resource, operation, str(err.get("Code", "Unknown")), str(err.get("Message", exc)))
    return InventoryError(resource, operation, type(exc).__name__, str(exc))


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
