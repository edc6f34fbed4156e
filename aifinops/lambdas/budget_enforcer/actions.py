"""Pause: decide (pure), then act and mark. One resource's failure never stops the others.

What "pause" means per kind:
- EC2 instance: StopInstances, accelerated types only (accelerators.py); CPU instances are left alone.
- Notebook instance: StopNotebookInstance (the ML storage volume is kept).
- Training job: StopTrainingJob (SageMaker saves the model artifacts so far); resume never restarts it.
- Endpoint: DeleteEndpoint, keeping its endpoint config and model; the mark and a record of the endpoint
  (name, config, tags) go on the endpoint config so resume can CreateEndpoint it again (marks.py). A plain
  endpoint cannot scale to zero: UpdateEndpointWeightsAndCapacities refuses DesiredInstanceCount=0 and
  UpdateEndpoint needs at least one instance. Endpoints hosting inference components (variants without a
  model) are skipped: they scale to zero through their own managed scaling, and deleting them would delete
  the components. Auto scaling registered on a deleted endpoint's variant stays registered and applies again
  when the endpoint comes back under the same name.
- Batch job queue: UpdateJobQueue state=DISABLED; running jobs finish, queued jobs wait.

Order: mark, then act; when the act fails, the mark written for it is removed again, so a retry acts again.
Idempotent: a resource already marked this month is skipped, whatever its state (someone restarted it by
hand after the pause: respect that); stopped, deleted or disabled resources are skipped as not running.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from botocore.exceptions import BotoCoreError, ClientError

from .clients import Clients
from .inventory import Workload
from .kinds import EC2_INSTANCE, ENDPOINT, ENDPOINT_CONFIG, JOB_QUEUE, NOTEBOOK, TRAINING_JOB
from .marks import Mark, decode_endpoint_records, encode_endpoint_record, parse_mark
from .policy import Policy
from .summary import Decision, Summary
from .tagging import add_tags, remove_tags

NONE = "none"
PAUSE_ACTIONS = {EC2_INSTANCE: "stop-instance", NOTEBOOK: "stop-notebook", TRAINING_JOB: "stop-training-job",
                 ENDPOINT: "delete-endpoint", JOB_QUEUE: "disable-queue"}
OPERATIONS = {"stop-instance": "StopInstances", "stop-notebook": "StopNotebookInstance",
              "stop-training-job": "StopTrainingJob", "delete-endpoint": "DeleteEndpoint",
              "disable-queue": "UpdateJobQueue"}
RUNNING = {EC2_INSTANCE: {"running"}, NOTEBOOK: {"InService"}, TRAINING_JOB: {"InProgress"},
           ENDPOINT: {"InService", "OutOfService"}, JOB_QUEUE: {"ENABLED"}}

__all__ = ["PAUSE_ACTIONS", "Plan", "decide_pause", "is_critical", "pause_one", "paused_mark"]


@dataclass(frozen=True)
class Plan:
    action: str  # one of PAUSE_ACTIONS' values, or "none"
    reason: str


def is_critical(tags: Mapping[str, str], critical_tag: str) -> bool:
    return tags.get(critical_tag, "").strip().lower() == "true"


def paused_mark(w: Workload, paused_tag: str) -> Mark | None:
    """The mark of this resource; for an endpoint, its config's mark when the config holds its record."""
    if w.kind == ENDPOINT and w.endpoint is not None:
        records, _ = decode_endpoint_records(paused_tag, w.endpoint.config_tags)
        if not any(r.endpoint == w.name for r in records):
            return None
        return parse_mark(w.endpoint.config_tags.get(paused_tag))
    return parse_mark(w.tags.get(paused_tag))


