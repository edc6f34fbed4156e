"""The weekly report as a page: built from the model of Cost Explorer, rendered by headless Chromium (Debian's
`chromium`, installed by `make test`), its charts checked in the rendered DOM and in the screenshot's pixels."""

from __future__ import annotations

import os
import shutil
import subprocess
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest

from aifinops.lambdas.inform.ce import CostExplorer
from aifinops.lambdas.inform.charts import PALETTE
from aifinops.lambdas.inform.policy import InformPolicy, parse_policy
from aifinops.lambdas.inform.report_html import render_html
from aifinops.lambdas.inform.weekly import TeamWeeklyReport, team_weekly_report
from aifinops.policies.inform_policy import inform_policy_json
from tests.lambdas.inform.fake_ce import FakeCostExplorer, Item
from tests.png import read_png

TODAY = date(2026, 11, 18)
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync", "--hide-scrollbars")
ITEMS = [Item(date(2026, 11, d), "Amazon Bedrock", usd, {"team": "search", "project": p, "model": mdl})
         for d, p, mdl, usd in ((3, "ranker", "anthropic.claude-haiku-4-5", 300.0),
                                (4, "query-rewrite", "amazon.nova-lite-v1:0", 120.0),
                                (10, "ranker", "anthropic.claude-haiku-4-5", 450.0),
                                (11, "<script>alert(1)</script>", "amazon.nova-lite-v1:0", 60.0))]
ANOMALY = {"AnomalyStartDate": "2026-11-10", "Impact": {"TotalImpact": 310.0},
           "RootCauses": [{"Service": "Amazon Bedrock", "Region": "us-east-1"}]}


@pytest.fixture
def policy(config: Any) -> InformPolicy:
    return parse_policy(inform_policy_json(config))


def _report(policy: InformPolicy) -> TeamWeeklyReport:
    model = FakeCostExplorer(ITEMS, anomalies={"aifinops-search": [ANOMALY]})
    return team_weekly_report(CostExplorer(model, 20), policy, "search", today=TODAY, weeks=2,
                              guard_reader=lambda team, start, end: {"resourcesStopped": 3.0, "hourlyUsdStopped": 7.5})


def test_the_weekly_report_has_anomalies_guard_and_movers(policy: InformPolicy) -> None:
    report = _report(policy)
    assert report.totals == [420.0, 510.0] and report.anomalies == [
        {"start": "2026-11-10", "impactUsd": 310.0, "cause": "Amazon Bedrock, us-east-1"}]
    assert report.guard == {"resourcesStopped": 3.0, "hourlyUsdStopped": 7.5}
    assert report.movers[0] == ("ranker", "anthropic.claude-haiku-4-5", 300.0, 450.0)
    assert report.requests == 3  # GetCostAndUsage, GetAnomalyMonitors, GetAnomalies
    text = report.to_text()
    assert "2026-11-10: impact 310.00 USD (Amazon Bedrock, us-east-1)" in text
    assert "3 resources stopped, 7.50 USD an hour" in text


def test_the_page_escapes_every_text_and_loads_nothing(policy: InformPolicy) -> None:
    page = render_html(_report(policy), generated="2026-11-18 08:00 UTC")
    assert "<script" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "default-src 'none'" in page and "src=" not in page and "href=" not in page


@pytest.mark.skipif(not Path(CHROMIUM).exists() and os.environ.get("CI") != "true",
                    reason="Debian's chromium is not installed (make test installs it)")
def test_chromium_renders_the_charts(policy: InformPolicy, tmp_path: Path) -> None:
    page = tmp_path / "report.html"
    page.write_text(render_html(_report(policy), generated=datetime(2026, 11, 18, tzinfo=UTC).isoformat()))
    profile = str(tmp_path / "profile")
    dom = subprocess.run([CHROMIUM, *FLAGS, f"--user-data-dir={profile}", "--dump-dom", page.as_uri()],
                         capture_output=True, text=True, timeout=120, check=True).stdout
    assert dom.count("<svg") == 3 and dom.count('class="bar"') >= 6
    shot = tmp_path / "shot.png"
    subprocess.run([CHROMIUM, *FLAGS, f"--user-data-dir={profile}", f"--screenshot={shot}", "--window-size=1000,1400",
                    page.as_uri()], capture_output=True, timeout=120, check=True)
    pixels = read_png(shot)
    counts = {colour: 0 for colour in PALETTE[:2]}
    for row in pixels:
        for r, g, b in row:
            hexed = f"#{r:02x}{g:02x}{b:02x}"
            if hexed in counts:
                counts[hexed] += 1
    # the first two series' bars are drawn: thousands of pixels each, not a blank or broken page
    assert all(n > 2000 for n in counts.values()), counts
