"""Resume: restore exactly what carries the paused mark, then remove the mark. Nothing else is touched.

- EC2 instance / notebook instance: started when stopped; already running -> only the mark goes.
- Endpoint: CreateEndpoint again from the record on its endpoint config (same name, config and tags).
- Batch job queue: enabled again.
- Training job: never restarted (a new run must be started from its checkpoint by its owner): reported,
  and the mark removed.
A resource still on its way down (stopping) keeps its mark and is reported, so the next resume gets it.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence
from datetime import datetime
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from .clients import AccountClients, Clients, home_region
from .inventory import Workload, describe, is_gone, job_queues, tagged_resources
from .kinds import EC2_INSTANCE, ENDPOINT, ENDPOINT_CONFIG, JOB_QUEUE, NOTEBOOK, TRAINING_JOB
from .marks import EndpointRecord, decode_endpoint_records, month_of, parse_mark
from .policy import Policy
from .summary import Decision, Summary
from .tagging import remove_tags

# kind -> (state to restore from, action, state that needs nothing but the mark removed)
RESTORE = {EC2_INSTANCE: ("stopped", "start-instance", {"running", "pending"}),
           NOTEBOOK: ("Stopped", "start-notebook", {"InService", "Pending", "Updating"}),
           JOB_QUEUE: ("DISABLED", "enable-queue", {"ENABLED"})}
OPERATIONS = {"start-instance": "StartInstances", "start-notebook": "StartNotebookInstance",
              "enable-queue": "UpdateJobQueue", "create-endpoint": "CreateEndpoint"}

__all__ = ["resume"]


def resume(*, policy: Policy, clients: Clients, now: datetime, regions: Sequence[str] | None = None,
           team: str | None = None, budgets: Collection[str] | None = None, trigger: str = "manual",
           accounts: AccountClients | None = None) -> Summary:
    """Resume what is marked, limited to `team` (its team tag) and/or marks of `budgets`, in every account of
    the policy (`clients`: the home account's; see `AccountClients`)."""
    accounts = accounts or AccountClients(clients, home_region=home_region(policy.regions))
    summary = Summary("resume", trigger=trigger, month=month_of(now))
    summary.triggers.append({"outcome": "resume", "team": team, "budgets": sorted(budgets) if budgets else None})
    tag = policy.paused_tag

    def selected(tags: Mapping[str, str | None]) -> bool:
        mark = parse_mark(tags.get(tag))
        return (mark is not None and (budgets is None or mark.budget in budgets)
                and (team is None or tags.get(policy.team_tag) == team))

    for _, account_clients in accounts.each(policy, summary):
        for region in regions or policy.regions:
            _resume_region(account_clients, region, policy, summary, selected, team)
    return summary


def _resume_region(clients: Clients, region: str, policy: Policy, summary: Summary,
                   selected: Callable[[Mapping[str, str | None]], bool], team: str | None) -> None:
    tag = policy.paused_tag
    try:
        found = tagged_resources(clients, region, [{"Key": tag}],
                                 (EC2_INSTANCE, NOTEBOOK, TRAINING_JOB, ENDPOINT_CONFIG))
        found += job_queues(clients, region, lambda tags: tag in tags)
    except (ClientError, BotoCoreError) as exc:
        summary.error(kind="inventory", region=region, resource=team or "*", operation="GetResources", exc=exc)
        return
    for config in (w for w in found if w.kind == ENDPOINT_CONFIG):
        _resume_endpoints(clients, config, policy, summary, selected)
    for w in describe(clients, [w for w in found if w.kind != ENDPOINT_CONFIG and selected(w.tags)], summary):
        _resume_one(clients, w, tag, summary)


def _resume_one(clients: Clients, w: Workload, tag: str, summary: Summary) -> None:
    def decide(action: str, result: str, reason: str) -> None:
        summary.decide(Decision(kind=w.kind, region=w.region, resource=w.arn, name=w.name, action=action,
                                result=result, reason=reason))

    if w.kind == TRAINING_JOB:
        if _unmark(clients, w, [tag], summary):
            return decide("report-training-job", "done",
                          f"not-restarted: training jobs are never restarted ({w.state or 'state unknown'}); "
                          "start a new one from its checkpoint")
        return decide("report-training-job", "failed", "removing the mark failed")
    paused_state, action, running = RESTORE[w.kind]
    if w.state in running:
        if _unmark(clients, w, [tag], summary):
            return decide("unmark", "done", f"already-running: {w.state}")
        return decide("unmark", "failed", "removing the mark failed")
    if w.state != paused_state:
        return decide(action, "skipped", f"not-paused-yet: {w.state or 'unknown state'}; mark kept for the next resume")
    try:
        if action == "start-instance":
            clients.client("ec2", w.region).start_instances(InstanceIds=[w.name])
        elif action == "start-notebook":
            clients.client("sagemaker", w.region).start_notebook_instance(NotebookInstanceName=w.name)
        else:
            clients.client("batch", w.region).update_job_queue(jobQueue=w.arn, state="ENABLED")
    except (ClientError, BotoCoreError) as exc:
        summary.error(kind=w.kind, region=w.region, resource=w.arn, operation=OPERATIONS[action], exc=exc)
        return decide(action, "failed", f"{OPERATIONS[action]} failed; mark kept")
    if _unmark(clients, w, [tag], summary):
        return decide(action, "done", f"restored: was {w.state}")
    decide(action, "failed", "restored, but removing the mark failed")


def _resume_endpoints(clients: Clients, config: Workload, policy: Policy, summary: Summary,
                      selected: Callable[[Mapping[str, str | None]], bool]) -> None:
    """Recreate the endpoints recorded on one endpoint config; the config's mark goes with its last record."""
    records, problems = decode_endpoint_records(policy.paused_tag, config.tags)
    for problem in problems:
        summary.error(kind=ENDPOINT_CONFIG, region=config.region, resource=config.name, operation="DecodeRecord",
                      exc=ValueError(problem))
    mine = [r for r in records if selected({**r.tags, policy.paused_tag: config.tags.get(policy.paused_tag)})]
    if not mine:
        return
    sagemaker = clients.client("sagemaker", config.region)
    try:  # the ARN from the tagging API is not trusted (moto garbles it): ask SageMaker by name
        config_arn = sagemaker.describe_endpoint_config(EndpointConfigName=mine[0].config)["EndpointConfigArn"]
    except (ClientError, BotoCoreError) as exc:
        summary.error(kind=ENDPOINT_CONFIG, region=config.region, resource=mine[0].config,
                      operation="DescribeEndpointConfig", exc=exc)
        for r in mine:
            summary.decide(Decision(kind=ENDPOINT, region=config.region, resource=r.endpoint, name=r.endpoint,
                                    action="create-endpoint", result="failed",
                                    reason="DescribeEndpointConfig failed; record kept"))
        return
    target = Workload(kind=ENDPOINT_CONFIG, region=config.region, arn=config_arn, name=mine[0].config, tags=config.tags)
    restored = [r for r in mine if _recreate(clients, target, r, summary)]
    left = len(records) - len(restored) + len(problems)
    keys = [k for r in restored for k in r.keys] + ([policy.paused_tag] if left == 0 else [])
    if keys:
        _unmark(clients, target, keys, summary)  # on failure: reported; the next resume finds them back already


def _recreate(clients: Clients, config: Workload, record: EndpointRecord, summary: Summary) -> bool:
    sagemaker = clients.client("sagemaker", config.region)
    arn = f"{config.arn.split(':endpoint-config/')[0]}:endpoint/{record.endpoint.lower()}"

    def decide(action: str, result: str, reason: str) -> bool:
        summary.decide(Decision(kind=ENDPOINT, region=config.region, resource=arn, name=record.endpoint,
                                action=action, result=result, reason=reason))
        return result == "done"

    try:
        status = sagemaker.describe_endpoint(EndpointName=record.endpoint).get("EndpointStatus", "")
        return decide("unmark", "done", f"already-exists: {status}; record removed")
    except ClientError as exc:
        if not is_gone(exc):
            summary.error(kind=ENDPOINT, region=config.region, resource=arn, operation="DescribeEndpoint", exc=exc)
            return decide("create-endpoint", "failed", "DescribeEndpoint failed; record kept")
    except BotoCoreError as exc:
        summary.error(kind=ENDPOINT, region=config.region, resource=arn, operation="DescribeEndpoint", exc=exc)
        return decide("create-endpoint", "failed", "DescribeEndpoint failed; record kept")
    kwargs: dict[str, Any] = {"EndpointName": record.endpoint, "EndpointConfigName": record.config}
    if record.tags:
        kwargs["Tags"] = [{"Key": k, "Value": v} for k, v in record.tags.items()]
    try:
        sagemaker.create_endpoint(**kwargs)
    except (ClientError, BotoCoreError) as exc:
        summary.error(kind=ENDPOINT, region=config.region, resource=arn, operation="CreateEndpoint", exc=exc)
        return decide("create-endpoint", "failed", "CreateEndpoint failed; record kept")
    return decide("create-endpoint", "done", f"recreated from endpoint config {record.config}")


def _unmark(clients: Clients, w: Workload, keys: list[str], summary: Summary) -> bool:
    try:
        remove_tags(clients, kind=w.kind, region=w.region, arn=w.arn, name=w.name, keys=keys)
    except (ClientError, BotoCoreError) as exc:
        summary.error(kind=w.kind, region=w.region, resource=w.arn, operation="UntagResource", exc=exc)
        return False
    return True
