"""The GPU guard over time, end to end: the synthesized handler in a boto3-only subprocess, its clock frozen at
chosen times (`invoke(event, now=...)`), against moto over HTTP. The grace period of an untagged instance runs out
and it is stopped; tags fixed in time remove the marks; exemptions; each SageMaker kind; and retries of throttled
and failing calls (in process: a botocore hook cannot reach a subprocess).

moto gaps filled in its backend (the ThreadedMotoServer runs in this process; the guard still speaks HTTP):
training jobs are Completed at once (the fixture sets one InProgress) and StopTrainingJob is missing (the fixture
adds it to moto's SageMaker responses: the job becomes Stopped, as AWS does after Stopping).
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from types import ModuleType
from typing import Any

import boto3
import pytest
from botocore.awsrequest import AWSResponse

from tests.e2e.conftest import REGION
from tests.e2e.guard_fleet import (
    ACCOUNT,
    EXEMPT_UNTIL,
    STOP_AFTER,
    STOPPED_BY,
    TAGS,
    VIOLATION,
    Fleet,
    Invoke,
    by_label,
    check_counts,
)
from tests.moto_gaps import accept_every_ml_type, stop_training_job

SCHEDULE = {"source": "aws.events", "detail-type": "Scheduled Event"}
ROLE = f"arn:aws:iam::{ACCOUNT}:role/sagemaker-execution"
GRACE = timedelta(minutes=60)  # guard.untagged.grace_minutes of the reference finops.yaml
NOTEBOOK_MAX, DEV_TRAINING_MAX = timedelta(hours=12), timedelta(hours=8)


def _now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


def _sm_tags(sm: Any, arn: str) -> dict[str, str]:
    return {t["Key"]: t["Value"] for t in sm.list_tags(ResourceArn=arn)["Tags"]}


def _tag_list(tags: dict[str, str]) -> list[dict[str, str]]:
    return [{"Key": k, "Value": v} for k, v in tags.items()]


def test_grace_period_runs_out_then_stop_and_fixed_tags_unmark(empty_fleet: Fleet, invoke: Invoke,
                                                             config: Any) -> None:
    assert timedelta(minutes=config.guard.untagged.grace_minutes) == GRACE
    fleet = empty_fleet
    fleet.launch("late", "g5.xlarge")  # stays untagged
    fleet.launch("fixed", "g5.xlarge")  # its owner adds the tags during the grace period
    t0 = _now()

    first = invoke(SCHEDULE, now=t0).result
    got = by_label(fleet, first)
    for label in ("late", "fixed"):
        assert (got[label]["action"], got[label]["result"]) == ("mark", "done")
        assert datetime.fromisoformat(got[label]["stop_after"]) == t0 + GRACE
        assert fleet.state()[label][1][STOP_AFTER] == (t0 + GRACE).strftime("%Y-%m-%dT%H:%M:%SZ")

    fleet.client("ec2").create_tags(Resources=[fleet.ids["fixed"]], Tags=_tag_list(TAGS))
    middle = invoke(SCHEDULE, now=t0 + GRACE / 2).result
    got = by_label(fleet, middle)
    assert (got["fixed"]["action"], got["fixed"]["result"]) == ("unmark", "done")
    assert got["late"]["action"] != "stop" and middle["counts"]["stopped"] == 0
    state = fleet.state()
    assert not {VIOLATION, STOP_AFTER} & set(state["fixed"][1]) and state["fixed"][0] == "running"
    assert {VIOLATION, STOP_AFTER} <= set(state["late"][1]) and state["late"][0] == "running"

    deadline = invoke(SCHEDULE, now=t0 + GRACE + timedelta(minutes=1)).result
    got = by_label(fleet, deadline)
    assert (got["late"]["action"], got["late"]["result"]) == ("stop", "done")
    assert "untagged" in got["late"]["reasons"] and deadline["errors"] == []
    assert got["fixed"]["action"] not in ("stop", "mark")
    check_counts(deadline)
    state = fleet.state()
    assert state["late"][0] in ("stopping", "stopped") and state["fixed"][0] == "running"
    # the audit tag names the reason; CloudWatch was not asked: nothing it said could have spared the instance
    assert state["late"][1][STOPPED_BY] == f"untagged {deadline['scanned_at']}"
    assert deadline["api_calls"].get("cloudwatch:GetMetricData", 0) == 1  # for "fixed" only

    again = invoke(SCHEDULE, now=t0 + GRACE + timedelta(minutes=2)).result
    assert "late" not in by_label(fleet, again)  # stopped: not inventoried, never stopped twice
    assert "ec2:StopInstances" not in again["api_calls"]


def test_exemptions_bounded_by_the_configured_maximum(empty_fleet: Fleet, invoke: Invoke, config: Any) -> None:
    """Every ISO 8601 form is honoured; a value the guard cannot honour (too far, unparseable, a near-miss key) is
    reported and the idle instance is notified, never stopped: the owner meant to exempt it."""
    fleet, now = empty_fleet, _now()
    today = now.date()
    longest = timedelta(days=config.guard.exemption_max_days)
    soon = now + timedelta(days=5)
    for label, until in (("exempt", today + timedelta(days=5)), ("exempt-z", soon.strftime("%Y-%m-%dT%H:%M:%SZ")),
                         ("exempt-offset", soon.astimezone(timezone(timedelta(hours=5, minutes=30))).isoformat()),
                         ("too-long", today + longest + timedelta(days=1)), ("malformed", "next week"),
                         ("expired", today - timedelta(days=1)),
                         ("expired-time", (now - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ"))):
        fleet.launch(label, "g5.xlarge", {**TAGS, EXEMPT_UNTIL: str(until)}, aged=True, cpu=1.0)
    fleet.launch("near-miss", "g5.xlarge", {**TAGS, "aifinops:Exempt-Until": str(today + timedelta(days=5))},
                 aged=True, cpu=1.0)
    fleet.launch("exempt-untagged", "g5.xlarge", {EXEMPT_UNTIL: str(today + timedelta(days=5))})

    summary = invoke(SCHEDULE).result
    got = by_label(fleet, summary)
    state = fleet.state()
    for label in ("exempt", "exempt-z", "exempt-offset", "exempt-untagged"):
        assert (got[label]["action"], got[label]["reasons"]) == ("none", ["exempt"]), label
        assert state[label][0] == "running" and VIOLATION not in state[label][1]
    for label, reason in (("too-long", "bad-exemption"), ("malformed", "bad-exemption"),
                          ("near-miss", "near-miss-tag")):
        assert got[label]["reasons"] == [reason, "idle"], label
        assert (got[label]["action"], got[label]["result"]) == ("notify", ""), label
        assert state[label][0] == "running"
    for label in ("expired", "expired-time"):
        assert (got[label]["action"], got[label]["reasons"]) == ("stop", ["idle"]), label
    assert summary["errors"] == [] and summary["counts"]["stopped"] == 2
    check_counts(summary)


@pytest.fixture
def moto_training(moto: str) -> Iterator[Any]:
    """moto's SageMaker backend of the dev account, with StopTrainingJob added to its responses."""
    from moto.sagemaker.models import sagemaker_backends

    with stop_training_job():
        yield sagemaker_backends[ACCOUNT][REGION]