def decide_pause(w: Workload, *, policy: Policy, month: str, accelerated: Mapping[str, bool]) -> Plan:
    """Pure: what to do with one workload of the team whose budget is spent."""
    if is_critical(w.tags, policy.critical_tag):
        return Plan(NONE, f"critical: tagged {policy.critical_tag}=true")
    mark = paused_mark(w, policy.paused_tag)
    if mark is not None and mark.month == month:
        return Plan(NONE, f"paused-this-month: already marked {mark.value}")
    if w.kind not in PAUSE_ACTIONS:
        return Plan(NONE, f"unsupported kind {w.kind}")
    if w.state not in RUNNING[w.kind]:
        return Plan(NONE, f"not-running: {w.state or 'unknown state'}")
    if w.kind == EC2_INSTANCE and not accelerated.get(w.instance_type, False):
        return Plan(NONE, f"not-accelerated: {w.instance_type}")
    if w.kind == ENDPOINT and w.endpoint is not None and w.endpoint.hosts_components:
        return Plan(NONE, "inference-components: scales to zero by itself; not deleted")
    return Plan(PAUSE_ACTIONS[w.kind], f"in-use: {w.state}")


def pause_one(clients: Clients, w: Workload, plan: Plan, *, mark: Mark, policy: Policy, summary: Summary,
              dry_run: bool = False) -> None:
    def decide(result: str, reason: str) -> None:
        summary.decide(Decision(kind=w.kind, region=w.region, resource=w.arn, name=w.name, action=plan.action,
                                result=result, reason=reason))

    if plan.action == NONE:
        return decide("skipped", plan.reason)
    if dry_run:
        return decide("planned", f"{plan.reason} (dry run: nothing changed)")
    target, tags = _mark_target(w, mark, policy)
    existing = target.tags
    try:
        add_tags(clients, kind=target.kind, region=w.region, arn=target.arn, name=target.name, tags=tags,
                 existing=existing)
    except (ClientError, BotoCoreError, ValueError) as exc:
        summary.error(kind=w.kind, region=w.region, resource=target.arn, operation="TagResource", exc=exc)
        return decide("failed", "marking failed: nothing paused")
    try:
        _act(clients, w, plan.action)
    except (ClientError, BotoCoreError) as exc:
        summary.error(kind=w.kind, region=w.region, resource=w.arn, operation=OPERATIONS[plan.action], exc=exc)
        added = [k for k, v in tags.items() if existing.get(k) != v]
        try:
            remove_tags(clients, kind=target.kind, region=w.region, arn=target.arn, name=target.name, keys=added)
        except (ClientError, BotoCoreError) as untag_exc:
            summary.error(kind=w.kind, region=w.region, resource=target.arn, operation="UntagResource",
                          exc=untag_exc)
        return decide("failed", f"{OPERATIONS[plan.action]} failed")
    decide("done", f"{plan.reason}; marked {policy.paused_tag}={mark.value}")


def _mark_target(w: Workload, mark: Mark, policy: Policy) -> tuple[Workload, dict[str, str]]:
    """Where the mark goes: the resource itself, or for an endpoint its config (with the endpoint record)."""
    tags = {policy.paused_tag: mark.value}
    if w.kind != ENDPOINT or w.endpoint is None:
        return w, tags
    tags.update(encode_endpoint_record(policy.paused_tag, w.name, w.endpoint.config_name, w.tags))
    config = Workload(kind=ENDPOINT_CONFIG, region=w.region, arn=w.endpoint.config_arn, name=w.endpoint.config_name,
                      tags=w.endpoint.config_tags)
    return config, tags


def _act(clients: Clients, w: Workload, action: str) -> None:
    if action == "stop-instance":
        clients.client("ec2", w.region).stop_instances(InstanceIds=[w.name])
    elif action == "stop-notebook":
        clients.client("sagemaker", w.region).stop_notebook_instance(NotebookInstanceName=w.name)
    elif action == "stop-training-job":
        clients.client("sagemaker", w.region).stop_training_job(TrainingJobName=w.name)
    elif action == "delete-endpoint":
        clients.client("sagemaker", w.region).delete_endpoint(EndpointName=w.name)
    elif action == "disable-queue":
        clients.client("batch", w.region).update_job_queue(jobQueue=w.arn, state="DISABLED")
    else:
        raise ValueError(f"unknown action {action}")
