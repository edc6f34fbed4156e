"""Find workloads by tag: one paginated Resource Groups Tagging API pass for EC2 and SageMaker, then the
service's Describe for state; Batch job queues from DescribeJobQueues (state and tags in one pass).

A Describe that fails is recorded in the summary (error + failed decision) and the run goes on."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, replace
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from .clients import Clients
from .kinds import EC2_INSTANCE, ENDPOINT, JOB_QUEUE, NOTEBOOK, TAGGING_TYPES, TRAINING_JOB
from .summary import Decision, Summary
from .tagging import sagemaker_tags, tag_dict

EC2_CHUNK = 100

__all__ = ["EndpointState", "Workload", "describe", "is_gone", "job_queues", "tagged_resources"]


@dataclass(frozen=True)
class EndpointState:
    config_name: str
    config_arn: str
    config_tags: Mapping[str, str]
    hosts_components: bool  # variants without a model: inference components (not paused, see actions.py)


@dataclass(frozen=True)
class Workload:
    kind: str
    region: str
    arn: str
    name: str
    tags: Mapping[str, str]
    state: str = ""  # as the service spells it: running, InService, InProgress, ENABLED, ...
    instance_type: str = ""
    endpoint: EndpointState | None = None


def tagged_resources(clients: Clients, region: str, tag_filters: list[dict[str, Any]],
                     kinds: Iterable[str]) -> list[Workload]:
    """Resources of `kinds` matching `tag_filters` (GetResources semantics; none: every tagged resource of those
    kinds), tags included, not yet described."""
    types = [t for t, kind in TAGGING_TYPES.items() if kind in set(kinds)]
    paginator = clients.client("resourcegroupstaggingapi", region).get_paginator("get_resources")
    found = []
    filters: dict[str, Any] = {"TagFilters": tag_filters} if tag_filters else {}
    for page in paginator.paginate(**filters, ResourceTypeFilters=types):
        for item in page.get("ResourceTagMappingList", []):
            arn = item["ResourceARN"]
            kind = _kind_of(arn)
            if kind:
                found.append(Workload(kind=kind, region=region, arn=arn, name=arn.rsplit("/", 1)[-1],
                                      tags=tag_dict(item.get("Tags"))))
    return found


def job_queues(clients: Clients, region: str, wanted: Callable[[Mapping[str, str]], bool]) -> list[Workload]:
    paginator = clients.client("batch", region).get_paginator("describe_job_queues")
    return [Workload(kind=JOB_QUEUE, region=region, arn=q["jobQueueArn"], name=q["jobQueueName"],
                     tags=dict(q.get("tags") or {}), state=q.get("state", ""))
            for page in paginator.paginate() for q in page.get("jobQueues", []) if wanted(q.get("tags") or {})]


def describe(clients: Clients, workloads: list[Workload], summary: Summary) -> list[Workload]:
    """Add state (and instance type, endpoint config) to each workload; drop those that are gone."""
    described: list[Workload] = []
    instances = [w for w in workloads if w.kind == EC2_INSTANCE]
    for start in range(0, len(instances), EC2_CHUNK):
        chunk = instances[start:start + EC2_CHUNK]
        try:
            described += _describe_instances(clients, chunk)
        except (ClientError, BotoCoreError) as exc:
            for w in chunk:
                _failed(summary, w, "DescribeInstances", exc)
    for w in workloads:
        if w.kind == EC2_INSTANCE:
            continue
        if w.kind not in _SAGEMAKER:  # job queues come described; endpoint configs need no state
            described.append(w)
            continue
        operation, describer = _SAGEMAKER[w.kind]
        try:
            described.append(describer(clients.client("sagemaker", w.region), w))
        except ClientError as exc:
            if not is_gone(exc):
                _failed(summary, w, operation, exc)
        except BotoCoreError as exc:
            _failed(summary, w, operation, exc)
    return described


def _describe_instances(clients: Clients, chunk: list[Workload]) -> list[Workload]:
    by_id = {w.name: w for w in chunk}
    ec2 = clients.client("ec2", chunk[0].region)
    found = []
    # Filter by id rather than InstanceIds=: an id that is gone then drops out instead of failing the call.
    for page in ec2.get_paginator("describe_instances").paginate(
            Filters=[{"Name": "instance-id", "Values": list(by_id)}]):
        for reservation in page.get("Reservations", []):
            for instance in reservation.get("Instances", []):
                w = by_id.get(instance["InstanceId"])
                if w:
                    found.append(replace(w, state=instance.get("State", {}).get("Name", ""),
                                         instance_type=instance.get("InstanceType", "")))
    return found


def _notebook(sagemaker: Any, w: Workload) -> Workload:
    info = sagemaker.describe_notebook_instance(NotebookInstanceName=w.name)
    return replace(w, name=info.get("NotebookInstanceName", w.name), state=info.get("NotebookInstanceStatus", ""),
                   instance_type=info.get("InstanceType", ""))


def _training_job(sagemaker: Any, w: Workload) -> Workload:
    info = sagemaker.describe_training_job(TrainingJobName=w.name)
    return replace(w, name=info.get("TrainingJobName", w.name), state=info.get("TrainingJobStatus", ""),
                   instance_type=(info.get("ResourceConfig") or {}).get("InstanceType", ""))


def _endpoint(sagemaker: Any, w: Workload) -> Workload:
    info = sagemaker.describe_endpoint(EndpointName=w.name)
    config = sagemaker.describe_endpoint_config(EndpointConfigName=info["EndpointConfigName"])
    variants = config.get("ProductionVariants") or []
    tags = sagemaker_tags(sagemaker, config["EndpointConfigArn"])
    state = EndpointState(config_name=config["EndpointConfigName"], config_arn=config["EndpointConfigArn"],
                          config_tags=tags, hosts_components=any(not v.get("ModelName") for v in variants))
    return replace(w, name=info.get("EndpointName", w.name), state=info.get("EndpointStatus", ""),
                   instance_type=",".join(v.get("InstanceType", "") for v in variants), endpoint=state)


_SAGEMAKER: dict[str, tuple[str, Callable[[Any, Workload], Workload]]] = {
    NOTEBOOK: ("DescribeNotebookInstance", _notebook),
    TRAINING_JOB: ("DescribeTrainingJob", _training_job),
    ENDPOINT: ("DescribeEndpoint", _endpoint),
}


def _kind_of(arn: str) -> str | None:
    parts = arn.split(":", 5)
    if len(parts) < 6:
        return None
    return TAGGING_TYPES.get(f"{parts[2]}:{parts[5].split('/', 1)[0]}")


def is_gone(exc: ClientError) -> bool:
    """SageMaker answers ValidationException "Could not find ..." / ResourceNotFound for a deleted resource."""
    error = exc.response.get("Error", {})
    message = str(error.get("Message", "")).lower()
    return error.get("Code") in ("ResourceNotFound", "ValidationException") and (
        "could not find" in message or "not found" in message or "recordnotfound" in message)


def _failed(summary: Summary, w: Workload, operation: str, exc: BaseException) -> None:
    summary.error(kind=w.kind, region=w.region, resource=w.arn, operation=operation, exc=exc)
    summary.decide(Decision(kind=w.kind, region=w.region, resource=w.arn, name=w.name, action="none",
                            result="failed", reason=f"{operation} failed"))
