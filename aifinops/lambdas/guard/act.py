"""Act: apply decisions, batched, idempotent, dry-run honoured. Never raises on an API error: each failure is
collected (resource, operation, code, message) and the rest is still handled.

- The guard tags written are the decision's `tags_to_write` (decide leaves out what the 50-tag limit has no room
  for); values: `<violation>` = the reason codes joined with "+", `<stop-after>` = format_utc(deadline),
  `<stopped-by>` = "<reasons> <ISO time>".
- MARK: violation + stop-after. EC2: one CreateTags per distinct set of values and per EC2_BATCH ids; SageMaker:
  AddTags per resource (one ARN a call).
- UNMARK: delete those two tags (EC2 DeleteTags batched like CreateTags; SageMaker DeleteTags per resource).
- STOP: EC2 StopInstances, EC2_BATCH ids a call, then the audit tags (stopped-by; with grace 0 also the marks)
  on the instances that were running (one CreateTags per batch and set of values). A batch call that fails is
  repeated one instance at a time, so one instance the role may not stop (UnauthorizedOperation) or that vanished
  meanwhile does not spare the others. Stops go first (EC2 stop batches, then SageMaker stops): when the time
  budget runs out, what is left unreached is the cheaper work.
  Notebooks: StopNotebookInstance then AddTags; training jobs: StopTrainingJob then AddTags.
  Endpoints have no stop: the endpoint is deleted, its endpoint config and model are kept. The audit tag goes
  on the endpoint config *before* the delete (no tag, no delete, unless the config has no room for another tag:
  then the delete goes ahead and the summary says which tag was not written): `<stopped-by>` =
  "<reasons> <ISO time> endpoint:<endpoint name>"; recreate with
  `aws sagemaker create-endpoint --endpoint-name <name> --endpoint-config-name <config>`.
- A tag write refused for the tag limit (EC2 TagLimitExceeded) is no error: the summary lists the tag as not
  written (`unwritten`); the action itself stands.
- NOTIFY / NONE: nothing here (the digest lists them).

Tag values use only characters SageMaker allows (letters, digits, spaces, _.:/=+-@). Idempotency: a resource
is acted on at most once per call (keyed by ARN); the inventory lists running resources only, so a stopped one is
never seen again, and an instance StopInstances reports as already stopping/stopped counts as "skipped".
EC2_BATCH: CreateTags documents "up to 1000 resource IDs" per call; StopInstances documents no maximum and
uses the same size.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from .clients import Clients
from .decide import format_utc
from .model import Action, Decision, Kind
from .policy import GuardPolicy

__all__ = ["EC2_BATCH", "ActError", "ActOutcome", "apply"]

EC2_BATCH = 1000
DONE, PLANNED, SKIPPED, FAILED, NOT_REACHED = "done", "planned", "skipped", "failed", "not-reached"
_ACTING = (Action.MARK, Action.UNMARK, Action.STOP)


@dataclass(frozen=True)
class ActError:
    resource: str
    kind: str
    region: str
    operation: str
    code: str
    message: str


@dataclass
class ActOutcome:
    results: dict[str, str] = field(default_factory=dict)  # resource ARN -> done | planned | skipped | failed | ...
    errors: list[ActError] = field(default_factory=list)
    unwritten: dict[str, tuple[str, ...]] = field(default_factory=dict)  # ARN -> guard tags refused (tag limit)


# Error codes (and, for SageMaker, which has no code of its own for it, message words) of a refused tag limit.
TAG_LIMIT_CODES = ("TagLimitExceeded", "ResourceLimitExceeded")


def reasons_value(decision: Decision) -> str:
    return "+".join(decision.reasons)


def tag_values(decision: Decision, policy: GuardPolicy, now: datetime) -> dict[str, str]:
    """The guard tags the decision writes, with their values (see the module docstring)."""
    defaults = {Action.MARK: (policy.violation_tag, policy.stop_after_tag), Action.STOP: (policy.stopped_by_tag,)}
    keys = decision.tags_to_write if (decision.tags_to_write or decision.unwritable_tags) else defaults.get(
        decision.action, ())
    values = {policy.violation_tag: reasons_value(decision),
              policy.stopped_by_tag: f"{reasons_value(decision)} {format_utc(now)}"}
    if decision.stop_after is not None:
        values[policy.stop_after_tag] = format_utc(decision.stop_after)
    return {key: values[key] for key in keys if key in values}


def is_tag_limit(exc: ClientError | BotoCoreError) -> bool:
    if not isinstance(exc, ClientError):
        return False
    err = exc.response.get("Error", {})
    code, message = str(err.get("Code", "")), str(err.get("Message", "")).lower()
    return code in TAG_LIMIT_CODES or (code == "ValidationException" and "tag" in message and (
        "limit" in message or "maximum" in message or "exceed" in message))


def apply(decisions: Iterable[Decision], clients: Clients, policy: GuardPolicy, *, now: datetime, dry_run: bool,
          expired: Callable[[], bool] = lambda: False) -> ActOutcome:
    """Apply MARK / UNMARK / STOP decisions (one region or several). `expired` is checked between batches:
    once true, what is left is reported as not-reached."""
    outcome = ActOutcome()
    todo: dict[str, Decision] = {}
    for d in decisions:
        if d.action in _ACTING and d.resource.arn not in todo:
            todo[d.resource.arn] = d
    if dry_run:
        outcome.results = {arn: PLANNED for arn in todo}
        return outcome
    ec2: dict[tuple[str, Action], list[Decision]] = defaultdict(list)
    for d in todo.values():
        if d.resource.kind is Kind.EC2_INSTANCE:
            ec2[(d.resource.region, d.action)].append(d)
    for (region, action), group in sorted(ec2.items(), key=lambda kv: (kv[0][1] is not Action.STOP, kv[0])):
        client = clients.client("ec2", region)
        for start in range(0, len(group), EC2_BATCH):
            batch = group[start:start + EC2_BATCH]
            if expired():
                outcome.results.update({d.resource.arn: NOT_REACHED for d in batch})
                continue
            if action is Action.STOP:
                _ec2_stop(client, batch, policy, now, outcome)
            elif action is Action.MARK:
                _ec2_tag(client, batch, policy, now, outcome, result=True)
            else:
                _ec2_call(client, "DeleteTags", batch, outcome,
                          Tags=[{"Key": policy.violation_tag}, {"Key": policy.stop_after_tag}])
    for d in sorted(todo.values(), key=lambda d: d.action is not Action.STOP):  # stops first: they save money
        if d.resource.kind is Kind.EC2_INSTANCE:
            continue
        if expired():
            outcome.results[d.resource.arn] = NOT_REACHED
            continue
        _sagemaker(clients.client("sagemaker", d.resource.region), d, policy, now, outcome)
    return outcome


def _ec2_call(client: Any, operation: str, batch: list[Decision], outcome: ActOutcome, *, result: bool = True,
              **kwargs: Any) -> None:
    """One CreateTags / DeleteTags for the batch; when it fails, one call per instance isolates the failure (an
    instance terminated meanwhile fails the whole call). With `result`, sets each result: done or failed. An audit
    tag (not `result`) refused for the tag limit is listed as unwritten, not as an error."""
    try:
        getattr(client, _snake(operation))(Resources=[d.resource.id for d in batch], **kwargs)
    except (ClientError, BotoCoreError) as exc:
        if len(batch) == 1:
            if not result and is_tag_limit(exc):
                outcome.unwritten[batch[0].resource.arn] = tuple(t["Key"] for t in kwargs.get("Tags", []))
            else:
                _fail(outcome, batch[0], operation, exc, result=result)
        else:
            for d in batch:
                _ec2_call(client, operation, [d], outcome, result=result, **kwargs)
        return
    if result:
        outcome.results.update({d.resource.arn: DONE for d in batch})


def _ec2_tag(client: Any, batch: list[Decision], policy: GuardPolicy, now: datetime, outcome: ActOutcome, *,
             result: bool) -> None:
    """One CreateTags per distinct set of guard tags (their values) in the batch."""
    groups: dict[tuple[tuple[str, str], ...], list[Decision]] = defaultdict(list)
    for d in batch:
        groups[tuple(tag_values(d, policy, now).items())].append(d)
    for pairs, group in groups.items():
        if pairs:
            _ec2_call(client, "CreateTags", group, outcome, result=result,
                      Tags=[{"Key": k, "Value": v} for k, v in pairs])
        elif result:
            outcome.results.update({d.resource.arn: DONE for d in group})


def _ec2_stop(client: Any, batch: list[Decision], policy: GuardPolicy, now: datetime, outcome: ActOutcome) -> None:
    stopped: list[Decision] = []
    try:
        stopped += _stop_instances(client, batch, outcome)
    except (ClientError, BotoCoreError) as exc:
        if len(batch) == 1:
            _fail(outcome, batch[0], "StopInstances", exc)
        else:  # isolate the failing instance(s): one at a time
            for d in batch:
                try:
                    stopped += _stop_instances(client, [d], outcome)
                except (ClientError, BotoCoreError) as one:
                    _fail(outcome, d, "StopInstances", one)
    outcome.results.update({d.resource.arn: DONE for d in stopped})
    _ec2_tag(client, stopped, policy, now, outcome, result=False)  # a failed audit tag is an error; the stop stands


def _stop_instances(client: Any, batch: list[Decision], outcome: ActOutcome) -> list[Decision]:
    """StopInstances for the batch: the decisions of the instances it stopped (previously running)."""
    response = client.stop_instances(InstanceIds=[d.resource.id for d in batch])
    previous = {i["InstanceId"]: i.get("PreviousState", {}).get("Name") for i in response.get("StoppingInstances", [])}
    stopped = []
    for d in batch:
        if previous.get(d.resource.id, "running") in ("running", "pending"):
            stopped.append(d)
        else:
            outcome.results[d.resource.arn] = SKIPPED  # already stopping or stopped: not ours
    return stopped


def _sagemaker(sm: Any, d: Decision, policy: GuardPolicy, now: datetime, outcome: ActOutcome) -> None:
    r = d.resource
    operation = "AddTags"
    try:
        if d.action is Action.MARK:
            sm.add_tags(ResourceArn=r.arn, Tags=_tag_list(tag_values(d, policy, now)))
        elif d.action is Action.UNMARK:
            operation = "DeleteTags"
            sm.delete_tags(ResourceArn=r.arn, TagKeys=[policy.violation_tag, policy.stop_after_tag])
        else:
            stamp = f"{reasons_value(d)} {format_utc(now)}"
            if r.kind is Kind.ENDPOINT:
                config_arn = r.config_arn  # from the inventory; describe only when it is missing
                if config_arn is None:
                    operation = "DescribeEndpoint"
                    config = sm.describe_endpoint(EndpointName=r.id)["EndpointConfigName"]
                    operation = "DescribeEndpointConfig"
                    config_arn = sm.describe_endpoint_config(EndpointConfigName=config)["EndpointConfigArn"]
                operation = "AddTags"
                try:
                    sm.add_tags(ResourceArn=config_arn, Tags=[{"Key": policy.stopped_by_tag,
                                                               "Value": f"{stamp} endpoint:{r.id}"}])
                except ClientError as exc:
                    if not is_tag_limit(exc):
                        raise
                    outcome.unwritten[r.arn] = (policy.stopped_by_tag,)
                operation = "DeleteEndpoint"
                sm.delete_endpoint(EndpointName=r.id)
            else:
                if r.kind is Kind.NOTEBOOK:
                    operation = "StopNotebookInstance"
                    sm.stop_notebook_instance(NotebookInstanceName=r.id)
                else:
                    operation = "StopTrainingJob"
                    sm.stop_training_job(TrainingJobName=r.id)
                outcome.results[r.arn] = DONE  # stopped: a failed audit tag below is an error, the stop stands
                values = tag_values(d, policy, now)
                if values:
                    operation = "AddTags"
                    try:
                        sm.add_tags(ResourceArn=r.arn, Tags=_tag_list(values))
                    except (ClientError, BotoCoreError) as exc:
                        if is_tag_limit(exc):
                            outcome.unwritten[r.arn] = tuple(values)
                        else:
                            _fail(outcome, d, operation, exc, result=False)
    except (ClientError, BotoCoreError) as exc:
        _fail(outcome, d, operation, exc)
        return
    outcome.results[r.arn] = DONE


def _fail(outcome: ActOutcome, d: Decision, operation: str, exc: ClientError | BotoCoreError, *,
          result: bool = True) -> None:
    if isinstance(exc, ClientError):
        err = exc.response.get("Error", {})
        code, message = str(err.get("Code", "Unknown")), str(err.get("Message", exc))
    else:
        code, message = type(exc).__name__, str(exc)
    if result:
        outcome.results[d.resource.arn] = FAILED
    outcome.errors.append(ActError(d.resource.id, d.resource.kind.value, d.resource.region, operation, code,
                                   message[:500]))


def _tag_list(values: dict[str, str]) -> list[dict[str, str]]:
    return [{"Key": k, "Value": v} for k, v in values.items()]


def _snake(operation: str) -> str:
    return "".join(f"_{c.lower()}" if c.isupper() else c for c in operation).lstrip("_")
