"""The guard's per-team metrics (EMF, dimension Team): what the weekly team reports read of the guard."""

from __future__ import annotations

import json
from typing import Any

import pytest

from aifinops.lambdas.guard.act import DONE
from aifinops.lambdas.guard.model import Action, Decision, Reason
from aifinops.lambdas.guard.report import METRIC_NAMESPACE, TEAM_UNTAGGED, Summary, configure_logging
from tests.lambdas.guard.factories import resource


def _stop(team: str | None, usd: float | None, result: str = DONE) -> tuple[Decision, str]:
    decision = Decision(resource=resource(), action=Action.STOP, reasons=(Reason.IDLE,), environment="dev",
                        hourly_usd=usd, team=team)
    return decision, result


def test_one_metrics_line_per_team_with_stopped_resources(capsys: pytest.CaptureFixture[str]) -> None:
    configure_logging()
    summary = Summary(scanned_at="2026-11-18T00:00:00Z", dry_run=False, regions=["us-east-1"],
                      decisions=[_stop("search", 1.5), _stop("search", 2.0), _stop(None, 4.0),
                                 _stop("vision", None), _stop("vision", 9.0, result="failed")])
    summary.log()
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines() if line.startswith("{")]
    teams: dict[str, Any] = {}
    for line in lines:
        for metrics in line.get("_aws", {}).get("CloudWatchMetrics", []):
            if metrics["Namespace"] == METRIC_NAMESPACE and metrics["Dimensions"] == [["Team"]]:
                teams[line["Team"]] = (line["ResourcesStopped"], line["HourlyDollarsSaved"])
    # a failed stop is no stop; an unpriced one counts as stopped with no dollars (never a made-up price)
    assert teams == {"search": (2, 3.5), TEAM_UNTAGGED: (1, 4.0), "vision": (1, 0.0)}
