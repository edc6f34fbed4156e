"""Pause orchestration: a Budgets notification (confirmed with DescribeBudget, in the home account) or a manual
decision -> the team's lock (locking.py; a dry run takes none) -> the budget's workloads in every policy account
and region -> near misses reported -> decide and act -> summary.

The budget's workloads: one pass over every tagged resource of the paused kinds (the tagging API; Batch job
queues from DescribeJobQueues), kept when the team (and project) tag matches exactly, or through a near miss
of the key (`Team=search`), which is reported and never acted on (near_miss.py). The tagging API cannot filter
on a misspelt key, hence no TagFilters: one call per 100 tagged resources of those kinds."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from .accelerators import accelerated_types
from .actions import NONE, decide_pause, pause_one
from .clients import AccountClients, Clients
from .clients import home_region as default_home_region
from .confirmation import confirm_spend
from .inventory import Workload, describe, job_queues, tagged_resources
from .kinds import EC2_INSTANCE, ENDPOINT, NOTEBOOK, TRAINING_JOB
from .locking import team_lock, under_locks
from .marks import Mark, month_of
from .near_miss import TEAM_UNCERTAIN, critical_by, tag_reading
from .notification import Unrecognised, parse_notification, sns_messages
from .policy import BudgetTarget, Policy
from .summary import Decision, Summary, log_event

PAUSED_KINDS = (EC2_INSTANCE, NOTEBOOK, TRAINING_JOB, ENDPOINT)  # plus Batch job queues

__all__ = ["pause_budget", "pause_for_event"]


def pause_for_event(event: Any, *, policy: Policy, clients: Clients, home_region: str, now: datetime,
                    regions: Sequence[str] | None = None, accounts: AccountClients | None = None,
                    lock_clients: Clients | None = None) -> Summary:
    """The Lambda path: every SNS message of the event names a budget; act only on confirmed ones.
    `clients`: the home account's; `accounts` (default: built on them) reaches the policy's accounts;
    `lock_clients` (default: `clients`) reach the policy's lock table, which keeps other runs of a team out."""
    accounts = accounts or AccountClients(clients, home_region=home_region)
    summary = Summary("pause", trigger="notification", month=month_of(now))
    messages = sns_messages(event)
    if not messages:
        _ignore(summary, "not an SNS event", excerpt=str(event)[:200])
    for message in messages:
        parsed = parse_notification(message.message, message.subject)
        ids = {"messageId": message.message_id, "topicArn": message.topic_arn}
        if isinstance(parsed, Unrecognised):
            _ignore(summary, parsed.reason, excerpt=message.message[:200], **ids)
            continue
        target = policy.budgets.get(parsed.budget_name)
        if target is None:
            _ignore(summary, "not a budget of this deployment", notification=parsed.to_dict(), **ids)
            continue
        if not target.pause:
            _ignore(summary, "critical team: automatic pause is off (notify only)", notification=parsed.to_dict(),
                    **ids)
            continue
        try:
            account = accounts.home_account()
            confirmation = confirm_spend(clients.client("budgets", home_region), account, target.name,
                                         policy.action_percent)
        except (ClientError, BotoCoreError) as exc:
            summary.error(kind="budget", region=home_region, resource=target.name, operation="DescribeBudget",
                          exc=exc, account=_known(accounts))
            _ignore(summary, "budget could not be confirmed (API error)", notification=parsed.to_dict(), **ids)
            continue
        entry: dict[str, Any] = {"budget": target.name, "team": target.team, "project": target.project,
                 "notification": parsed.to_dict(), "confirmation": confirmation.to_dict(), **ids}
        if not confirmation.confirmed:
            _ignore(summary, f"not confirmed: {confirmation.reason}", **entry)
            continue
        summary.triggers.append({"outcome": "pause", **entry})
        log_event("budget confirmed: pausing", **entry)
        pause_budget(target, policy=policy, clients=clients, now=now, regions=regions, summary=summary,
                     accounts=accounts, lock_clients=lock_clients)
    return summary


