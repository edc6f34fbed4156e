"""The GPU guard's end-to-end fleet in the dev workload account, and fixtures to run the synthesized guard on it.

Account: the guard runs inside the workload account it scans. The stack is synthesized for 222222222222, which the
bundled policy maps to the environment dev (guard mode stop). moto resolves the account of a request from its access
key, so the fleet is seeded and the guard run with keys of an assumed role in 222222222222 (moto's STS hands them out
for any role ARN); with moto's default account 123456789012 the guard would find no environment for untagged
resources.

Time: moto creates everything "now". Two ways to make resources old: `age` moves an instance's launch time back in
moto's backend (the ThreadedMotoServer runs in this process), and `invoke(..., now=...)` runs the handler with its
`utcnow` clock frozen at a later time (grace periods, run-time limits).
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from importlib import util
from pathlib import Path
from types import ModuleType
from typing import Any

import boto3
import pytest
from botocore.config import Config

from tests.e2e.assets import FunctionAsset, function_asset
from tests.e2e.conftest import REGION, LambdaRun, run_lambda
from tests.lambdas.guard.fleet import AMI, activity

ACCOUNT = "222222222222"  # the dev workload account of the reference finops.yaml
STACK = f"aifinops-guard-{ACCOUNT}-{REGION}"
HANDLER = "handler.handler"
POLICY_FILE = "aifinops_guard_policy.json"
VIOLATION, STOP_AFTER, STOPPED_BY = "aifinops:violation", "aifinops:stop-after", "aifinops:stopped-by"
EXEMPT_UNTIL = "aifinops:exempt-until"
TAGS = {"team": "search", "project": "ranker", "model": "llama", "environment": "dev", "task-type": "training"}
AGE = timedelta(hours=4)
Invoke = Callable[..., LambdaRun]


class Fleet:
    def __init__(self, url: str, credentials: dict[str, str], window_minutes: int) -> None:
        self.url, self.credentials, self.window_minutes = url, credentials, window_minutes
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

    def launch(self, label: str, instance_type: str, tags: dict[str, str] | None = None, *, aged: bool = False,
               cpu: float | None = None) -> str:
        """Run one instance; `aged`: launched AGE ago; `cpu`: CPU datapoints (and some network) over the window."""
        kwargs: dict[str, Any] = {}
        if tags:
            kwargs["TagSpecifications"] = [{"ResourceType": "instance",
                                            "Tags": [{"Key": k, "Value": v} for k, v in tags.items()]}]
        response = self.client("ec2").run_instances(ImageId=AMI, MinCount=1, MaxCount=1,
                                                    InstanceType=instance_type, **kwargs)
        instance = self.ids[label] = str(response["Instances"][0]["InstanceId"])
        if aged:
            age([instance])
        if cpu is not None:
            activity(self.client("cloudwatch"), [instance], datetime.now(UTC), cpu=cpu,
                     window_minutes=self.window_minutes, later=timedelta(minutes=10))
        return instance


def age(instance_ids: list[str]) -> None:
    """Move the launch time back by AGE in moto's backend (same process as the ThreadedMotoServer)."""
    from moto.ec2.models import ec2_backends

    backend = ec2_backends[ACCOUNT][REGION]
    for instance_id in instance_ids:
        instance = backend.get_instance(instance_id)
        instance.launch_time = instance.launch_time - AGE


def by_label(fleet: Fleet, summary: dict[str, Any]) -> dict[str, dict[str, Any]]:
    labels = {instance: label for label, instance in fleet.ids.items()}
    return {labels[d["id"]]: d for d in summary["decisions"] if d["id"] in labels}


def check_counts(summary: dict[str, Any]) -> None:
    """The counts agree with the decisions listed."""
    counts, decisions = summary["counts"], summary["decisions"]
    assert counts["errors"] == len(summary["errors"])
    assert counts["stopped"] == sum(d["action"] == "stop" and d["result"] == "done" for d in decisions)
    assert counts["marked"] == sum(d["action"] == "mark" and d["result"] == "done" for d in decisions)
    assert sum(counts["by_action"].values()) <= counts["resources"]
    listed = {a: sum(d["action"] == a for d in decisions) for a in {d["action"] for d in decisions} - {"none"}}
    assert {a: n for a, n in counts["by_action"].items() if a in listed} == listed
    assert counts["hourly_usd_saved"] == pytest.approx(sum(
        d["hourly_usd"] or 0 for d in decisions if d["action"] == "stop" and d["result"] == "done"))


@pytest.fixture(scope="session")
def guard_asset(tmp_path_factory: pytest.TempPathFactory, config: Any) -> FunctionAsset:
    """Synthesize only the GuardStack of the dev account, once per session."""
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


@pytest.fixture
def empty_fleet(moto: str, credentials: dict[str, str], guard_asset: FunctionAsset) -> Fleet:
    window = json.loads((guard_asset.directory / POLICY_FILE).read_text())["idle"]["windowMinutes"]
    return Fleet(moto, credentials, window)


@pytest.fixture
def fleet(empty_fleet: Fleet) -> Fleet:
    """Two untagged GPU instances, an idle and a busy tagged GPU instance (both older than the idle window), an
    untagged idle CPU instance (never the guard's business)."""
    empty_fleet.launch("untagged", "g5.xlarge")
    empty_fleet.launch("untagged2", "g5.2xlarge")
    empty_fleet.launch("idle", "g5.xlarge", TAGS, aged=True, cpu=1.0)
    empty_fleet.launch("busy", "g5.xlarge", TAGS, aged=True, cpu=60.0)
    empty_fleet.launch("cpu", "m5.large", aged=True, cpu=1.0)
    return empty_fleet


@pytest.fixture
def invoke(guard_asset: FunctionAsset, boto3_only_path: Path, moto: str, tmp_path: Path,
           credentials: dict[str, str]) -> Invoke:
    """invoke(event, now=None, **environment): the synthesized handler in a boto3-only subprocess."""
    runs = iter(range(100))
    keys = {"AWS_ACCESS_KEY_ID": credentials["aws_access_key_id"],
            "AWS_SECRET_ACCESS_KEY": credentials["aws_secret_access_key"],
            "AWS_SESSION_TOKEN": credentials["aws_session_token"]}

    def invoke(event: Any, now: datetime | None = None, **env: str) -> LambdaRun:
        return run_lambda(guard_asset, event, endpoint_url=moto, boto3_path=boto3_only_path,
                          workdir=tmp_path / f"run-{next(runs)}", extra_env={**keys, **env}, now=now)
    return invoke


@pytest.fixture
def asset_handler(guard_asset: FunctionAsset) -> Iterator[ModuleType]:
    """The asset's handler.py imported in this process as Lambda would (top-level `handler`, package `guard`):
    for fault injection through a botocore event hook, which cannot reach a subprocess."""
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
