"""The budget enforcer end to end: its code taken from the synthesized TeamBudgetsStack asset, run in a
subprocess that can import only that directory and boto3, against a moto server over HTTP.

Where moto falls short (see tests/e2e/fleet.py): StopTrainingJob is not implemented and training jobs are
Completed at once, so here a training job is only seen and left alone; stopping one is covered with botocore's
Stubber in tests/lambdas/budget_enforcer/test_actions.py. The injected failure uses a botocore event hook on the
in-process client (a subprocess cannot be reached), so that test runs the same engine in this process.

Accounts: as deployed, the enforcer runs in the home (payer) account, moto's default 123456789012, and the
policy bundled in the asset lists the reference workload accounts 222222222222, 333333333333 and 444444444444.
The fleet lives in the member account 222222222222 (seeded through its access role, see fleet.py); the
enforcer assumes the access role of each listed account; the budgets are confirmed in the home account.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from aifinops.lambdas.budget_enforcer.clients import ClientFactory
from aifinops.lambdas.budget_enforcer.pause import pause_for_event
from aifinops.lambdas.budget_enforcer.permissions import PERMISSIONS
from aifinops.lambdas.budget_enforcer.policy import load_policy
from aifinops.lambdas.budget_enforcer.resume import resume
from tests.e2e.conftest import REGION, EnforcerAssets, LambdaRun, run_lambda
from tests.e2e.fleet import ACCOUNT, MEMBER, Fleet, lock_items, seed_fleet, snapshot
from tests.lambdas.budget_enforcer.notifications import budget_event, sns_event

PAUSED = "aifinops:paused-by"
STATE = "aifinops:paused-by:state"
SEARCH_PAUSED = {"instance/search-gpu", "instance/search-gpu-p3", "notebook/search-nb", "endpoint/search-ranker",
                 "queue/search-queue"}


def month() -> str:
    return datetime.now(UTC).strftime("%Y-%m")


@pytest.fixture
def fleet(moto: str) -> Fleet:
    """In the member account 222222222222; the budgets in the home account."""
    return seed_fleet(moto, MEMBER)


@pytest.fixture
def invoke(enforcer_assets: EnforcerAssets, boto3_only_path: Path, moto: str, tmp_path: Path) -> Any:
    runs = iter(range(100))

    def invoke(function: str, event: Any) -> LambdaRun:
        asset = enforcer_assets.pause if function == "pause" else enforcer_assets.resume
        return run_lambda(asset, event, endpoint_url=moto, boto3_path=boto3_only_path,
                          workdir=tmp_path / f"run-{next(runs)}")
    return invoke


def changed(before: dict[str, Any], after: dict[str, Any]) -> set[str]:
    return {key for key in before if before[key] != after[key]}


def test_pause_acts_on_exactly_the_teams_non_critical_workloads(fleet: Fleet, invoke: Any,
                                                                enforcer_assets: EnforcerAssets) -> None:
    assert enforcer_assets.pause.directory.name.startswith("asset.")
    assert not (enforcer_assets.pause.directory / "__pycache__").exists()
    before = snapshot(fleet)
    run = invoke("pause", budget_event("aifinops-search"))
    after = snapshot(fleet)

    summary = run.result
    assert summary["errors"] == []
    assert summary["triggers"][0]["outcome"] == "pause"
    assert summary["triggers"][0]["confirmation"]["confirmed"] is True
    assert summary["counts"]["done"] == 5
    assert summary["actions"] == {"delete-endpoint": 1, "disable-queue": 1, "stop-instance": 2, "stop-notebook": 1}
    reasons = {d["id"]: d["reason"] for d in summary["decisions"] if d["result"] == "skipped"}
    assert reasons[fleet.instances["search-cpu"]].startswith("not-accelerated")
    assert reasons[fleet.instances["search-gpu-critical"]].startswith("critical")
    assert reasons["search-train"].startswith("not-running: Completed")
    assert {d["account"] for d in summary["decisions"]} == {MEMBER}  # 333… and 444… hold nothing
    # The summary is logged as one JSON line, and returned.
    logged = [line for line in run.log if line.get("message") == "pause summary"]
    assert len(logged) == 1 and logged[0]["summary"] == summary
    assert [line["ActionErrors"] for line in run.log if line.get("message") == "pause metrics"] == [0]

    # Exactly the team's non-critical workloads changed (the config of the paused endpoint carries its mark).
    assert changed(before, after) == SEARCH_PAUSED | {"endpoint-config/search-ranker-config"}
    mark, state = f"aifinops-search/{month()}", f"paused/{summary['run']}"
    for key in ("instance/search-gpu", "instance/search-gpu-p3"):
        assert after[key][0] in ("stopping", "stopped") and after[key][1][PAUSED] == mark
        assert after[key][1][STATE] == state
    assert after["notebook/search-nb"][0] in ("Stopping", "Stopped") and after["notebook/search-nb"][1][PAUSED] == mark
    assert after["queue/search-queue"] == ("DISABLED", {**before["queue/search-queue"][1], PAUSED: mark,
                                                       STATE: state})
    assert after["endpoint/search-ranker"] is None
    config_tags = after["endpoint-config/search-ranker-config"]
    assert config_tags[PAUSED] == mark and config_tags[f"{STATE}:search-ranker"] == state
    assert any(k.startswith(f"{PAUSED}:endpoint:search-ranker:") for k in config_tags)
    assert summary["locks"] == [{"team": "search", "table": "aifinops-budget-locks", "owner": summary["run"],
                                 "holder": "lambda:aifinops-budget-enforcer", "result": "held", "released": True}]
    assert lock_items(fleet.url) == []

    # The same notification again changes nothing: every paused resource is now skipped.
    again = invoke("pause", budget_event("aifinops-search")).result
    assert again["errors"] == [] and again["counts"]["done"] == 0
    assert snapshot(fleet) == after


def test_a_budget_under_its_threshold_pauses_nothing_whatever_the_message_says(fleet: Fleet, invoke: Any) -> None:
    before = snapshot(fleet)
    # vision spent 12,000 of 35,000: a forged or stale message claiming more is not enough.
    run = invoke("pause", budget_event("aifinops-vision", limit="$35,000.00", threshold="$35,000.00",
                                       amount="$40,000.00"))
    trigger = run.result["triggers"][0]
    assert trigger["outcome"] == "ignored" and trigger["reason"].startswith("not confirmed: actual spend 12000.00")
    assert run.result["decisions"] == [] and run.result["errors"] == []
    # Neither does anything that is not a budget notification of this deployment.
    for event in (sns_event("hello"), sns_event(budget_event("aifinops-other")["Records"][0]["Sns"]["Message"]),
                  {"source": "aws.events"}):
        assert invoke("pause", event).result["decisions"] == []
    assert snapshot(fleet) == before


def test_a_project_budget_pauses_only_that_projects_workloads(fleet: Fleet, invoke: Any) -> None:
    summary = invoke("pause", budget_event("aifinops-search-ranker", limit="$5,000.00", threshold="$5,000.00",
                                           amount="$6,100.00")).result
    done = {d["id"] for d in summary["decisions"] if d["result"] == "done"}
    assert fleet.instances["search-gpu"] in done
    assert fleet.instances["search-gpu-p3"] not in {d["id"] for d in summary["decisions"]}  # project query-rewrite
    assert summary["errors"] == []


def test_resume_restores_the_fleet_and_removes_the_marks(fleet: Fleet, invoke: Any) -> None:
    before = snapshot(fleet)
    assert invoke("pause", budget_event("aifinops-search")).result["counts"]["done"] == 5

    summary = invoke("resume", {"source": "aws.events", "detail-type": "Scheduled Event"}).result
    assert summary["trigger"] == "schedule" and summary["errors"] == []
    assert summary["actions"] == {"create-endpoint": 1, "enable-queue": 1, "start-instance": 2, "start-notebook": 1}
    assert snapshot(fleet) == before  # running, InService, endpoint back with its config and tags, no marks
    tagging = fleet.client("resourcegroupstaggingapi")
    assert tagging.get_resources(TagFilters=[{"Key": PAUSED}])["ResourceTagMappingList"] == []

    # Nothing left to resume.
    assert invoke("resume", {}).result["decisions"] == []


def test_one_failing_resource_leaves_the_others_paused_and_is_reported(fleet: Fleet, moto: str,
                                                                       enforcer_assets: EnforcerAssets) -> None:
    """In-process: a botocore event hook makes StopNotebookInstance fail for search-nb only (on the session:
    the member account's clients come from it, with the access role's credentials)."""
    session = boto3.session.Session()
    clients = ClientFactory(endpoint_url=moto, max_attempts=1, session=session)

    def fail_for_search_nb(params: dict[str, Any], **_: Any) -> None:
        if params.get("NotebookInstanceName") == "search-nb":
            raise ClientError({"Error": {"Code": "ThrottlingException", "Message": "Rate exceeded"}},
                              "StopNotebookInstance")

    session.events.register("provide-client-params.sagemaker.StopNotebookInstance", fail_for_search_nb)
    policy = load_policy({}, enforcer_assets.pause.directory)  # the file bundled in the asset
    before = snapshot(fleet)
    summary = pause_for_event(budget_event("aifinops-search"), policy=policy, clients=clients, home_region=REGION,
                              now=datetime.now(UTC)).to_dict()

    assert summary["errors"] == [{"account": MEMBER, "kind": "notebook-instance", "region": REGION,
                                  "resource": summary["errors"][0]["resource"], "operation": "StopNotebookInstance",
                                  "code": "ThrottlingException", "message": "Rate exceeded"}]
    assert summary["counts"]["done"] == 4 and summary["counts"]["failed"] == 1
    after = snapshot(fleet)
    assert summary["errors"][0]["resource"].split(":")[4] == MEMBER
    assert changed(before, after) == (SEARCH_PAUSED - {"notebook/search-nb"}) | {
        "endpoint-config/search-ranker-config"}
    assert after["notebook/search-nb"] == before["notebook/search-nb"]  # not stopped, and its mark rolled back


def test_every_api_call_is_a_declared_permission(fleet: Fleet, moto: str, enforcer_assets: EnforcerAssets) -> None:
    """A pause and a resume, in process, with every botocore call recorded: each needs a declared IAM action,
    and every declared action is exercised here except StopTrainingJob (moto lacks it: Stubber-tested) and the
    lock's GetItem (only when another run holds it) and UpdateItem (only when a lease runs low), which
    tests/lambdas/budget_enforcer/test_lock.py calls on moto."""
    session = boto3.session.Session()
    calls: set[str] = set()
    session.events.register("before-call", lambda model, **_: calls.add(
        f"{model.service_model.service_name}:{model.name}"))
    clients = ClientFactory(endpoint_url=moto, max_attempts=1, session=session)
    policy = load_policy({}, enforcer_assets.pause.directory)  # the file bundled in the asset
    paused = pause_for_event(budget_event("aifinops-search"), policy=policy, clients=clients, home_region=REGION,
                             now=datetime.now(UTC))
    resumed = resume(policy=policy, clients=clients, now=datetime.now(UTC), budgets=set(policy.budgets))
    assert paused.errors == [] and resumed.errors == [] and paused.counts()["done"] == 5

    declared = {operation for p in PERMISSIONS for operation in p.operations}
    assert calls - declared == set()
    assert declared - calls == {"sagemaker:StopTrainingJob", "dynamodb:GetItem", "dynamodb:UpdateItem"}


def test_the_home_account_is_not_a_workload_account_and_stays_untouched(fleet: Fleet, moto: str,
                                                                      invoke: Any) -> None:
    """The same fleet in the payer account too: not listed under `accounts`, so neither paused nor resumed."""
    home = seed_fleet(moto, ACCOUNT, budgets=False)
    home_before, member_before = snapshot(home), snapshot(fleet)
    paused = invoke("pause", budget_event("aifinops-search")).result
    assert paused["errors"] == [] and paused["counts"]["done"] == 5
    assert {d["account"] for d in paused["decisions"]} == {MEMBER}
    assert snapshot(home) == home_before
    assert changed(member_before, snapshot(fleet)) == SEARCH_PAUSED | {"endpoint-config/search-ranker-config"}

    resumed = invoke("resume", {"source": "aws.events", "detail-type": "Scheduled Event"}).result
    assert resumed["errors"] == [] and resumed["counts"]["done"] == 5
    assert {d["account"] for d in resumed["decisions"]} == {MEMBER}
    assert snapshot(fleet) == member_before and snapshot(home) == home_before


def test_a_role_that_cannot_be_assumed_is_an_error_of_that_account_only(fleet: Fleet, moto: str,
                                                                        enforcer_assets: EnforcerAssets) -> None:
    """In-process: AssumeRole into 333333333333 fails (its access stack not deployed); 222222222222 is paused."""
    session = boto3.session.Session()

    def refuse_333(params: dict[str, Any], **_: Any) -> None:
        if ":333333333333:" in params.get("RoleArn", ""):
            raise ClientError({"Error": {"Code": "AccessDenied", "Message": "not authorized"}}, "AssumeRole")

    session.events.register("provide-client-params.sts.AssumeRole", refuse_333)
    clients = ClientFactory(endpoint_url=moto, max_attempts=1, session=session)
    policy = load_policy({}, enforcer_assets.pause.directory)
    summary = pause_for_event(budget_event("aifinops-search"), policy=policy, clients=clients, home_region=REGION,
                              now=datetime.now(UTC)).to_dict()
    assert summary["errors"] == [{
        "account": "333333333333", "kind": "account", "region": REGION,
        "resource": "arn:aws:iam::333333333333:role/aifinops-budget-enforcer-access", "operation": "AssumeRole",
        "code": "AccessDenied", "message": "not authorized"}]
    assert summary["counts"]["done"] == 5 and {d["account"] for d in summary["decisions"]} == {MEMBER}
