"""The budget enforcer cannot lose a resource, on a moto server over HTTP with the synthesized asset: duplicate
deliveries at once, the Lambda and `aifinops budget` at once, a double fault (the action refused, then its
rollback too), a team lock held by another run; and near-miss tag keys are reported, never acted on.

Each ends with a resume and the same check: every resource back in its pre-pause state (instances running,
notebooks InService, the endpoint there again with its config and tags, queues enabled), no aifinops mark left
(the paused mark, its state, endpoint records) and no lock held. The fleet lives in the member account
222222222222 (tests/e2e/fleet.py); the enforcer's budgets and lock table in the home account.

Failures are injected with botocore event hooks, on a session in this process (a subprocess cannot be reached):
those runs use the same engine as the Lambda, in process; every other run is the asset in a subprocess.
"""

from __future__ import annotations

import json
import threading
import urllib.request
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from typer.testing import CliRunner

from aifinops.cli import app
from aifinops.lambdas.budget_enforcer.clients import ClientFactory
from aifinops.lambdas.budget_enforcer.pause import pause_for_event
from aifinops.lambdas.budget_enforcer.policy import load_policy
from aifinops.policies.budget_policy import LOCK_TABLE
from tests.e2e.conftest import REGION, EnforcerAssets, LambdaRun, run_lambda
from tests.e2e.fleet import MEMBER, Fleet, assumed_credentials, aws, lock_items, search_tags, seed_fleet, snapshot
from tests.lambdas.budget_enforcer.notifications import budget_event

PAUSED = "aifinops:paused-by"
ROUNDS = 4
SCHEDULED = {"source": "aws.events", "detail-type": "Scheduled Event"}
SEARCH_PAUSED = {"instance/search-gpu", "instance/search-gpu-p3", "notebook/search-nb", "endpoint/search-ranker",
                 "queue/search-queue", "endpoint-config/search-ranker-config"}

Invoke = Callable[..., LambdaRun]


@pytest.fixture
def invoke(enforcer_assets: EnforcerAssets, boto3_only_path: Path, moto: str, tmp_path: Path) -> Invoke:
    runs = iter(range(1000))

    def invoke(function: str, event: Any, **env: str) -> LambdaRun:
        asset = enforcer_assets.pause if function == "pause" else enforcer_assets.resume
        return run_lambda(asset, event, endpoint_url=moto, boto3_path=boto3_only_path,
                          workdir=tmp_path / f"run-{next(runs)}", extra_env=env)
    return invoke


def reset(url: str) -> None:
    urllib.request.urlopen(urllib.request.Request(f"{url}/moto-api/reset", method="POST"), timeout=10)


def marks_left(fleet: Fleet) -> dict[str, list[str]]:
    """resource -> every aifinops:paused-by* key still on it (the snapshot's tags hold them all)."""
    found: dict[str, list[str]] = {}
    for key, value in snapshot(fleet).items():
        tags = value if key.startswith("endpoint-config/") else (value or (None, {}))[-1]
        ours = sorted(k for k in tags or {} if k.startswith(PAUSED))
        if ours:
            found[key] = ours
    return found


def restored(fleet: Fleet, before: dict[str, Any], invoke: Invoke) -> dict[str, Any]:
    """Resume on schedule and check everything is as before, marks and locks gone; the resume's summary."""
    summary = invoke("resume", SCHEDULED).result
    assert summary["errors"] == [], summary["errors"]
    assert snapshot(fleet) == before
    assert marks_left(fleet) == {}
    assert lock_items(fleet.url) == []
    return summary


def in_parallel(*calls: Callable[[], Any]) -> list[Any]:
    results: list[Any] = [None] * len(calls)
    errors: list[BaseException] = []

    def run(i: int, call: Callable[[], Any]) -> None:
        try:
            results[i] = call()
        except BaseException as exc:  # re-raised in the test's thread
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    if errors:
        raise errors[0]
    return results


def acted(*summaries: dict[str, Any]) -> list[str]:
    return sorted(f"{d['kind']}/{d['id']}" for s in summaries for d in s["decisions"] if d["result"] == "done")


