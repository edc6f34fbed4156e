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

Order, under the team's lock (lock.py): 1. mark (the paused mark and the state `pausing/<run>`; for an endpoint
also its record), 2. read the marks back from the service and compare (nothing destructive happens unless
they read back as written: an endpoint is deleted only once its record decodes to its config and tags), 3. act,
4. state `paused/<run>`. A failed action (the service refused it) removes the marks again, but only when they
still carry this run's id; a failed rollback leaves `pausing`, which the next pause retries and resume restores
by what it finds. A call that got no answer (a timeout: it may have acted) keeps the marks. An endpoint's
record is never removed by a pause, a failed one included: only the resume that restored the endpoint removes it.
Idempotent: a resource marked `paused` this month is skipped, whatever its state (someone restarted it by hand
after the pause: respect that); one left `pausing` is acted on again; stopped, deleted or disabled resources are
skipped as not running.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from botocore.exceptions import BotoCoreError, ClientError

from .clients import Clients
from .inventory import Workload
from .kinds import EC2_INSTANCE, ENDPOINT, JOB_QUEUE, NOTEBOOK, TRAINING_JOB
from .marking import mark_for_pause, roll_back, set_state
from .marks import PAUSED, PAUSING, Mark, State, endpoint_record, parse_mark, parse_state, state_key
from .near_miss import critical_by
from .policy import Policy
from .summary import Decision, Summary

NONE = "none"
PAUSE_ACTIONS = {EC2_INSTANCE: "stop-instance", NOTEBOOK: "stop-notebook", TRAINING_JOB: "stop-training-job",
                 ENDPOINT: "delete-endpoint", JOB_QUEUE: "disable-queue"}
OPERATIONS = {"stop-instance": "StopInstances", "stop-notebook": "StopNotebookInstance",
              "stop-training-job": "StopTrainingJob", "delete-endpoint": "DeleteEndpoint",
              "disable-queue": "UpdateJobQueue"}
RUNNING = {EC2_INSTANCE: {"running"}, NOTEBOOK: {"InService"}, TRAINING_JOB: {"InProgress"},
           ENDPOINT: {"InService", "OutOfService"}, JOB_QUEUE: {"ENABLED"}}

__all__ = ["PAUSE_ACTIONS", "Plan", "decide_pause", "pause_one", "pause_state", "paused_mark"]


@dataclass(frozen=True)
class Plan:
    action: str  # one of PAUSE_ACTIONS' values, or "none"
    reason: str


def paused_mark(w: Workload, paused_tag: str) -> Mark | None:
    """The mark of this resource; for an endpoint, its config's mark when the config holds its record."""
    if w.kind == ENDPOINT and w.endpoint is not None:
        if endpoint_record(paused_tag, w.name, w.endpoint.config_tags) is None:
            return None
        return parse_mark(w.endpoint.config_tags.get(paused_tag))
    return parse_mark(w.tags.get(paused_tag))


def pause_state(w: Workload, paused_tag: str) -> State | None:
    """The state of the resource's pause (for an endpoint: kept on its config); None when there is none."""
    if w.kind == ENDPOINT and w.endpoint is not None:
        return parse_state(w.endpoint.config_tags.get(state_key(paused_tag, w.name)))
    return parse_state(w.tags.get(state_key(paused_tag)))


def decide_pause(w: Workload, *, policy: Policy, month: str, accelerated: Mapping[str, bool]) -> Plan:
    """Pure: what to do with one workload of the team whose budget is spent."""
    critical = critical_by(w.tags, policy)
    if critical is not None:
        lookalike = "" if critical == policy.critical_tag else f" (looks like {policy.critical_tag}: fix the key)"
        return Plan(NONE, f"critical: tagged {critical}={w.tags[critical].strip()}{lookalike}")
    mark, state = paused_mark(w, policy.paused_tag), pause_state(w, policy.paused_tag)
    left = ""  # a pause (or resume) of this month that did not finish
    if mark is not None and mark.month == month:
        if state is None or state.phase == PAUSED:
            return Plan(NONE, f"paused-this-month: already marked {mark.value}")
        left = f"; left {state.phase} by run {state.run}"
    if w.kind not in PAUSE_ACTIONS:
        return Plan(NONE, f"unsupported kind {w.kind}")
    if w.state not in RUNNING[w.kind]:
        restores = " (resume restores it)" if left and state is not None and state.phase == PAUSING else ""
        return Plan(NONE, f"not-running: {w.state or 'unknown state'}{left}{restores}")
    if w.kind == EC2_INSTANCE and not accelerated.get(w.instance_type, False):
        return Plan(NONE, f"not-accelerated: {w.instance_type}")
    if w.kind == ENDPOINT and w.endpoint is not None and w.endpoint.hosts_components:
        return Plan(NONE, "inference-components: scales to zero by itself; not deleted")
    retried = ", retried" if left and state is not None and state.phase == PAUSING else ""
    return Plan(PAUSE_ACTIONS[w.kind], f"in-use: {w.state}{left}{retried}")


def pause_one(clients: Clients, w: Workload, plan: Plan, *, mark: Mark, policy: Policy, summary: Summary,
              dry_run: bool = False) -> None:
    def decide(result: str, reason: str) -> None:
        summary.decide(Decision(kind=w.kind, region=w.region, resource=w.arn, name=w.name, action=plan.action,
                                result=result, reason=reason))

    if plan.action == NONE:
        return decide("skipped", plan.reason)
    if dry_run:
        return decide("planned", f"{plan.reason} (dry run: nothing changed)")
    marked = mark_for_pause(clients, w, mark=mark, policy=policy, summary=summary)
    if marked.problem:
        return decide("failed", f"{marked.problem}: nothing paused; the next run retries")
    operation = OPERATIONS[plan.action]
    try:
        _act(clients, w, plan.action)
    except ClientError as exc:  # refused: nothing happened
        summary.error(kind=w.kind, region=w.region, resource=w.arn, operation=operation, exc=exc)
        if w.kind == ENDPOINT:
            return decide("failed", f"{operation} failed; the endpoint's record is kept, state {PAUSING} (the next "
                                    "pause retries; resume finds the endpoint running)")
        return decide("failed", f"{operation} failed; {roll_back(clients, marked, summary=summary)}")
    except BotoCoreError as exc:  # no answer: it may have acted
        summary.error(kind=w.kind, region=w.region, resource=w.arn, operation=operation, exc=exc)
        return decide("failed", f"{operation} got no answer; marks kept, state {PAUSING} (the next pause retries; "
                                "resume restores what it finds)")
    done = f"{plan.reason}; marked {policy.paused_tag}={mark.value}"
    if not set_state(clients, marked, State(PAUSED, summary.run), summary=summary):
        return decide("done", f"{done}; its state stays {PAUSING} (resume restores it all the same)")
    decide("done", done)


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
