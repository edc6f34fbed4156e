"""The run summary: counts, one decision per resource, API errors. Logged as one JSON line and returned.

Fields (the contract; new ones are added, none renamed): operation, trigger, month, dryRun, triggers, counts
(resources, done, planned, skipped, failed, errors, nearMisses), actions, decisions, errors; and `run` (this run's
id: the lock owner and the run recorded in marks), `locks` (per team: taken, busy with its holder, lost, not
taken in a dry run) and `nearMisses` (tag keys that look like the enforcer's or a cost tag key, see
near_miss.py; each also logged as a WARNING line). A team whose lock is held by another run is an error
(operation AcquireLock, code LockBusy) and nothing of it is acted on.

Logging: JSON lines on stdout through the logger `aifinops.budget_enforcer`. The Lambda entry point calls
`configure_logging()`; a library caller (the CLI) does not, and then INFO lines are not printed at all. A
metrics line in CloudWatch embedded metric format (EMF) precedes the summary line: namespace
aifinops/BudgetEnforcer, dimension Operation (pause | resume), metrics ResourcesActedOn, ResourcesSkipped,
ActionErrors, NearMisses, DurationMs — alarm on ActionErrors.
"""

from __future__ import annotations

import logging
import secrets
import time
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

from botocore.exceptions import ClientError

from aifinops_runtime.logs import JsonLog

LOGGER_NAME = "aifinops.budget_enforcer"
SERVICE = "aifinops-budget-enforcer"
METRIC_NAMESPACE = "aifinops/BudgetEnforcer"
RESULTS = ("done", "planned", "skipped", "failed")  # planned: dry run

__all__ = ["LOGGER_NAME", "METRIC_NAMESPACE", "Decision", "Summary", "configure_logging", "log_event", "new_run_id"]

_log = JsonLog(LOGGER_NAME, SERVICE)
configure_logging = _log.configure
log_event = _log.event


def new_run_id() -> str:
    """`<UTC time>-<8 hex>`: sortable, unique enough, and fit for any tag value (letters, digits, '-')."""
    return f"{datetime.now(UTC).strftime('%Y%m%dT%H%M%SZ')}-{secrets.token_hex(4)}"


@dataclass(frozen=True)
class Decision:
    """What was decided for one resource. result: done | planned | skipped | failed."""

    kind: str
    region: str
    resource: str  # ARN (or name when the resource is gone, e.g. a paused endpoint)
    name: str
    action: str  # stop-instance, stop-notebook, stop-training-job, delete-endpoint, disable-queue, start-..., none
    result: str
    reason: str
    account: str | None = None  # set by `Summary.decide` from the account being acted in

    def to_dict(self) -> dict[str, str | None]:
        return {"account": self.account, "kind": self.kind, "region": self.region, "resource": self.resource,
                "id": self.name, "action": self.action, "result": self.result, "reason": self.reason}


@dataclass
class Summary:
    operation: str  # pause | resume
    trigger: str  # notification | manual | schedule
    month: str
    dry_run: bool = False
    triggers: list[dict[str, Any]] = field(default_factory=list)
    decisions: list[Decision] = field(default_factory=list)
    errors: list[dict[str, str | None]] = field(default_factory=list)
    started: float = field(default_factory=time.monotonic)
    # The account being acted in (set by clients.AccountClients.each); stamped on every decision and error.
    account: str | None = None
    run: str = field(default_factory=new_run_id)
    locks: list[dict[str, Any]] = field(default_factory=list)
    near_misses: list[dict[str, Any]] = field(default_factory=list)

    def decide(self, decision: Decision) -> None:
        if decision.account is None and self.account is not None:
            decision = replace(decision, account=self.account)
        self.decisions.append(decision)

    def error(self, *, kind: str, region: str, resource: str, operation: str, exc: BaseException,
              account: str | None = None) -> None:
        """Record an API error (of `account`, default the current one); the run goes on with the next resource."""
        if isinstance(exc, ClientError):
            err = exc.response.get("Error", {})
            code, message = str(err.get("Code") or "ClientError"), str(err.get("Message") or exc)
        else:
            code, message = type(exc).__name__, str(exc)
        record: dict[str, str | None] = {"account": account or self.account, "kind": kind, "region": region,
                                         "resource": resource, "operation": operation, "code": code,
                  "message": message[:500]}
        self.errors.append(record)
        log_event("API error", logging.ERROR, error=record)

    def near_miss(self, *, kind: str, region: str, resource: str, name: str, miss: Mapping[str, str]) -> None:
        """Record (and log) a tag key that looks like one of ours on a resource of the current account."""
        record = {"account": self.account, "kind": kind, "region": region, "resource": resource, "id": name, **miss}
        self.near_misses.append(record)
        log_event("near-miss tag key", logging.WARNING, nearMiss=record)

    def counts(self) -> dict[str, int]:
        results = Counter(d.result for d in self.decisions)
        counts = {"resources": len(self.decisions), **{r: results[r] for r in RESULTS}, "errors": len(self.errors),
                  "nearMisses": len(self.near_misses)}
        return counts

    def to_dict(self) -> dict[str, Any]:
        actions = Counter(d.action for d in self.decisions if d.result == "done")
        return {"operation": self.operation, "trigger": self.trigger, "month": self.month, "dryRun": self.dry_run,
                "run": self.run, "triggers": self.triggers, "counts": self.counts(),
                "actions": dict(sorted(actions.items())), "decisions": [d.to_dict() for d in self.decisions],
                "errors": self.errors, "locks": self.locks, "nearMisses": self.near_misses}

    def log(self) -> dict[str, Any]:
        """Log the metrics (EMF, a small line of their own, so a long summary line cannot lose them), then the
        summary as one JSON line; return the summary."""
        summary = self.to_dict()
        counts = summary["counts"]
        metrics = {"ResourcesActedOn": counts["done"], "ResourcesSkipped": counts["skipped"],
                   "ActionErrors": counts["errors"], "NearMisses": counts["nearMisses"],
                   "DurationMs": int((time.monotonic() - self.started) * 1000)}
        _log.metrics(f"{self.operation} metrics", METRIC_NAMESPACE, metrics, dimensions={"Operation": self.operation},
                     units={"DurationMs": "Milliseconds"})
        log_event(f"{self.operation} summary", summary=summary)
        return summary
