"""The GPU guard end to end: its code taken from the synthesized GuardStack asset (policy file bundled), run in a
subprocess that can import only that directory and boto3, against a moto server over HTTP. The fleet, the accounts
and the clock are described in tests/e2e/guard_fleet.py; tests/e2e/test_guard_lifecycle.py runs the grace period,
exemptions, the SageMaker kinds and retries.

The injected failure (UnauthorizedOperation on one StopInstances) uses a botocore event hook on a session, which a
subprocess cannot reach: that test loads the *asset's* handler.py in this process via importlib (as the top-level
module `handler`, the way Lambda does, so it brings in the asset directory as the package `guard`) and hands it a
ClientFactory of that same asset package built on the hooked session.
"""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime
from types import ModuleType
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from aifinops.lambdas.guard.permissions import actions_for
from tests.e2e.assets import FunctionAsset, function_asset, stackset_function_asset
from tests.e2e.conftest import REGION
from tests.e2e.guard_fleet import (
    ACCOUNT,
    HANDLER,
    POLICY_FILE,
    STACK,
    STOP_AFTER,
    STOPPED_BY,
    TAGS,
    VIOLATION,
    Fleet,
    Invoke,
    by_label,
    check_counts,
)


@pytest.fixture(scope="module", params=["stack", "stackset"])
def guard_asset(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, config: Any) -> FunctionAsset:
    """Every test of this module twice: the guard of the per-account GuardStack, and the guard the dev StackSet
    deploys (organization.rollout: stacksets): the same code and policy, told its environment."""
    import aws_cdk as cdk

    from aifinops.infra.context import cdk_json_context
    from aifinops.infra.guard_stack import GuardStack
    from aifinops.infra.stackset_rollout import ROLLOUT_STACK, StackSetRolloutStack

    outdir = tmp_path_factory.mktemp(f"guard-{request.param}-cdk.out")
    app = cdk.App(outdir=str(outdir), context=cdk_json_context())
    if request.param == "stack":
        GuardStack(app, STACK, config=config, account=ACCOUNT, region=REGION)
        app.synth()
        return function_asset(outdir, STACK, HANDLER)
    organization = config.organization.model_copy(update={"rollout": "stacksets", "org_id": "o-ex12example01"})
    StackSetRolloutStack(app, ROLLOUT_STACK, config=config.model_copy(update={"organization": organization}))
    app.synth()
    asset = stackset_function_asset(outdir, "aifinops-guard-dev", HANDLER)
    assert asset.environment["AIFINOPS_GUARD_ENVIRONMENT"] == "dev"
    return asset


def test_the_asset_bundles_the_policy_and_runs_without_aifinops(guard_asset: FunctionAsset, invoke: Invoke) -> None:
    directory = guard_asset.directory
    assert directory.name.startswith("asset.") and (directory / "handler.py").is_file()
    assert (directory / "__init__.py").is_file() and not (directory / "__pycache__").exists()
    policy = json.loads((directory / POLICY_FILE).read_text())
    assert policy["accounts"][ACCOUNT] == "dev" and policy["environments"]["dev"]["mode"] == "stop"
    assert policy["accounts"]["444444444444"] == "prod" and policy["environments"]["prod"]["mode"] == "notify"
    assert "AIFINOPS_GUARD_POLICY" not in guard_asset.environment  # the policy is never in the environment
    assert guard_asset.environment.get("AIFINOPS_GUARD_ENFORCE") == "true"
    # The bootstrap of run_lambda fails the run if aifinops, aws_cdk, pydantic or yaml can be imported.
    empty = invoke({"source": "aws.events", "detail-type": "Scheduled Event"}).result
    assert empty["decisions"] == [] and empty["errors"] == [] and empty["regions"] == [REGION]
    assert empty["service"] == "aifinops-gpu-guard" and empty["dry_run"] is False


def test_dry_run_plans_and_changes_nothing(fleet: Fleet, invoke: Invoke) -> None:
    """Also the digest: published to the topic of AIFINOPS_GUARD_TOPIC_ARN (an SQS subscriber reads it)."""
    sns, sqs = fleet.client("sns"), fleet.client("sqs")
    topic = sns.create_topic(Name="aifinops-gpu-guard")["TopicArn"]
    queue = sqs.create_queue(QueueName="digest")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=queue_arn)
    before = fleet.state()
    run = invoke({"source": "aws.events"}, AIFINOPS_GUARD_ENFORCE="false", AIFINOPS_GUARD_TOPIC_ARN=topic)
    summary = run.result
    assert set(summary) >= {"service", "scanned_at", "dry_run", "regions", "trigger", "counts", "decisions",
                            "errors", "not_reached", "api_calls", "duration_ms"}
    assert summary["dry_run"] is True and summary["trigger"] == "schedule" and summary["errors"] == []
    got = by_label(fleet, summary)
    assert set(got) == {"untagged", "untagged2", "idle"}  # busy: compliant, counted only; cpu: never inventoried
    assert summary["counts"]["resources"] == 4
    assert (got["idle"]["action"], got["idle"]["reasons"], got["idle"]["result"]) == ("stop", ["idle"], "planned")
    for label in ("untagged", "untagged2"):
        assert (got[label]["action"], got[label]["result"]) == ("mark", "planned")
        assert got[label]["environment"] == "dev"  # from the account map of the bundled policy
        assert got[label]["account"] == ACCOUNT
    assert summary["counts"]["stopped"] == 0 and summary["counts"]["marked"] == 0
    check_counts(summary)
    assert not {"ec2:StopInstances", "ec2:CreateTags"} & set(summary["api_calls"])
    assert fleet.state() == before
    assert [line["summary"] for line in run.log if line.get("message") == "scan summary"] == [summary]
    assert summary["api_calls"]["sns:Publish"] == 1
    messages = sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10)["Messages"]
    assert len(messages) == 1
    note = json.loads(messages[0]["Body"])
    assert note["TopicArn"] == topic and "dry run: nothing was changed" in note["Message"]
    assert fleet.ids["idle"] in note["Message"] and fleet.ids["cpu"] not in note["Message"]


