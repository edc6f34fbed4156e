"""`aifinops cost report` on a moto server: Cost Explorer answers queued through moto's API, the team budget
real in moto; figures checked against hand-computed ones; no credentials or a denied call is bad input."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
import requests
from typer.testing import CliRunner

from aifinops.cli import app
from tests.conftest import REFERENCE_CONFIG

CREDENTIALS = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_DEFAULT_REGION": "us-east-1"}
TODAY = "2026-11-18"  # a Wednesday: the complete weeks are Nov 2-8 and Nov 9-15 for --weeks 2


def _day(day: str, rows: dict[tuple[str, str], float]) -> dict[str, Any]:
    return {"TimePeriod": {"Start": day, "End": day}, "Estimated": False, "Total": {},
            "Groups": [{"Keys": [f"project${p}", f"model${m}"],
                        "Metrics": {"UnblendedCost": {"Amount": str(usd), "Unit": "USD"}}}
                       for (p, m), usd in rows.items()]}


@pytest.fixture
def moto(moto_server: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    requests.post(f"{moto_server}/moto-api/reset", timeout=10)
    for key, value in CREDENTIALS.items():
        monkeypatch.setenv(key, value)
    days = [_day("2026-11-03", {("ranker", "anthropic.claude-haiku-4-5"): 100.0, ("rewrite", "none"): 50.0}),
            _day("2026-11-07", {("ranker", "anthropic.claude-haiku-4-5"): 20.0}),
            _day("2026-11-10", {("ranker", "anthropic.claude-haiku-4-5"): 300.0, ("rewrite", "none"): 40.0}),
            _day("2026-11-16", {("ranker", "anthropic.claude-haiku-4-5"): 999.0})]  # this week: not complete
    queued = requests.post(f"{moto_server}/moto-api/static/ce/cost-and-usage-results",
                           json={"results": [{"ResultsByTime": days}]}, timeout=10)
    assert queued.status_code == 201, queued.text
    budgets = boto3.client("budgets", endpoint_url=moto_server, region_name="us-east-1")
    budgets.create_budget(AccountId="111111111111", Budget={
        "BudgetName": "aifinops-search", "BudgetLimit": {"Amount": "20000", "Unit": "USD"},
        "TimeUnit": "MONTHLY", "BudgetType": "COST"})
    yield moto_server


def _run(*args: str) -> Any:
    return CliRunner().invoke(app, ["cost", "report", "--config", str(REFERENCE_CONFIG), "--today", TODAY, *args])


def test_the_weekly_report_matches_hand_computed_figures(moto: str) -> None:
    result = _run("--team", "search", "--weeks", "2", "--endpoint-url", moto, "--format", "json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert [(w["start"], w["end"], w["usd"]) for w in report["weeks"]] == [
        ("2026-11-02", "2026-11-08", 170.0), ("2026-11-09", "2026-11-15", 340.0)]
    assert report["weekOverWeek"] == 1.0  # 170 -> 340
    assert report["byProject"] == {"ranker": [120.0, 300.0], "rewrite": [50.0, 40.0]}
    assert report["topMovers"][0] == {"project": "ranker", "model": "anthropic.claude-haiku-4-5",
                                      "previousUsd": 120.0, "lastUsd": 300.0, "changeUsd": 180.0}
    assert report["budget"]["name"] == "aifinops-search" and report["budget"]["limitUsd"] == 20000.0
    # GetCostAndUsage (one page) and GetAnomalyMonitors, which moto does not implement: a note, not a failure
    assert report["costExplorerRequests"] == 2
    assert report["anomalies"] is None and any("anomalies not read" in n for n in report["notes"])


def test_the_text_report_reads_as_a_weekly_summary(moto: str) -> None:
    result = _run("--team", "search", "--weeks", "2", "--endpoint-url", moto)
    assert result.exit_code == 0, result.output
    assert "2026-11-09 .. 2026-11-15:       340.00" in result.stdout
    assert "week over week: +100.0%" in result.stdout
    assert "ranker / anthropic.claude-haiku-4-5: 120.00 -> 300.00 (+180.00)" in result.stdout


def test_no_credentials_is_bad_input(moto: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Any) -> None:
    for key in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    result = _run("--team", "search", "--endpoint-url", moto)
    assert result.exit_code == 2
    assert "no AWS credentials" in result.stderr


def test_a_refused_call_is_bad_input_with_the_reason(moto: str) -> None:
    result = _run("--team", "search", "--endpoint-url", "http://127.0.0.1:9")  # nothing listens there
    assert result.exit_code == 2 and "Cost Explorer GetCostAndUsage" in result.stderr


def test_an_unknown_team_or_bad_weeks_is_bad_input(moto: str) -> None:
    assert "unknown team 'nobody'" in _run("--team", "nobody", "--endpoint-url", moto).stderr
    assert _run("--team", "search", "--weeks", "1", "--endpoint-url", moto).exit_code == 2


def test_the_html_report_is_one_self_contained_page_with_charts(moto: str) -> None:
    result = _run("--team", "search", "--weeks", "2", "--endpoint-url", moto, "--format", "html")
    assert result.exit_code == 0, result.output
    page = result.stdout
    assert page.startswith("<!DOCTYPE html>") and page.count("<svg") == 3
    assert "<script" not in page and "http://" not in page.replace("http://www.w3.org/2000/svg", "")
    assert "02 Nov ranker: $120</title>" in page  # the bar of ranker in the week of Nov 2, with its value
