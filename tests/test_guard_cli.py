"""`aifinops guard scan` on a moto server: --json prints the summary shape, dry run by default changes nothing,
--enforce acts, bad config exits 2, an API error exits 1. moto's account 123456789012 is the dev account of a copy
of the reference config. The CLI scans at the real time, so moto's fresh instances are younger than the idle
window (no signal): only the untagged rule acts here (the engine's clock-driven cases are in tests/lambdas/guard)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from aifinops.cli import app
from aifinops.lambdas.guard.clients import ClientFactory
from tests.conftest import REFERENCE_CONFIG
from tests.lambdas.guard.conftest import REGION, clients  # noqa: F401 - fixture
from tests.lambdas.guard.fleet import FULL_TAGS, run, tags_of

runner = CliRunner()
SUMMARY_KEYS = {"service", "scanned_at", "dry_run", "regions", "trigger", "counts", "decisions", "unpriced_types",
                "errors", "warnings", "not_reached", "api_calls", "duration_ms"}
DECISION_KEYS = {"id", "arn", "kind", "account", "region", "environment", "instance_type", "reasons", "action",
                 "result", "hourly_usd", "price_estimate", "price_source", "unpriced_types", "detail", "stop_after",
                 "team", "managed_by", "tags_not_written"}


def _config(tmp_path: Path) -> Path:
    path = tmp_path / "finops.yaml"
    path.write_text(REFERENCE_CONFIG.read_text().replace("222222222222", "123456789012"))
    return path


def _scan(config: Path, url: str, *extra: str) -> Any:
    return runner.invoke(app, ["guard", "scan", "--config", str(config), "--region", REGION, "--endpoint-url", url,
                               *extra])


def test_json_dry_run_by_default_then_enforce(clients: ClientFactory, moto_server: str,  # noqa: F811
                                              tmp_path: Path) -> None:
    ec2 = clients.client("ec2", REGION)
    untagged, tagged = run(ec2)[0], run(ec2, tags=FULL_TAGS)[0]
    run(ec2, "m5.large")
    config = _config(tmp_path)

    result = _scan(config, moto_server, "--json")
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert set(summary) == SUMMARY_KEYS and summary["dry_run"] is True and summary["errors"] == []
    by_id = {d["id"]: d for d in summary["decisions"]}
    assert all(set(d) == DECISION_KEYS for d in summary["decisions"])
    assert (by_id[untagged]["action"], by_id[untagged]["result"]) == ("mark", "planned")
    assert by_id[untagged]["environment"] == "dev" and by_id[tagged]["reasons"] == ["no-signal"]
    assert summary["counts"]["resources"] == 2 and tags_of(ec2, untagged) == {}

    enforced = _scan(config, moto_server, "--json", "--enforce")
    assert enforced.exit_code == 0, enforced.output
    assert {d["id"]: d["result"] for d in json.loads(enforced.stdout)["decisions"]}[untagged] == "done"
    assert "aifinops:violation" in tags_of(ec2, untagged)

    table = _scan(config, moto_server)
    assert table.exit_code == 0 and "GPU guard scan" in table.stdout and untagged in table.stdout


def test_bad_config_exits_2(tmp_path: Path) -> None:
    path = tmp_path / "finops.yaml"
    path.write_text(REFERENCE_CONFIG.read_text().replace("grace_minutes: 60", "grace_minutes: soon"))
    result = _scan(path, "http://127.0.0.1:1")
    assert result.exit_code == 2
    assert f"{path}:" in result.stderr


def test_api_error_exits_1(clients: ClientFactory, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,  # noqa: F811
                           ) -> None:
    monkeypatch.setenv("AIFINOPS_MAX_ATTEMPTS", "1")
    result = _scan(_config(tmp_path), "http://127.0.0.1:1", "--json")  # nothing listens: every call fails
    assert result.exit_code == 1
    assert json.loads(result.stdout)["errors"]
