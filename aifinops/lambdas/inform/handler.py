"""Lambda entry points of the Inform functions (one asset, two handlers, like the budget enforcer):

- ``handler.collect_handler``: daily (EventBridge schedule). Cost Explorer -> the AiFinOps metrics (`collect`).
- ``handler.report_handler``: weekly. Every team's report, or ``{"team": "<name>"}``'s alone (`deliver`).

Both log their summary as one JSON line and return it. Environment: AIFINOPS_INFORM_POLICY (optional, overrides
the bundled policy file), AIFINOPS_MAX_ATTEMPTS (boto3 retries), AWS_ENDPOINT_URL (tests only). Cost Explorer,
Budgets and the bound on Cost Explorer requests are global (us-east-1); CloudWatch and S3 are the function's region.
"""

from __future__ import annotations

if not __package__:  # pragma: no cover - exercised by tests/e2e in a subprocess, the way Lambda loads it
    from aifinops_runtime.bootstrap import load_as_package

    __package__ = load_as_package(__file__, "inform")

import logging
import os
from datetime import UTC, datetime
from typing import Any

from aifinops_runtime.clients import ClientFactory as _Factory
from aifinops_runtime.logs import JsonLog

from .ce import CostExplorer
from .collect import cloudwatch_outcome_reader, collect, publish
from .deliver import deliver_reports
from .policy import load_policy
from .weekly import cloudwatch_guard_reader

GLOBAL_REGION = "us-east-1"  # Cost Explorer and Budgets
_log = JsonLog("aifinops.inform", "aifinops-inform")

__all__ = ["collect_handler", "report_handler"]


class ClientFactory(_Factory):
    USER_AGENT = "aifinops-inform"


def utcnow() -> datetime:
    """The clock of both handlers (tests freeze it, as they do the guard's)."""
    return datetime.now(UTC)


def _region() -> str:
    return os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or GLOBAL_REGION


def collect_handler(event: Any, context: Any) -> dict[str, Any]:
    _log.configure()
    policy, clients, region = load_policy(), ClientFactory(), _region()
    ce = CostExplorer(clients.client("ce", GLOBAL_REGION), policy.max_cost_explorer_requests)
    cloudwatch = clients.client("cloudwatch", region)
    collection = collect(ce, policy, utcnow(), cloudwatch_outcome_reader(cloudwatch, policy.account))
    calls = publish(cloudwatch, collection)
    summary = collection.summary(policy.max_cost_explorer_requests, calls)
    _log.event("spend collected", logging.ERROR if collection.errors else logging.INFO, summary=summary)
    return summary


def report_handler(event: Any, context: Any) -> dict[str, Any]:
    _log.configure()
    policy, clients, region = load_policy(), ClientFactory(), _region()
    ce = CostExplorer(clients.client("ce", GLOBAL_REGION), policy.max_cost_explorer_requests)
    team = event.get("team") if isinstance(event, dict) else None
    now = utcnow()
    guard = cloudwatch_guard_reader({r: clients.client("cloudwatch", r) for r in policy.regions or (region,)},
                                    policy.guard_accounts, policy.account)
    delivery = deliver_reports(ce=ce, s3=clients.client("s3", region), sns=clients.client("sns", region),
                               budgets=clients.client("budgets", GLOBAL_REGION), policy=policy, today=now.date(),
                               now=now, region=region, guard_reader=guard, teams=[team] if team else None)
    summary = delivery.to_json(ce.requests)
    _log.event("team reports delivered", logging.ERROR if delivery.failed else logging.INFO, summary=summary)
    return summary