@pytest.mark.parametrize(("wait", "rounds"), [("30", ROUNDS), ("0", 2)], ids=["waiting", "not-waiting"])
def test_duplicate_deliveries_at_once_pause_each_resource_once_and_resume_restores_all(
        moto: str, invoke: Invoke, wait: str, rounds: int) -> None:
    """Two invocations of the pause function for one notification, started together, round after round: one run
    holds the team's lock; the other waits for it and then finds everything paused, or (no wait) reports the
    holder and does nothing. Either way each resource is acted on once, and the resume brings every one back."""
    outcomes = []
    for _ in range(rounds):
        reset(moto)
        fleet = seed_fleet(moto, MEMBER)
        before = snapshot(fleet)
        first, second = in_parallel(
            lambda: invoke("pause", budget_event("aifinops-search"), AIFINOPS_LOCK_WAIT_SECONDS=wait).result,
            lambda: invoke("pause", budget_event("aifinops-search"), AIFINOPS_LOCK_WAIT_SECONDS=wait).result)
        for summary in (first, second):
            assert all(e["code"] == "LockBusy" for e in summary["errors"]), summary["errors"]
        assert len(acted(first, second)) == 5, (first["decisions"], second["decisions"])
        after = snapshot(fleet)
        assert {k for k in before if before[k] != after[k]} == SEARCH_PAUSED
        assert lock_items(moto) == []
        later = second if acted(first) else first
        lock = later["locks"][0]
        if later["errors"]:
            assert later["decisions"] == [] and lock["result"] == "busy"
            outcomes.append("reported the holder, did nothing")
        else:
            outcomes.append(f"waited {lock['waitedSeconds']} s, found all paused" if "waitedFor" in lock else
                            "started after the other had finished")
        restored(fleet, before, invoke)
    print(f"duplicate deliveries, {rounds} rounds, wait {wait} s: the later run {outcomes}")


def test_the_lambda_and_the_cli_at_once_share_the_teams_lock(moto: str, invoke: Invoke, tmp_path: Path) -> None:
    """The CLI with the member account's credentials (where the fleet is) and the payer account's for the lock
    (`--lock-profile`), started with the pause function: never both acting on the team."""
    fleet = seed_fleet(moto, MEMBER)
    before = snapshot(fleet)
    member = assumed_credentials(moto, MEMBER)
    credentials = tmp_path / "credentials"
    credentials.write_text("[payer]\naws_access_key_id = testing\naws_secret_access_key = testing\n")
    env = {"AWS_ACCESS_KEY_ID": member["aws_access_key_id"], "AWS_SECRET_ACCESS_KEY": member["aws_secret_access_key"],
           "AWS_SESSION_TOKEN": member["aws_session_token"], "AWS_SHARED_CREDENTIALS_FILE": str(credentials)}

    def cli() -> dict[str, Any]:
        result = CliRunner().invoke(app, ["budget", "pause", "--team", "search", "--endpoint-url", moto,
                                          "--lock-profile", "payer", "--enforce", "--json"], env=env)
        assert result.exit_code in (0, 1), result.output
        summary: dict[str, Any] = json.loads(result.stdout)
        return summary

    by_lambda, by_cli = in_parallel(lambda: invoke("pause", budget_event("aifinops-search")).result, cli)
    for summary in (by_lambda, by_cli):
        assert all(e["code"] == "LockBusy" for e in summary["errors"]), summary["errors"]
        assert summary["locks"][0]["table"] == LOCK_TABLE
    assert by_cli["locks"][0]["holder"].startswith("cli:")
    assert by_lambda["locks"][0]["holder"] == "lambda:aifinops-budget-enforcer"
    assert len(acted(by_lambda, by_cli)) == 5
    restored(fleet, before, invoke)


