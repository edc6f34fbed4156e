"""The GPU guard end to end: its code taken from the synthesized GuardStack asset (policy file bundled), run in a
subprocess that can import only that directory and boto3, against a moto server over HTTP.

Account: the guard runs inside the workload account it scans. The stack is synthesized for 222222222222, which the
bundled policy maps to the environment dev (guard_mode stop). moto resolves the account of a request from its access
key, so the fleet is seeded and the guard run with keys of an assumed role in 222222222222 (moto's STS hands them out
for any role ARN); with moto's default account 123456789012 the guard would find no environment for untagged
resources.

Clock: the handler scans at `datetime.now(UTC)`; neither the event nor the environment can move it (see the report
of this test: a product gap). moto launches instances "now", so an instance could never be older than the idle
window. This module ages the instances in moto's own backend (the ThreadedMotoServer runs in this process) and puts
CloudWatch datapoints at real past timestamps: the handler then sees idle and busy instances with its real clock.
The untagged grace period cannot be run out this way (the deadline is `now + grace` at the first scan), so a stop of
an untagged instance is covered by tests/lambdas/guard/test_scan.py with a controllable `now`, not here.

The injected failure (UnauthorizedOperation on one StopInstances) uses a botocore event hook on a session, which a
subprocess cannot reach: that test loads the *asset's* handler.py in this process via importlib (as the top-level
module `handler`, the way Lambda does, so it brings in the asset directory as the package `guard`) and hands it a
ClientFactory of that same asset package built on the hooked session.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from importlib import util
from pathlib import Path
from types import ModuleType
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from aifinops.lambdas.guard.permissions import actions_for
from tests.e2e.assets import FunctionAsset, function_asset
from tests.e2e.conftest import REGION, LambdaRun, run_lambda
from tests.lambdas.guard.fleet import AMI, activity

ACCOUNT = "222222222222"  # the dev workload account of the reference finops.yaml
STACK = f"aifinops-guard-{ACCOUNT}-{REGION}"
HANDLER = "handler.handler"
POLICY_FILE = "aifinops_guard_policy.json"
VIOLATION, STOP_AFTER, STOPPED_BY = "aifinops:violation", "aifinops:stop-after", "aifinops:stopped-by"
TAGS = {"team": "search", "project": "ranker", "model": "llama", "environment": "dev", "task-type": "training"}
AGE = timedelta(hours=4)


@pytest.fixture(scope="module")
def guard_asset(tmp_path_factory: pytest.TempPathFactory, config: Any) -> FunctionAsset:
    """Synthesize only the GuardStack of the dev account, once per module."""
    import aws_cdk as cdk

    from aifinops.infra.context import cdk_json_context
    from aifinops.infra.guard_stack import GuardStack

    outdir = tmp_path_factory.mktemp("guard-cdk.out")
    app = cdk.App(outdir=str(outdir), context=cdk_json_context())
    GuardStack(app, STACK, config=config, account=ACCOUNT, region=REGION)
    app.synth()
    return function_asset(outdir, STACK, HANDLER)


@pytest.fixture
def credentials(moto: str) -> dict[str, str]:
    """Keys of the dev account (after the reset: moto forgets assumed-role keys)."""
    sts = boto3.client("sts", region_name=REGION, endpoint_url=moto)
    keys = sts.assume_role(RoleArn=f"arn:aws:iam::{ACCOUNT}:role/aifinops-gpu-guard",
                           RoleSessionName="e2e")["Credentials"]
    return {"aws_access_key_id": keys["AccessKeyId"], "aws_secret_access_key": keys["SecretAccessKey"],
            "aws_session_token": keys["SessionToken"]}


class Fleet:
    def __init__(self, url: str, credentials: dict[str, str]) -> None:
        self.url, self.credentials = url, credentials
        self.ids: dict[str, str] = {}

    def client(self, service: str) -> Any:
        return boto3.client(service, region_name=REGION, endpoint_url=self.url,
                            config=Config(retries={"max_attempts": 1}), **self.credentials)

    def state(self) -> dict[str, tuple[str, dict[str, str]]]:
        """label -> (state, tags) of every instance of the fleet."""
        by_id = {}
        for reservation in self.client("ec2").describe_instances()["Reservations"]:
            for i in reservation["Instances"]:
                by_id[i["InstanceId"]] = (i["State"]["Name"], {t["Key"]: t["Value"] for t in i.get("Tags", [])})
        return {label: by_id[instance] for label, instance in self.ids.items()}


def _launch(ec2: Any, instance_type: str, tags: dict[str, str] | None = None) -> str:
    kwargs: dict[str, Any] = {}
    if tags:
        kwargs["TagSpecifications"] = [{"ResourceType": "instance",
                                        "Tags": [{"Key": k, "Value": v} for k, v in tags.items()]}]
    response = ec2.run_instances(ImageId=AMI, MinCount=1, MaxCount=1, InstanceType=instance_type, **kwargs)
    return str(response["Instances"][0]["InstanceId"])


def _age(instance_ids: list[str]) -> None:
    """Move the launch time back by AGE in moto's backend (same process as the ThreadedMotoServer)."""
    from moto.ec2.models import ec2_backends

    backend = ec2_backends[ACCOUNT][REGION]
    for instance_id in instance_ids:
        instance = backend.get_instance(instance_id)
        instance.launch_time = instance.launch_time - AGE