def pause_budget(target: BudgetTarget, *, policy: Policy, clients: Clients, now: datetime,
                 regions: Sequence[str] | None = None, summary: Summary | None = None,
                 dry_run: bool = False, accounts: AccountClients | None = None,
                 lock_clients: Clients | None = None) -> Summary:
    """Pause the non-critical workloads of the budget's team (and project) in every account of the policy
    (`clients`: the home account's; see `AccountClients`), under the team's lock (the policy's table, reached
    with `lock_clients`, default `clients`; a dry run takes none): the manual path starts here."""
    accounts = accounts or AccountClients(clients, home_region=default_home_region(policy.regions))
    if summary is None:
        summary = Summary("pause", trigger="manual", month=month_of(now), dry_run=dry_run)
        summary.triggers.append({"outcome": "pause", "budget": target.name, "team": target.team,
                                 "project": target.project,
                                 "confirmation": {"confirmed": None, "reason": "manual pause: no budget check"}})
    mark = Mark(target.name, month_of(now))
    if dry_run:
        summary.locks.append({"team": target.team, "result": "not taken (dry run)"})
        _pause_accounts(accounts, target, policy=policy, mark=mark, summary=summary, regions=regions, dry_run=True,
                        keep=lambda: None)
        return summary
    with under_locks(team_lock(policy, lock_clients or clients, summary.run), [target.team], summary,
                     region=policy.lock.region) as held:
        if target.team in held.teams:
            _pause_accounts(accounts, target, policy=policy, mark=mark, summary=summary, regions=regions,
                            dry_run=False, keep=held.keep)
    return summary


def _pause_accounts(accounts: AccountClients, target: BudgetTarget, *, policy: Policy, mark: Mark, summary: Summary,
                    regions: Sequence[str] | None, dry_run: bool, keep: Callable[[], None]) -> None:
    for _, account_clients in accounts.each(policy, summary):
        for region in regions or policy.regions:
            _pause_region(account_clients, region, target, policy=policy, mark=mark, summary=summary,
                          dry_run=dry_run, keep=keep)


def _pause_region(clients: Clients, region: str, target: BudgetTarget, *, policy: Policy, mark: Mark,
                  summary: Summary, dry_run: bool, keep: Callable[[], None]) -> None:
    try:
        workloads = _workloads(clients, region, policy, target, summary)
    except (ClientError, BotoCoreError) as exc:
        summary.error(kind="inventory", region=region, resource=target.team, operation="GetResources", exc=exc)
        return
    # Critical resources are reported without spending Describe calls on them.
    critical = [w for w in workloads if critical_by(w.tags, policy) is not None]
    others = [w for w in workloads if critical_by(w.tags, policy) is None]
    described = critical + describe(clients, others, summary)
    accelerated = _accelerated(clients, region, described)
    for w in described:
        plan = decide_pause(w, policy=policy, month=mark.month, accelerated=accelerated)
        if plan.action != NONE and not dry_run:
            keep()  # the team's lease: renewed when half of it is gone; LockLost ends the run
        pause_one(clients, w, plan, mark=mark, policy=policy, summary=summary, dry_run=dry_run)


def _known(accounts: AccountClients) -> str | None:
    try:
        return accounts.home_account()
    except (ClientError, BotoCoreError):
        return None


def _workloads(clients: Clients, region: str, policy: Policy, target: BudgetTarget,
               summary: Summary) -> list[Workload]:
    """The budget's workloads (not yet described); near misses among them recorded, the uncertain ones
    (matched through a near miss of the team or project key) decided as skipped here."""
    wanted = {policy.team_tag: target.team}
    if target.project is not None:
        wanted[policy.project_tag] = target.project
    found = tagged_resources(clients, region, [], PAUSED_KINDS) + job_queues(clients, region, lambda tags: True)
    workloads = []
    for w in found:
        reading = tag_reading(w.tags, wanted, policy)
        if reading is None:
            continue
        for miss in reading.misses:
            summary.near_miss(kind=w.kind, region=region, resource=w.arn, name=w.name, miss=miss.to_dict())
        if reading.uncertain:
            said = "; ".join(m.says() for m in reading.misses if m.effect == TEAM_UNCERTAIN)
            summary.decide(Decision(kind=w.kind, region=region, resource=w.arn, name=w.name, action=NONE,
                                    result="skipped", reason=f"near-miss: {said}: not paused, its team is "
                                                             "uncertain; fix the key"))
            continue
        workloads.append(w)
    return workloads


def _accelerated(clients: Clients, region: str, workloads: list[Workload]) -> dict[str, bool]:
    types = {w.instance_type for w in workloads if w.kind == EC2_INSTANCE and w.instance_type}
    return accelerated_types(clients.client("ec2", region), types) if types else {}


def _ignore(summary: Summary, reason: str, **fields: Any) -> None:
    summary.triggers.append({"outcome": "ignored", "reason": reason, **fields})
    log_event("notification ignored", logging.WARNING, reason=reason, **fields)