def engine_with(fleet: Fleet, enforcer_assets: EnforcerAssets,
                *hooks: tuple[str, Callable[..., None]]) -> dict[str, Any]:
    """One pause of aifinops-search in process, the same engine and bundled policy as the Lambda, with botocore
    event hooks on the session (the member account's clients come from it too)."""
    session = boto3.session.Session()
    for event, hook in hooks:
        session.events.register(event, hook)
    clients = ClientFactory(endpoint_url=fleet.url, max_attempts=1, session=session)
    policy = load_policy({}, enforcer_assets.pause.directory)
    return pause_for_event(budget_event("aifinops-search"), policy=policy, clients=clients, home_region=REGION,
                           now=datetime.now(UTC)).to_dict()


def refuse(operation: str, when: Callable[[dict[str, Any]], bool]) -> tuple[str, Callable[..., None]]:
    service = "sagemaker"

    def hook(params: dict[str, Any], **_: Any) -> None:
        if when(params):
            raise ClientError({"Error": {"Code": "ThrottlingException", "Message": "Rate exceeded"}}, operation)
    return f"provide-client-params.{service}.{operation}", hook


@pytest.mark.parametrize("then", ["pause again, then resume", "resume"])
def test_a_double_fault_leaves_pausing_and_nothing_is_lost(moto: str, invoke: Invoke, enforcer_assets: EnforcerAssets,
                                                          then: str) -> None:
    """StopNotebookInstance of search-nb is refused and so is the rollback's DeleteTags: it stays running, marked
    `pausing`. DeleteEndpoint of search-ranker is refused: its record stays on the config, `pausing`. The next
    pause acts on both again (not "already paused this month"); a resume instead restores them by what it finds."""
    fleet = seed_fleet(moto, MEMBER)
    before = snapshot(fleet)
    notebook_arn = f"arn:aws:sagemaker:{REGION}:{MEMBER}:notebook-instance/search-nb"
    first = engine_with(fleet, enforcer_assets,
                        refuse("StopNotebookInstance", lambda p: p.get("NotebookInstanceName") == "search-nb"),
                        refuse("DeleteTags", lambda p: p.get("ResourceArn") == notebook_arn),
                        refuse("DeleteEndpoint", lambda p: p.get("EndpointName") == "search-ranker"))
    assert sorted(e["operation"] for e in first["errors"]) == ["DeleteEndpoint", "StopNotebookInstance",
                                                              "UntagResource"]
    assert len(acted(first)) == 3
    middle = snapshot(fleet)
    status, tags = middle["notebook/search-nb"]
    assert status == "InService" and tags[f"{PAUSED}:state"] == f"pausing/{first['run']}"
    assert middle["endpoint/search-ranker"] == before["endpoint/search-ranker"]  # still there
    config = middle["endpoint-config/search-ranker-config"]
    assert config[f"{PAUSED}:state:search-ranker"] == f"pausing/{first['run']}"
    assert any(k.startswith(f"{PAUSED}:endpoint:search-ranker:") for k in config)

    if then.startswith("pause again"):
        second = invoke("pause", budget_event("aifinops-search")).result
        assert second["errors"] == []
        assert acted(second) == ["endpoint/search-ranker", "notebook-instance/search-nb"]
        reasons = {d["id"]: d["reason"] for d in second["decisions"]}
        assert f"left pausing by run {first['run']}, retried" in reasons["search-nb"]
        assert snapshot(fleet)["endpoint/search-ranker"] is None
    resumed = restored(fleet, before, invoke)
    assert {d["id"] for d in resumed["decisions"]} >= {"search-nb", "search-ranker"}


