"""The Lambda entry points, imported as the CLI does (the asset-directory import is tested in tests/e2e)."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator

import pytest

from aifinops.config import FinOpsConfig
from aifinops.lambdas.budget_enforcer import handler
from aifinops.lambdas.budget_enforcer.policy import ENV_VAR, PolicyError
from aifinops.lambdas.budget_enforcer.summary import LOGGER_NAME
from aifinops.policies.budget_policy import enforcer_policy_json


@pytest.fixture(autouse=True)
def restore_logger() -> Iterator[None]:
    """The handler configures the enforcer's logger for Lambda; later tests (the CLI) must not inherit that."""
    logger = logging.getLogger(LOGGER_NAME)
    saved = (list(logger.handlers), logger.level, logger.propagate)
    yield
    logger.handlers[:], logger.level, logger.propagate = saved


def test_a_missing_policy_fails_loudly(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(ENV_VAR, raising=False)
    with pytest.raises(PolicyError):
        handler.handler({}, None)


def test_anything_but_sns_is_ignored_and_the_summary_is_logged_as_one_json_line_after_the_metrics(
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], config: FinOpsConfig) -> None:
    monkeypatch.setenv(ENV_VAR, enforcer_policy_json(config))
    monkeypatch.setenv("AWS_REGION", "us-east-1")
    result = handler.handler({"source": "aws.events"}, None)  # no AWS call is made for it
    assert result["triggers"][0] == {"outcome": "ignored", "reason": "not an SNS event",
                                     "excerpt": "{'source': 'aws.events'}"}
    assert result["decisions"] == [] and result["errors"] == []
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [line["message"] for line in lines] == ["notification ignored", "pause metrics", "pause summary"]
    metrics_line, summary_line = lines[1:]
    assert summary_line["summary"] == result
    metrics = metrics_line["_aws"]["CloudWatchMetrics"][0]
    assert metrics["Namespace"] == "aifinops/BudgetEnforcer" and metrics["Dimensions"] == [["Operation"]]
    assert {m["Name"] for m in metrics["Metrics"]} == {"ResourcesActedOn", "ResourcesSkipped", "ActionErrors",
                                                       "NearMisses", "DurationMs"}
    assert all(isinstance(metrics_line[m["Name"]], int) for m in metrics["Metrics"])
    assert metrics_line["Operation"] == "pause"