@pytest.fixture
def fleet(moto: str, credentials: dict[str, str], guard_asset: FunctionAsset) -> Fleet:
    """In the dev account: two untagged GPU instances, an idle and a busy tagged GPU instance (both older than
    the idle window), an untagged idle CPU instance (never the guard's business)."""
    window = json.loads((guard_asset.directory / POLICY_FILE).read_text())["idle"]["windowMinutes"]
    fleet = Fleet(moto, credentials)
    ec2, cw = fleet.client("ec2"), fleet.client("cloudwatch")
    fleet.ids = {"untagged": _launch(ec2, "g5.xlarge"), "untagged2": _launch(ec2, "g5.2xlarge"),
                 "idle": _launch(ec2, "g5.xlarge", TAGS), "busy": _launch(ec2, "g5.xlarge", TAGS),
                 "cpu": _launch(ec2, "m5.large")}
    _age([fleet.ids[k] for k in ("idle", "busy", "cpu")])
    now = datetime.now(UTC)
    activity(cw, [fleet.ids["idle"], fleet.ids["cpu"]], now, cpu=1.0, window_minutes=window,
             later=timedelta(minutes=10))
    activity(cw, [fleet.ids["busy"]], now, cpu=60.0, window_minutes=window, later=timedelta(minutes=10))
    return fleet


@pytest.fixture
def invoke(guard_asset: FunctionAsset, boto3_only_path: Path, moto: str, tmp_path: Path,
           credentials: dict[str, str]) -> Any:
    runs = iter(range(100))
    keys = {"AWS_ACCESS_KEY_ID": credentials["aws_access_key_id"],
            "AWS_SECRET_ACCESS_KEY": credentials["aws_secret_access_key"],
            "AWS_SESSION_TOKEN": credentials["aws_session_token"]}

    def invoke(event: Any, **env: str) -> LambdaRun:
        return run_lambda(guard_asset, event, endpoint_url=moto, boto3_path=boto3_only_path,
                          workdir=tmp_path / f"run-{next(runs)}", extra_env={**keys, **env})
    return invoke


def _by_label(fleet: Fleet, summary: dict[str, Any]) -> dict[str, dict[str, Any]]:
    labels = {instance: label for label, instance in fleet.ids.items()}
    return {labels[d["id"]]: d for d in summary["decisions"] if d["id"] in labels}


def _check_counts(summary: dict[str, Any]) -> None:
    """The counts agree with the decisions listed."""
    counts, decisions = summary["counts"], summary["decisions"]
    assert counts["errors"] == len(summary["errors"])
    assert counts["stopped"] == sum(d["action"] == "stop" and d["result"] == "done" for d in decisions)
    assert counts["marked"] == sum(d["action"] == "mark" and d["result"] == "done" for d in decisions)
    assert sum(counts["by_action"].values()) <= counts["resources"]
    listed = {a: sum(d["action"] == a for d in decisions) for a in {d["action"] for d in decisions}}
    assert {a: n for a, n in counts["by_action"].items() if a in listed} == listed
    assert counts["hourly_usd_saved"] == pytest.approx(sum(
        d["hourly_usd"] or 0 for d in decisions if d["action"] == "stop" and d["result"] == "done"))


def test_the_asset_bundles_the_policy_and_runs_without_aifinops(guard_asset: FunctionAsset, moto: str,
                                                               invoke: Any) -> None:
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