def test_a_lock_held_by_another_run_stops_pause_and_resume_before_they_act(moto: str, invoke: Invoke) -> None:
    fleet = seed_fleet(moto, MEMBER)
    before = snapshot(fleet)
    dynamodb = aws(moto, "dynamodb")
    expires = int(datetime.now(UTC).timestamp()) + 600
    dynamodb.put_item(TableName=LOCK_TABLE, Item={
        "lock": {"S": "team/search"}, "owner": {"S": "20261127T010203Z-0badcafe"}, "holder": {"S": "cli:ops@laptop"},
        "since": {"S": "2026-11-27T01:02:03Z"}, "expires": {"N": str(expires)}})
    paused = invoke("pause", budget_event("aifinops-search"), AIFINOPS_LOCK_WAIT_SECONDS="1").result
    assert paused["decisions"] == []
    [error] = paused["errors"]
    assert (error["operation"], error["code"], error["resource"]) == ("AcquireLock", "LockBusy",
                                                                      f"{LOCK_TABLE}:team/search")
    assert error["message"].startswith("another run holds team search's lock: run 20261127T010203Z-0badcafe "
                                       "(cli:ops@laptop), since 2026-11-27T01:02:03Z")
    assert paused["locks"][0]["result"] == "busy" and paused["counts"]["errors"] == 1
    assert snapshot(fleet) == before

    resumed = invoke("resume", {"team": "search"}, AIFINOPS_LOCK_WAIT_SECONDS="0").result
    assert [e["code"] for e in resumed["errors"]] == ["LockBusy"] and resumed["decisions"] == []
    assert [i["owner"]["S"] for i in lock_items(moto)] == ["20261127T010203Z-0badcafe"]  # never removed


def test_near_miss_keys_are_reported_and_never_acted_on(moto: str, invoke: Invoke) -> None:
    """`Team=search` is not the team's for sure: reported, not paused. `aifinops:Critical=true` and
    `aifinops:critcal=true` are critical: reported, not paused."""
    fleet = seed_fleet(moto, MEMBER)
    ec2, sagemaker = fleet.client("ec2"), fleet.client("sagemaker")
    near = {"Team": "search", **{k: v for k, v in search_tags().items() if k != "team"}}
    critical = search_tags(**{"aifinops:Critical": "true"})
    for label, tags in (("search-gpu-Team", near), ("search-gpu-Critical", critical)):
        reservation = ec2.run_instances(ImageId="ami-12c6146b", MinCount=1, MaxCount=1, InstanceType="g5.xlarge",
                                        TagSpecifications=[{"ResourceType": "instance", "Tags": [
                                            {"Key": k, "Value": v} for k, v in tags.items()]}])
        fleet.instances[label] = reservation["Instances"][0]["InstanceId"]
    sagemaker.create_notebook_instance(
        NotebookInstanceName="search-nb-critcal", InstanceType="ml.p3.2xlarge",
        RoleArn=f"arn:aws:iam::{MEMBER}:role/sagemaker-execution",
        Tags=[{"Key": k, "Value": v} for k, v in search_tags(**{"aifinops:critcal": "true"}).items()])
    fleet.notebooks.append("search-nb-critcal")
    before = snapshot(fleet)

    run = invoke("pause", budget_event("aifinops-search"))
    summary = run.result
    assert summary["errors"] == [] and summary["counts"]["done"] == 5
    misses = {(m["id"], m["tag"], m["looksLike"], m["effect"]) for m in summary["nearMisses"]}
    assert misses == {
        (fleet.instances["search-gpu-Team"], "Team", "team",
         "not paused: its team is uncertain until the key is fixed"),
        (fleet.instances["search-gpu-Critical"], "aifinops:Critical", "aifinops:critical",
         "treated as critical: not paused"),
        ("search-nb-critcal", "aifinops:critcal", "aifinops:critical", "treated as critical: not paused")}
    assert summary["counts"]["nearMisses"] == 3
    reasons = {d["id"]: (d["result"], d["reason"]) for d in summary["decisions"]}
    assert reasons[fleet.instances["search-gpu-Team"]] == (
        "skipped", "near-miss: 'Team' looks like 'team' (tag keys are exact): not paused, its team is uncertain; "
                   "fix the key")
    assert reasons["search-nb-critcal"][1].startswith("critical: tagged aifinops:critcal=true (looks like")
    assert len([line for line in run.log if line.get("message") == "near-miss tag key"]) == 3
    assert [line["NearMisses"] for line in run.log if line.get("message") == "pause metrics"] == [3]
    after = snapshot(fleet)
    for key in ("instance/search-gpu-Team", "instance/search-gpu-Critical", "notebook/search-nb-critcal"):
        assert after[key] == before[key]
    restored(fleet, before, invoke)

