"""One enforced scan with `guard.untagged.grace_minutes: 0` (issue 11), end to end: the synthesized handler in a
boto3-only subprocess against moto over HTTP, with the bundled policy replaced by the same config at grace 0
(AIFINOPS_GUARD_POLICY, as a local run would). Every violator is acted on in that one scan, nothing the owner
exempted or a manager keeps running is stopped, and the claimed savings are the sum of the stopped resources'
prices."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from aifinops.config import FinOpsConfig
from aifinops.policies.guard_policy import guard_policy
from tests.e2e.guard_fleet import (
    AMI,
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
from tests.moto_gaps import accept_every_ml_type

SCHEDULE = {"source": "aws.events", "detail-type": "Scheduled Event"}
PARTLY = {k: v for k, v in TAGS.items() if k not in ("project", "task-type")}


def _policy(config: FinOpsConfig) -> str:
    doc = guard_policy(config.model_copy(update={"guard": config.guard.model_copy(update={
        "untagged": config.guard.untagged.model_copy(update={"grace_minutes": 0})})}))
    return json.dumps(doc)


def _asg_instance(fleet: Fleet) -> str:
    """An untagged, idle GPU instance launched by an Auto Scaling group (moto tags it aws:autoscaling:groupName)."""
    autoscaling = fleet.client("autoscaling")
    autoscaling.create_launch_configuration(LaunchConfigurationName="gpu", ImageId=AMI, InstanceType="g5.xlarge")
    autoscaling.create_auto_scaling_group(AutoScalingGroupName="gpu-asg", LaunchConfigurationName="gpu", MinSize=1,
                                          MaxSize=1, DesiredCapacity=1, AvailabilityZones=["us-east-1a"])
    [instance] = autoscaling.describe_auto_scaling_groups()["AutoScalingGroups"][0]["Instances"]
    fleet.ids["asg"] = instance["InstanceId"]
    return str(instance["InstanceId"])


def test_one_scan_at_grace_0(empty_fleet: Fleet, invoke: Invoke, config: FinOpsConfig) -> None:
    fleet, now = empty_fleet, datetime.now(UTC).replace(microsecond=0)
    fleet.launch("untagged", "g5.xlarge")
    fleet.launch("partly", "g6.xlarge", PARTLY)
    fleet.launch("forbidden", "p3.2xlarge", TAGS, aged=True, cpu=60.0)  # busy, tagged, but dev allows no p3
    fleet.launch("idle", "g5.2xlarge", TAGS, aged=True, cpu=1.0)
    fleet.launch("busy", "g5.xlarge", TAGS, aged=True, cpu=60.0)
    fleet.launch("exempt-untagged", "g5.xlarge", {EXEMPT_UNTIL: (now + timedelta(days=2)).isoformat()})
    fleet.launch("typo-exempt", "g5.xlarge", {EXEMPT_UNTIL: "31/12/2026"})
    fleet.launch("near-miss", "g5.xlarge", {"aifinops:Exempt-Until": "2026-12-31"})
    fleet.launch("env-typo", "g5.xlarge", {**TAGS, "environment": "Dev"}, aged=True, cpu=1.0)
    full = {**PARTLY, **{f"owner-note-{i}": "x" for i in range(50 - len(PARTLY))}}
    fleet.launch("full", "g5.xlarge", full)  # 50 tags, untagged: no room for the marks, stopped all the same
    fleet.launch("cpu", "m5.large")
    _asg_instance(fleet)
    sm = fleet.client("sagemaker")
    sm.create_model(ModelName="m", ExecutionRoleArn="arn:aws:iam::222222222222:role/sm",
                    PrimaryContainer={"Image": "serve:1"})
    with accept_every_ml_type():
        sm.create_endpoint_config(EndpointConfigName="cfg", ProductionVariants=[
            {"VariantName": "a", "ModelName": "m", "InstanceType": "ml.g5.xlarge", "InitialInstanceCount": 2}])
    sm.create_endpoint(EndpointName="ep-untagged", EndpointConfigName="cfg")

    summary = invoke(SCHEDULE, AIFINOPS_GUARD_POLICY=_policy(config)).result
    got = by_label(fleet, summary)
    decisions = {d["id"]: d for d in summary["decisions"]}
    state = fleet.state()

    stopped = {"untagged": ["untagged"], "partly": ["untagged"], "forbidden": ["accelerator-not-allowed"],
               "idle": ["idle"], "full": ["untagged"]}
    for label, reasons in stopped.items():
        assert (got[label]["action"], got[label]["result"], got[label]["reasons"]) == ("stop", "done", reasons), label
        assert state[label][0] in ("stopping", "stopped"), label
    for label in ("untagged", "partly"):  # the audit tags are written with the stop
        tags = state[label][1]
        assert tags[VIOLATION] == "untagged" and tags[STOP_AFTER] == summary["scanned_at"]
        assert tags[STOPPED_BY] == f"untagged {summary['scanned_at']}"
    assert set(got["full"]["tags_not_written"]) == {VIOLATION, STOP_AFTER, STOPPED_BY}
    assert not {VIOLATION, STOP_AFTER, STOPPED_BY} & set(state["full"][1])

    notified = {"typo-exempt": "bad-exemption", "near-miss": "near-miss-tag", "env-typo": "environment-unknown",
                "asg": "untagged"}
    for label, reason in notified.items():
        assert got[label]["action"] == "notify" and reason in got[label]["reasons"], label
        assert state[label][0] == "running", label
    assert got["asg"]["managed_by"] == "Auto Scaling group 'gpu-asg'"
    assert (got["exempt-untagged"]["action"], got["exempt-untagged"]["reasons"]) == ("none", ["exempt"])
    for label in ("busy", "exempt-untagged", "cpu"):
        assert state[label][0] == "running", label
    assert "busy" not in got and "cpu" not in got

    endpoint = decisions["ep-untagged"]
    assert (endpoint["action"], endpoint["result"], endpoint["reasons"]) == ("stop", "done", ["untagged"])
    assert sm.list_endpoints()["Endpoints"] == []

    assert summary["errors"] == [] and summary["counts"]["stopped"] == 6
    check_counts(summary)
    prices = [d["hourly_usd"] for d in summary["decisions"] if d["action"] == "stop"]
    assert None not in prices  # every stopped resource priced (the catalog, or its estimate for ml.*)
    assert summary["counts"]["hourly_usd_saved"] == pytest.approx(sum(prices))
    assert endpoint["hourly_usd"] == pytest.approx(2 * 1.006) and endpoint["price_estimate"] is True
    # no signal asked for what was decided without one (untagged at grace 0, a forbidden type, exempt)
    assert summary["api_calls"]["cloudwatch:GetMetricData"] == 1
    assert "sagemaker:ListTags" in summary["api_calls"]  # the endpoint's stop confirmed its tags first
    assert _warned_pricing(summary)


def _warned_pricing(summary: dict[str, Any]) -> bool:
    """moto has no Price List API: one warning, and the ml.* price falls back to the catalog's estimate."""
    return [w["operation"] for w in summary["warnings"] if w["kind"] == "pricing"] == ["GetProducts"]
