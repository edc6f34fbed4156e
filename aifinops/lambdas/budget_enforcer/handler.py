"""Lambda entry points of the budget enforcer.

- ``handler.handler``: subscribed to the SNS topic AWS Budgets publishes to. Pauses the workloads of a
  confirmed, spent budget; everything else is ignored with a log line.
- ``handler.resume_handler``: run on a schedule (first day of the month) or by hand. Resumes what the
  budgets of this deployment paused; ``{"team": "<name>"}`` in the event limits it to one team.

Both act in every account of the policy's ``accounts`` (AssumeRole of the access role listed for each; the
home account with its own credentials when listed, or alone when the policy lists none), and both log the
summary as one JSON line and return it. Environment: AIFINOPS_BUDGET_POLICY (required, the
policy JSON), AIFINOPS_MAX_ATTEMPTS (optional, boto3 retries, default 8), AIFINOPS_LOCK_WAIT_SECONDS (optional,
how long a run waits for a team's lock held by another run, default 30), AWS_ENDPOINT_URL (optional, read by
boto3 itself; tests only). The team locks are the policy's table, in the function's own account. A missing
or invalid policy raises: a misconfigured enforcer must fail loudly.

Lambda imports this file as the top-level module ``handler`` from the asset directory; the CLI imports it
as ``aifinops.lambdas.budget_enforcer.handler``. For the first case the directory is loaded as the package
``budget_enforcer`` and ``__package__`` set (PEP 366), so the relative imports below work in both.
"""

from __future__ import annotations

if not __package__:  # pragma: no cover - exercised by tests/e2e in a subprocess, the way Lambda loads it
    from aifinops_runtime.bootstrap import load_as_package

    __package__ = load_as_package(__file__, "budget_enforcer")

from datetime import UTC, datetime
from typing import Any

from .clients import ClientFactory, home_region
from .pause import pause_for_event
from .policy import load_policy
from .resume import resume
from .summary import configure_logging

__all__ = ["handler", "resume_handler"]


def handler(event: Any, context: Any) -> dict[str, Any]:
    """SNS budget notification -> confirmed pause (or nothing)."""
    configure_logging()
    policy = load_policy()
    summary = pause_for_event(event, policy=policy, clients=ClientFactory(), home_region=home_region(policy.regions),
                              now=datetime.now(UTC))
    return summary.log()


def resume_handler(event: Any, context: Any) -> dict[str, Any]:
    """Scheduled (or manual) resume of what this deployment's budgets paused."""
    configure_logging()
    policy = load_policy()
    team = event.get("team") if isinstance(event, dict) else None
    summary = resume(policy=policy, clients=ClientFactory(), now=datetime.now(UTC), team=team,
                     budgets=set(policy.budgets), trigger="manual" if team else "schedule")
    return summary.log()