def test_enforce_marks_stops_and_does_not_act_twice(fleet: Fleet, invoke: Invoke) -> None:
    before = fleet.state()
    summary = invoke({"source": "aws.events", "detail-type": "Scheduled Event"}).result
    after = fleet.state()
    assert summary["dry_run"] is False and summary["errors"] == []
    got = by_label(fleet, summary)
    assert (got["idle"]["action"], got["idle"]["result"]) == ("stop", "done")
    assert summary["counts"]["stopped"] == 1 and summary["counts"]["marked"] == 2
    check_counts(summary)
    assert summary["counts"]["hourly_usd_saved"] == got["idle"]["hourly_usd"] > 0
    for operation in summary["api_calls"]:
        assert actions_for(operation), f"{operation} is not declared in permissions.py"

    assert after["idle"][0] in ("stopping", "stopped")
    assert after["idle"][1][STOPPED_BY] == f"idle {summary['scanned_at']}"
    for label in ("untagged", "untagged2"):
        state, tags = after[label]
        # launched just now: no signal yet, which the mark records next to the missing tags
        assert got[label]["reasons"] == ["untagged", "no-signal"]
        assert state == "running" and tags[VIOLATION] == "untagged+no-signal"
        # same moment; the tag is written "...Z", the summary's stop_after as isoformat "...+00:00"
        deadline = datetime.fromisoformat(tags[STOP_AFTER].replace("Z", "+00:00"))
        assert deadline == datetime.fromisoformat(got[label]["stop_after"]) > datetime.now(UTC)
    assert after["busy"] == before["busy"] and after["cpu"] == before["cpu"]  # CPU instance: untouched

    again = invoke({"source": "aws.events"}).result
    assert again["errors"] == [] and again["counts"]["stopped"] == 0 and again["counts"]["marked"] == 0
    assert not {"ec2:StopInstances", "ec2:CreateTags", "ec2:DeleteTags"} & set(again["api_calls"])
    regot = by_label(fleet, again)
    assert "idle" not in regot  # stopped: no longer running, not inventoried
    for label in ("untagged", "untagged2"):  # marked, grace period running: only the no-signal notice is left
        assert (regot[label]["action"], regot[label]["result"]) == ("notify", "")
        assert "grace period until" in regot[label]["detail"]
    check_counts(again)
    assert fleet.state() == after


def test_a_create_event_marks_only_the_new_instance(fleet: Fleet, invoke: Invoke) -> None:
    event = {"source": "aws.ec2", "region": REGION, "detail-type": "AWS API Call via CloudTrail",
             "detail": {"eventName": "RunInstances", "awsRegion": REGION,
                        "responseElements": {"instancesSet": {"items": [{"instanceId": fleet.ids["untagged"]}]}}}}
    before = fleet.state()
    summary = invoke(event).result
    assert summary["trigger"] == "create-event" and summary["errors"] == []
    assert [d["id"] for d in summary["decisions"]] == [fleet.ids["untagged"]]
    after = fleet.state()
    assert after["untagged"][1][VIOLATION].startswith("untagged")
    assert {k for k in before if before[k] != after[k]} == {"untagged"}


def test_an_unauthorized_stop_is_reported_and_the_rest_handled(fleet: Fleet, moto: str, credentials: dict[str, str],
                                                               asset_handler: ModuleType,
                                                               guard_asset: FunctionAsset) -> None:
    """In-process (a botocore hook cannot reach a subprocess): StopInstances is denied for `idle` only; the batch
    call fails, the guard retries one instance at a time, reports the denial and still marks the others."""
    fleet.launch("idle2", "g5.xlarge", TAGS, aged=True, cpu=1.0)
    denied = fleet.ids["idle"]

    session = boto3.session.Session()

    def deny(params: dict[str, Any], **_: Any) -> None:
        if denied in params.get("InstanceIds", []):
            raise ClientError({"Error": {"Code": "UnauthorizedOperation",
                                         "Message": "You are not authorized to perform this operation."}},
                              "StopInstances")

    session.events.register("provide-client-params.ec2.StopInstances", deny)
    factory = sys.modules["guard.clients"].ClientFactory(endpoint_url=moto, max_attempts=1, session=session,
                                                         credentials=credentials)
    before = fleet.state()
    summary = asset_handler.handler({"source": "aws.events"}, None, clients=factory,
                                    environ={"AWS_REGION": REGION, "AIFINOPS_GUARD_ENFORCE": "true"})
    after = fleet.state()

    assert summary["errors"] == [{"resource": denied,
                                  "kind": "ec2-instance", "region": REGION, "operation": "StopInstances",
                                  "code": "UnauthorizedOperation",
                                  "message": "You are not authorized to perform this operation."}]
    got = by_label(fleet, summary)
    assert (got["idle"]["action"], got["idle"]["result"]) == ("stop", "failed")
    assert (got["idle2"]["action"], got["idle2"]["result"]) == ("stop", "done")
    assert summary["counts"]["stopped"] == 1 and summary["counts"]["marked"] == 2 and summary["counts"]["errors"] == 1
    check_counts(summary)
    assert after["idle"] == before["idle"]  # still running, no stopped-by tag
    assert after["idle2"][0] in ("stopping", "stopped") and STOPPED_BY in after["idle2"][1]
    assert all(VIOLATION in after[k][1] for k in ("untagged", "untagged2"))
    assert after["cpu"] == before["cpu"] and after["busy"] == before["busy"]
