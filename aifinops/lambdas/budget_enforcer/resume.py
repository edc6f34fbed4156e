"""Resume: restore exactly what carries the paused mark, then remove the marks. Nothing else is touched.

Under the locks of the teams it resumes (locking.py): the team of the budget a mark names (else the resource's
team tag); a team whose lock another run holds is reported and left for the next resume.

- EC2 instance / notebook instance: started when stopped; already running -> only the marks go.
- Endpoint: CreateEndpoint again from the record on its endpoint config (same name, config and tags); already
  there -> only the record goes; still being deleted -> the record is kept for the next resume.
- Batch job queue: enabled again.
- Training job: never restarted (a new run must be started from its checkpoint by its owner): reported,
  and the mark removed.
The state (marks.py) goes to `resuming/<run>` before each restoring call, and every mark is removed after it
(`resumed`); a failed call leaves `resuming` and the marks, so the next resume retries. A mark left `pausing`
(the pause failed half way) is restored by what is found: running -> the marks go; stopped -> started.
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
from .locking import team_lock, under_locks
from .marks import RESUMING, EndpointRecord, State, decode_endpoint_records, month_of, parse_mark, state_key
from .policy import Policy
from .summary import Decision, Summary
from .tagging import add_tags, remove_tags

# kind -> (state to restore from, action, state that needs nothing but the mark removed)
RESTORE = {EC2_INSTANCE: ("stopped", "start-instance", {"running", "pending"}),
           NOTEBOOK: ("Stopped", "start-notebook", {"InService", "Pending", "Updating"}),
           JOB_QUEUE: ("DISABLED", "enable-queue", {"ENABLED"})}
OPERATIONS = {"start-instance": "StartInstances", "start-notebook": "StartNotebookInstance",
              "enable-queue": "UpdateJobQueue", "create-endpoint": "CreateEndpoint"}

__all__ = ["resume"]


def resume(*, policy: Policy, clients: Clients, now: datetime, regions: Sequence[str] | None = None,
           team: str | None = None, budgets: Collection[str] | None = None, trigger: str = "manual",
           accounts: AccountClients | None = None, lock_clients: Clients | None = None,
           dry_run: bool = False) -> Summary:
    """Resume what is marked, limited to `team` (its team tag) and/or marks of `budgets`, in every account of
    the policy (`clients`: the home account's; see `AccountClients`), under the teams' locks (the policy's
    table, reached with `lock_clients`, default `clients`). A dry run takes no lock and changes nothing: it
    lists what a resume would restore (result `planned`)."""
    accounts = accounts or AccountClients(clients, home_region=home_region(policy.regions))
    summary = Summary("resume", trigger=trigger, month=month_of(now), dry_run=dry_run)
    summary.triggers.append({"outcome": "resume", "team": team, "budgets": sorted(budgets) if budgets else None})
    tag = policy.paused_tag
    teams = [team] if team is not None else sorted({b.team for name, b in policy.budgets.items()
                                                    if budgets is None or name in budgets})

    def team_of(tags: Mapping[str, str | None], budget: str) -> str | None:
        target = policy.budgets.get(budget)
        return target.team if target is not None else tags.get(policy.team_tag)

    def marked(tags: Mapping[str, str | None]) -> bool:
        mark = parse_mark(tags.get(tag))
        return (mark is not None and (budgets is None or mark.budget in budgets)
                and (team is None or tags.get(policy.team_tag) == team))

    if dry_run:  # no lock: nothing changes
        for _, account_clients in accounts.each(policy, summary):
            for region in regions or policy.regions:
                _plan_region(account_clients, region, policy, summary, marked, team)
        return summary
    with under_locks(team_lock(policy, lock_clients or clients, summary.run), teams, summary,
                     region=policy.lock.region) as held:
        def selected(tags: Mapping[str, str | None]) -> bool:
            mark = parse_mark(tags.get(tag))
            return marked(tags) and mark is not None and team_of(tags, mark.budget) in held.teams

        if held.teams:
            for _, account_clients in accounts.each(policy, summary):
                for region in regions or policy.regions:
                    _resume_region(account_clients, region, policy, summary, selected, team, held.keep)
    return summary


def _marked(clients: Clients, region: str, policy: Policy, summary: Summary,
            team: str | None) -> list[Workload] | None:
    """Every resource of one region carrying the paused mark (endpoint configs hold their endpoints' records);
    None when the inventory failed (recorded as an error)."""
    tag = policy.paused_tag
    try:
        found = tagged_resources(clients, region, [{"Key": tag}],
                                 (EC2_INSTANCE, NOTEBOOK, TRAINING_JOB, ENDPOINT_CONFIG))
        return found + job_queues(clients, region, lambda tags: tag in tags)
    except (ClientError, BotoCoreError) as exc:
        summary.error(kind="inventory", region=region, resource=team or "*", operation="GetResources", exc=exc)
        return None


def _resume_region(clients: Clients, region: str, policy: Policy, summary: Summary,
                   selected: Callable[[Mapping[str, str | None]], bool], team: str | None,
                   keep: Callable[[], None]) -> None:
    found = _marked(clients, region, policy, summary, team)
    if found is None:
        return
    for config in (w for w in found if w.kind == ENDPOINT_CONFIG):
        keep()
        _resume_endpoints(clients, config, policy, summary, selected)
    for w in describe(clients, [w for w in found if w.kind != ENDPOINT_CONFIG and selected(w.tags)], summary):
        keep()  # the teams' leases; LockLost ends the run
        _resume_one(clients, w, policy.paused_tag, summary)


def _plan_region(clients: Clients, region: str, policy: Policy, summary: Summary,
                 selected: Callable[[Mapping[str, str | None]], bool], team: str | None) -> None:
    """A dry run's view of one region: what a resume would restore, read only."""
    tag = policy.paused_tag
    found = _marked(clients, region, policy, summary, team)
    if found is None:
        return
    for config in (w for w in found if w.kind == ENDPOINT_CONFIG):
        records, _ = decode_endpoint_records(tag, config.tags)
        for r in records:
            if selected({**r.tags, tag: config.tags.get(tag)}):
                summary.decide(Decision(kind=ENDPOINT, region=region, resource=r.endpoint, name=r.endpoint,
                                        action="create-endpoint", result="planned",
                                        reason=f"dry run: would recreate it from {r.config}"))
    for w in (w for w in found if w.kind != ENDPOINT_CONFIG and selected(w.tags)):
        action = "report-training-job" if w.kind == TRAINING_JOB else RESTORE[w.kind][1]
        summary.decide(Decision(kind=w.kind, region=w.region, resource=w.arn, name=w.name, action=action,
                                result="planned", reason="dry run: nothing changed"))


def _resume_one(clients: Clients, w: Workload, tag: str, summary: Summary) -> None:
    def decide(action: str, result: str, reason: str) -> None:
        summary.decide(Decision(kind=w.kind, region=w.region, resource=w.arn, name=w.name, action=action,
                                result=result, reason=reason))

    marks = [tag, state_key(tag)]
    if w.kind == TRAINING_JOB:
        if _unmark(clients, w, marks, summary):
            return decide("report-training-job", "done",
                          f"not-restarted: training jobs are never restarted ({w.state or 'state unknown'}); "
                          "start a new one from its checkpoint")
        return decide("report-training-job", "failed", "removing the mark failed")
    paused_state, action, running = RESTORE[w.kind]
    if w.state in running:
        if _unmark(clients, w, marks, summary):
            return decide("unmark", "done", f"already-running: {w.state}")
        return decide("unmark", "failed", "removing the mark failed")
    if w.state != paused_state:
        return decide(action, "skipped", f"not-paused-yet: {w.state or 'unknown state'}; mark kept for the next resume")
    if not _resuming(clients, w, state_key(tag), summary):
        return decide(action, "failed", f"marking it {RESUMING} failed; nothing restored, mark kept")
    try:
        if action == "start-instance":
            clients.client("ec2", w.region).start_instances(InstanceIds=[w.name])
        elif action == "start-notebook":
            clients.client("sagemaker", w.region).start_notebook_instance(NotebookInstanceName=w.name)
        else:
            clients.client("batch", w.region).update_job_queue(jobQueue=w.arn, state="ENABLED")
    except (ClientError, BotoCoreError) as exc:
        summary.error(kind=w.kind, region=w.region, resource=w.arn, operation=OPERATIONS[action], exc=exc)
        return decide(action, "failed", f"{OPERATIONS[action]} failed; mark kept, state {RESUMING} (the next resume "
                                        "retries)")
    if _unmark(clients, w, marks, summary):
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
    resuming = State(RESUMING, summary.run).value
    try:
        add_tags(clients, kind=ENDPOINT_CONFIG, region=config.region, arn=config_arn, name=target.name,
                 tags={state_key(policy.paused_tag, r.endpoint): resuming for r in mine})
    except (ClientError, BotoCoreError) as exc:
        summary.error(kind=ENDPOINT_CONFIG, region=config.region, resource=config_arn, operation="TagResource",
                      exc=exc)
        for r in mine:
            summary.decide(Decision(kind=ENDPOINT, region=config.region, resource=r.endpoint, name=r.endpoint,
                                    action="create-endpoint", result="failed",
                                    reason=f"marking it {RESUMING} failed; nothing restored, record kept"))
        return
    restored = [r for r in mine if _recreate(clients, target, r, summary)]
    left = len(records) - len(restored) + len(problems)
    keys = [k for r in restored for k in (*r.keys, state_key(policy.paused_tag, r.endpoint))]
    keys += [policy.paused_tag] if left == 0 else []
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
        if status == "Deleting":  # the pause's DeleteEndpoint is still under way: removing the record would lose it
            return decide("create-endpoint", "skipped", "not-paused-yet: Deleting; record kept for the next resume")
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


def _resuming(clients: Clients, w: Workload, key: str, summary: Summary) -> bool:
    """The state `resuming/<run>` before a restoring call; False (an error recorded) when it could not be set."""
    try:
        add_tags(clients, kind=w.kind, region=w.region, arn=w.arn, name=w.name,
                 tags={key: State(RESUMING, summary.run).value})
    except (ClientError, BotoCoreError, ValueError) as exc:
        summary.error(kind=w.kind, region=w.region, resource=w.arn, operation="TagResource", exc=exc)
        return False
    return True


def _unmark(clients: Clients, w: Workload, keys: list[str], summary: Summary) -> bool:
    try:
        remove_tags(clients, kind=w.kind, region=w.region, arn=w.arn, name=w.name, keys=keys)
    except (ClientError, BotoCoreError) as exc:
        summary.error(kind=w.kind, region=w.region, resource=w.arn, operation="UntagResource", exc=exc)
        return False
    return True
