"""`aifinops budget pause|resume` against a moto server: the enforcer's engine run locally."""

from __future__ import annotations

import json
import socket
from pathlib import Path

import pytest
from typer.testing import CliRunner

from aifinops.cli import app
from tests.conftest import REFERENCE_CONFIG
from tests.e2e.fleet import AMI, Fleet, seed_fleet, snapshot

runner = CliRunner()


@pytest.fixture
def fleet(moto: str) -> Fleet:
    return seed_fleet(moto)


def cli(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, ["budget", *args])
    return result.exit_code, result.stdout, result.stderr


def test_pause_is_a_manual_decision_and_resume_undoes_it(fleet: Fleet) -> None:
    before = snapshot(fleet)
    code, out, err = cli("pause", "--team", "search", "--endpoint-url", fleet.url, "--enforce", "--json")
    assert code == 0, err
    assert "your decision, no budget was checked" in err
    summary = json.loads(out)
    assert summary["trigger"] == "manual" and summary["triggers"][0]["budget"] == "aifinops-search"
    assert summary["counts"]["done"] == 5 and summary["errors"] == []
    assert snapshot(fleet)["instance/search-gpu"][0] in ("stopping", "stopped")

    code, out, err = cli("resume", "--team", "search", "--region", "us-east-1", "--endpoint-url", fleet.url,
                         "--enforce")
    assert code == 0, err
    assert "create-endpoint" in out and "done: 5" in out
    assert snapshot(fleet) == before


def test_without_enforce_pause_and_resume_change_nothing(fleet: Fleet) -> None:
    before = snapshot(fleet)
    code, out, err = cli("pause", "--team", "search", "--endpoint-url", fleet.url, "--json")
    assert code == 0, err
    assert "dry run" in err and "--enforce to act" in err
    summary = json.loads(out)
    assert summary["dryRun"] is True and summary["counts"]["planned"] == 5 and summary["counts"]["done"] == 0
    assert snapshot(fleet) == before
    assert cli("pause", "--team", "search", "--endpoint-url", fleet.url, "--enforce")[0] == 0
    paused = snapshot(fleet)
    code, out, err = cli("resume", "--team", "search", "--endpoint-url", fleet.url, "--json")
    assert code == 0, err
    summary = json.loads(out)
    assert summary["dryRun"] is True and summary["counts"]["planned"] == 5 and summary["counts"]["done"] == 0
    assert snapshot(fleet) == paused


def test_dry_run_is_no_longer_a_flag(fleet: Fleet) -> None:
    assert cli("pause", "--team", "search", "--endpoint-url", fleet.url, "--dry-run")[0] == 2


def test_a_resume_of_another_team_leaves_search_paused(fleet: Fleet) -> None:
    assert cli("pause", "--team", "search", "--endpoint-url", fleet.url, "--enforce")[0] == 0
    paused = snapshot(fleet)
    code, out, _ = cli("resume", "--team", "vision", "--endpoint-url", fleet.url, "--enforce", "--json")
    assert code == 0 and json.loads(out)["decisions"] == []
    assert snapshot(fleet) == paused


def test_unknown_team_and_bad_config_are_bad_input(tmp_path: Path) -> None:
    code, _, err = cli("pause", "--team", "nobody", "--endpoint-url", "http://127.0.0.1:9")
    assert code == 2 and "unknown team 'nobody'; teams: assistant, research, search, vision" in err
    assert cli("resume", "--team", "nobody")[0] == 2
    broken = tmp_path / "finops.yaml"
    broken.write_text(REFERENCE_CONFIG.read_text().replace("monthly_budget_usd: 20000", "monthly_budget_usd: -1"))
    code, _, err = cli("pause", "--team", "search", "--config", str(broken))
    assert code == 2 and f"{broken}:" in err


def test_api_errors_exit_1(moto: str) -> None:
    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        closed = f"http://127.0.0.1:{sock.getsockname()[1]}"
    code, out, err = cli("pause", "--team", "search", "--endpoint-url", closed, "--enforce", "--json")
    assert code == 1, err
    summary = json.loads(out)  # the team's lock could not be taken: nothing else was tried
    assert [e["operation"] for e in summary["errors"]] == ["PutItem"] and summary["decisions"] == []
    assert summary["locks"][0]["result"] == "error"


def test_near_misses_are_warnings_on_stderr_also_with_json(fleet: Fleet) -> None:
    ec2 = fleet.client("ec2")
    tags = {"Team": "search", "project": "ranker", "model": "m", "environment": "dev", "task-type": "generation"}
    instance = ec2.run_instances(ImageId=AMI, MinCount=1, MaxCount=1, InstanceType="g5.xlarge", TagSpecifications=[
        {"ResourceType": "instance", "Tags": [{"Key": k, "Value": v} for k, v in tags.items()]}])["Instances"][0]
    code, out, err = cli("pause", "--team", "search", "--endpoint-url", fleet.url, "--json")
    assert code == 0, err
    assert (f"warning: ec2-instance {instance['InstanceId']} (us-east-1): tag key 'Team' looks like 'team' (tag keys "
            "are exact): not paused: its team is uncertain until the key is fixed; fix the key") in err
    assert json.loads(out)["counts"]["nearMisses"] == 1


def test_an_unknown_lock_profile_is_bad_input(fleet: Fleet) -> None:
    code, _, err = cli("pause", "--team", "search", "--endpoint-url", fleet.url, "--lock-profile", "nowhere",
                       "--enforce")
    assert code == 2 and "--lock-profile" in err and "nowhere" in err