def test_each_sagemaker_kind(empty_fleet: Fleet, invoke: Invoke, moto_training: Any) -> None:
    """An idle endpoint is deleted (config and model kept, the config carries the audit tag); an untagged notebook
    is marked; notebooks beyond notebook_max_hours and training beyond the environment's maximum are stopped; a
    notebook of a type dev does not allow (ml.p3) is stopped at once."""
    sm = empty_fleet.client("sagemaker")
    with accept_every_ml_type():
        sm.create_notebook_instance(NotebookInstanceName="nb-untagged", InstanceType="ml.g5.xlarge", RoleArn=ROLE)
        sm.create_notebook_instance(NotebookInstanceName="nb-tagged", InstanceType="ml.g5.xlarge", RoleArn=ROLE,
                                    Tags=_tag_list(TAGS))
    sm.create_notebook_instance(NotebookInstanceName="nb-volta", InstanceType="ml.p3.2xlarge", RoleArn=ROLE,
                                Tags=_tag_list(TAGS))
    sm.create_model(ModelName="ranker", ExecutionRoleArn=ROLE, PrimaryContainer={"Image": "serve:1"})
    sm.create_endpoint_config(EndpointConfigName="ranker-config", Tags=_tag_list(TAGS), ProductionVariants=[
        {"VariantName": "AllTraffic", "ModelName": "ranker", "InstanceType": "ml.g4dn.xlarge",
         "InitialInstanceCount": 1}])
    sm.create_endpoint(EndpointName="ranker", EndpointConfigName="ranker-config", Tags=_tag_list(TAGS))
    sm.create_training_job(
        TrainingJobName="ranker-train", RoleArn=ROLE, Tags=_tag_list(TAGS),
        AlgorithmSpecification={"TrainingImage": "train:1", "TrainingInputMode": "File"},
        OutputDataConfig={"S3OutputPath": "s3://example-models/out/"},
        ResourceConfig={"InstanceType": "ml.g5.xlarge", "InstanceCount": 2, "VolumeSizeInGB": 50},
        StoppingCondition={"MaxRuntimeInSeconds": 86400})
    moto_training.training_jobs["ranker-train"].training_job_status = "InProgress"
    t0 = _now()

    first = {d["id"]: d for d in invoke(SCHEDULE, now=t0).result["decisions"]}
    assert (first["nb-untagged"]["action"], first["nb-untagged"]["result"]) == ("mark", "done")
    assert first["nb-untagged"]["kind"] == "sagemaker-notebook"
    assert {VIOLATION, STOP_AFTER} <= set(_sm_tags(sm, first["nb-untagged"]["arn"]))
    assert first["ranker"]["reasons"] == ["no-signal"]  # younger than the idle window: never called idle
    assert "nb-tagged" not in first and "ranker-train" not in first  # compliant: counted only
    volta = first["nb-volta"]
    assert (volta["action"], volta["reasons"], volta["result"]) == ("stop", ["accelerator-not-allowed"], "done")
    assert "ml.p3.2xlarge not allowed in dev" in volta["detail"]

    later = t0 + NOTEBOOK_MAX + timedelta(hours=1)
    planned = {d["id"]: d for d in invoke(SCHEDULE, now=later, AIFINOPS_GUARD_ENFORCE="false").result["decisions"]}
    expected = {"ranker": ("sagemaker-endpoint", ["idle"]), "nb-tagged": ("sagemaker-notebook", ["notebook-too-long"]),
                "nb-untagged": ("sagemaker-notebook", ["untagged", "notebook-too-long"]),
                "ranker-train": ("sagemaker-training-job", ["training-too-long"])}
    for name, (kind, reasons) in expected.items():
        assert (planned[name]["kind"], planned[name]["reasons"]) == (kind, reasons), name
        assert (planned[name]["action"], planned[name]["result"]) == ("stop", "planned"), name
    assert planned["ranker-train"]["hourly_usd"] == pytest.approx(2 * planned["nb-tagged"]["hourly_usd"])
    assert DEV_TRAINING_MAX < NOTEBOOK_MAX

    summary = invoke(SCHEDULE, now=later).result
    assert summary["errors"] == [] and summary["counts"]["stopped"] == 4
    assert "sagemaker:ListTags" in summary["api_calls"]  # stops decided on tagging-API tags are confirmed first
    check_counts(summary)
    assert sm.list_endpoints()["Endpoints"] == []
    config_arn = sm.describe_endpoint_config(EndpointConfigName="ranker-config")["EndpointConfigArn"]
    assert _sm_tags(sm, config_arn)[STOPPED_BY].startswith("idle ")
    assert sm.describe_model(ModelName="ranker")["ModelName"] == "ranker"
    for name in ("nb-tagged", "nb-untagged"):
        notebook = sm.describe_notebook_instance(NotebookInstanceName=name)
        assert notebook["NotebookInstanceStatus"] in ("Stopping", "Stopped")
        assert STOPPED_BY in _sm_tags(sm, notebook["NotebookInstanceArn"])
    job = sm.describe_training_job(TrainingJobName="ranker-train")
    assert job["TrainingJobStatus"] == "Stopped"
    assert _sm_tags(sm, job["TrainingJobArn"])[STOPPED_BY].startswith("training-too-long ")

    again = invoke(SCHEDULE, now=later + timedelta(minutes=15)).result
    assert again["counts"]["stopped"] == 0 and again["decisions"] == []  # nothing left running: no double action