def test_dry_run_plans_and_changes_nothing(fleet: Fleet, invoke: Any) -> None:
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
    got = _by_label(fleet, summary)
    assert set(got) == {"untagged", "untagged2", "idle"}  # busy: compliant, counted only; cpu: never inventoried
    assert summary["counts"]["resources"] == 4
    assert (got["idle"]["action"], got["idle"]["reasons"], got["idle"]["result"]) == ("stop", ["idle"], "planned")
    for label in ("untagged", "untagged2"):
        assert (got[label]["action"], got[label]["result"]) == ("mark", "planned")
        assert got[label]["environment"] == "dev"  # from the account map of the bundled policy
        assert got[label]["account"] == ACCOUNT
    assert summary["counts"]["stopped"] == 0 and summary["counts"]["marked"] == 0
    _check_counts(summary)
    assert not {"ec2:StopInstances", "ec2:CreateTags"} & set(summary["api_calls"])
    assert fleet.state() == before
    assert [line["summary"] for line in run.log if line.get("message") == "scan summary"] == [summary]
    assert summary["api_calls"]["sns:Publish"] == 1
    messages = sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10)["Messages"]
    assert len(messages) == 1
    note = json.loads(messages[0]["Body"])
    assert note["TopicArn"] == topic and "dry run: nothing was changed" in note["Message"]
    assert fleet.ids["idle"] in note["Message"] and fleet.ids["cpu"] not in note["Message"]


def test_enforce_marks_stops_and_does_not_act_twice(fleet: Fleet, invoke: Any) -> None:
    before = fleet.state()
    summary = invoke({"source": "aws.events", "detail-type": "Scheduled Event"}).result
    after = fleet.state()
    assert summary["dry_run"] is False and summary["errors"] == []
    got = _by_label(fleet, summary)
    assert (got["idle"]["action"], got["idle"]["result"]) == ("stop", "done")
    assert summary["counts"]["stopped"] == 1 and summary["counts"]["marked"] == 2
    _check_counts(summary)
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
    regot = _by_label(fleet, again)
    assert "idle" not in regot  # stopped: no longer running, not inventoried
    for label in ("untagged", "untagged2"):  # marked, grace period running: only the no-signal notice is left
        assert (regot[label]["action"], regot[label]["result"]) == ("notify", "")
        assert "grace period until" in regot[label]["detail"]
    _check_counts(again)
    assert fleet.state() == after


def test_a_create_event_marks_only_the_new_instance(fleet: Fleet, invoke: Any) -> None:
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


@pytest.fixture
def asset_handler(guard_asset: FunctionAsset) -> Iterator[ModuleType]:
    """The asset's handler.py imported in this process as Lambda would (top-level `handler`, package `guard`)."""
    saved = {k: sys.modules.pop(k) for k in list(sys.modules) if k in ("handler", "guard") or k.startswith("guard.")}
    spec = util.spec_from_file_location("handler", guard_asset.directory / "handler.py")
    assert spec is not None and spec.loader is not None
    module = util.module_from_spec(spec)
    sys.modules["handler"] = module
    try:
        spec.loader.exec_module(module)
        assert Path(sys.modules["guard"].__file__ or "").parent == guard_asset.directory
        yield module
    finally:
        for k in [k for k in sys.modules if k in ("handler", "guard") or k.startswith("guard.")]:
            del sys.modules[k]
        sys.modules.update(saved)


def test_an_unauthorized_stop_is_reported_and_the_rest_handled(fleet: Fleet, moto: str, credentials: dict[str, str],
                                                               asset_handler: ModuleType,
                                                               guard_asset: FunctionAsset) -> None:
    """In-process (a botocore hook cannot reach a subprocess): StopInstances is denied for `idle` only; the batch
    call fails, the guard retries one instance at a time, reports the denial and still marks the others."""
    ec2 = fleet.client("ec2")
    second_idle = _launch(ec2, "g5.xlarge", TAGS)
    fleet.ids["idle2"] = second_idle
    _age([second_idle])
    window = json.loads((guard_asset.directory / POLICY_FILE).read_text())["idle"]["windowMinutes"]
    activity(fleet.client("cloudwatch"), [second_idle], datetime.now(UTC), cpu=1.0, window_minutes=window,
             later=timedelta(minutes=10))
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
    got = _by_label(fleet, summary)
    assert (got["idle"]["action"], got["idle"]["result"]) == ("stop", "failed")
    assert (got["idle2"]["action"], got["idle2"]["result"]) == ("stop", "done")
    assert summary["counts"]["stopped"] == 1 and summary["counts"]["marked"] == 2 and summary["counts"]["errors"] == 1
    _check_counts(summary)
    assert after["idle"] == before["idle"]  # still running, no stopped-by tag
    assert after["idle2"][0] in ("stopping", "stopped") and STOPPED_BY in after["idle2"][1]
    assert all(VIOLATION in after[k][1] for k in ("untagged", "untagged2"))
    assert after["cpu"] == before["cpu"] and after["busy"] == before["busy"]