class _Raw:
    def __init__(self, body: bytes) -> None:
        self.body = body

    def stream(self, **_: Any) -> Iterator[bytes]:
        yield self.body


def test_throttling_and_a_5xx_are_retried(fleet: Fleet, moto: str, credentials: dict[str, str],
                                          asset_handler: ModuleType) -> None:
    """The first DescribeInstances answers 503 and the first ListEndpoints a ThrottlingException: both are retried
    by the asset's clients (adaptive retries), the scan finishes with no error and acts once."""
    failures = {"DescribeInstances": (503, b"<Response><Errors><Error><Code>ServiceUnavailable</Code><Message>"
                                           b"try again</Message></Error></Errors></Response>"),
                "ListEndpoints": (400, b'{"__type": "ThrottlingException", "message": "Rate exceeded"}')}
    calls: dict[str, int] = {}

    def fail_first(request: Any, **kwargs: Any) -> AWSResponse | None:
        operation = kwargs["event_name"].rsplit(".", 1)[-1]
        calls[operation] = calls.get(operation, 0) + 1
        if operation in failures and calls[operation] == 1:
            status, body = failures[operation]
            return AWSResponse(request.url, status, {}, _Raw(body))
        return None

    session = boto3.session.Session()
    session.events.register("before-send.ec2.DescribeInstances", fail_first)
    session.events.register("before-send.sagemaker.ListEndpoints", fail_first)
    factory = sys.modules["guard.clients"].ClientFactory(endpoint_url=moto, max_attempts=3, session=session,
                                                         credentials=credentials)
    summary = asset_handler.handler(SCHEDULE, None, clients=factory,
                                    environ={"AWS_REGION": REGION, "AIFINOPS_GUARD_ENFORCE": "true"})
    assert calls["DescribeInstances"] >= 2 and calls["ListEndpoints"] >= 2
    assert summary["errors"] == []
    got = by_label(fleet, summary)
    assert (got["idle"]["action"], got["idle"]["result"]) == ("stop", "done")
    assert summary["counts"]["stopped"] == 1 and summary["counts"]["marked"] == 2
    check_counts(summary)
