"""The whole scan on a moto server: dry run, enforcement, no double action, the grace period with a
controllable clock, unmarking, exemptions, SageMaker kinds, the time budget, API call counts and the handler.
See fleet.py for how instances are made old enough (a `now` in the future)."""

from __future__ import annotations

import dataclasses
import itertools
import json
import subprocess
import sys
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from aifinops.lambdas.guard import handler as guard_handler
from aifinops.lambdas.guard.clients import ClientFactory
from aifinops.lambdas.guard.decide import format_utc
from aifinops.lambdas.guard.permissions import actions_for
from aifinops.lambdas.guard.policy import ENV_VAR
from aifinops.lambdas.guard.report import Summary
from aifinops.lambdas.guard.scan import scan
from tests.lambdas.guard.conftest import REGION
from tests.lambdas.guard.fleet import FULL_TAGS, ROLE, activity, dev_policy, run, scan_time, state_of, tags_of

VIOLATION, STOP_AFTER, STOPPED_BY = "aifinops:violation", "aifinops:stop-after", "aifinops:stopped-by"
TYPES: dict[str, frozenset[str]] = {}  # moto's DescribeInstanceTypes takes ~2 s: once per module


def _scan(*args: Any, **kwargs: Any) -> Summary:
    return scan(*args, type_cache=TYPES, **kwargs)


def _fleet(clients: ClientFactory) -> dict[str, str]:
    ec2, cw = clients.client("ec2", REGION), clients.client("cloudwatch", REGION)
    now = scan_time()
    window = dev_policy().idle_window_minutes
    ids = {"idle": run(ec2, tags=FULL_TAGS)[0], "busy": run(ec2, tags=FULL_TAGS)[0],
           "untagged": run(ec2)[0], "prod_idle": run(ec2, tags={**FULL_TAGS, "environment": "prod"})[0],
           "exempt": run(ec2, tags={"aifinops:exempt-until": (now + timedelta(days=3)).date().isoformat()})[0],
           "cpu": run(ec2, "m5.large")[0], "no_signal": run(ec2, tags=FULL_TAGS)[0]}
    activity(cw, [ids["idle"], ids["prod_idle"], ids["exempt"], ids["cpu"]], now, cpu=1.0, window_minutes=window)
    activity(cw, [ids["busy"], ids["untagged"]], now, cpu=60.0, window_minutes=window)
    return ids


def _by_id(summary: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {d["id"]: d for d in summary["decisions"]}


def test_dry_run_then_enforce_then_no_double_action(clients: ClientFactory) -> None:
    ids = _fleet(clients)
    ec2, now, policy = clients.client("ec2", REGION), scan_time(), dev_policy()

    dry = _scan(policy, clients, [REGION], now=now, enforce=False).to_dict()
    got = _by_id(dry)
    assert dry["dry_run"] is True and dry["errors"] == []
    assert (got[ids["idle"]]["action"], got[ids["idle"]]["result"], got[ids["idle"]]["reasons"]) == (
        "stop", "planned", ["idle"])
    assert (got[ids["untagged"]]["action"], got[ids["untagged"]]["result"]) == ("mark", "planned")
    assert got[ids["prod_idle"]]["action"] == "notify" and got[ids["prod_idle"]]["environment"] == "prod"
    assert got[ids["exempt"]]["reasons"] == ["exempt"] and got[ids["exempt"]]["action"] == "none"
    assert got[ids["no_signal"]]["reasons"] == ["no-signal"]
    assert ids["busy"] not in got and ids["cpu"] not in got  # compliant: counted only; CPU: never inventoried
    assert dry["counts"]["resources"] == 6 and dry["counts"]["stopped"] == 0
    assert all(state_of(ec2, i) == "running" for i in ids.values())
    assert VIOLATION not in tags_of(ec2, ids["untagged"])
    assert dry["api_calls"]["ec2:DescribeInstances"] == 1 and dry["api_calls"]["cloudwatch:GetMetricData"] == 1
    assert "ec2:StopInstances" not in dry["api_calls"]

    done = _scan(policy, clients, [REGION], now=now, enforce=True).to_dict()
    got = _by_id(done)
    assert done["errors"] == [] and done["counts"]["stopped"] == 1 and done["counts"]["marked"] == 1
    assert got[ids["idle"]]["result"] == "done" and state_of(ec2, ids["idle"]) in ("stopping", "stopped")
    assert tags_of(ec2, ids["idle"])[STOPPED_BY] == f"idle {format_utc(now)}"
    marks = tags_of(ec2, ids["untagged"])
    assert marks[VIOLATION] == "untagged"
    assert marks[STOP_AFTER] == format_utc(now + timedelta(minutes=policy.grace_minutes))
    assert done["counts"]["hourly_usd_saved"] == got[ids["idle"]]["hourly_usd"] > 0
    assert done["api_calls"]["ec2:StopInstances"] == 1 and done["api_calls"]["ec2:CreateTags"] == 2
    assert all(state_of(ec2, i) == "running" for k, i in ids.items() if k != "idle")

    again = _scan(policy, clients, [REGION], now=now, enforce=True).to_dict()
    assert again["counts"]["stopped"] == 0 and again["errors"] == []
    assert "ec2:StopInstances" not in again["api_calls"] and "ec2:CreateTags" not in again["api_calls"]
    for operation in {**dry["api_calls"], **done["api_calls"]}:
        assert actions_for(operation), f"{operation} is not declared in permissions.py"
    assert _by_id(again)[ids["untagged"]]["action"] == "none"  # grace period running


def test_grace_period_with_a_controllable_clock(clients: ClientFactory) -> None:
    ec2, cw = clients.client("ec2", REGION), clients.client("cloudwatch", REGION)
    policy, now = dev_policy(), scan_time()
    untagged = run(ec2)[0]
    activity(cw, [untagged], now, cpu=60.0, window_minutes=policy.idle_window_minutes)

    first = _scan(policy, clients, [REGION], now=now, enforce=True).to_dict()
    assert _by_id(first)[untagged]["action"] == "mark"
    before = _scan(policy, clients, [REGION], now=now + timedelta(minutes=policy.grace_minutes - 1), enforce=True)
    assert _by_id(before.to_dict())[untagged]["action"] == "none" and state_of(ec2, untagged) == "running"
    after = _scan(policy, clients, [REGION], now=now + timedelta(minutes=policy.grace_minutes + 1),
                 enforce=True).to_dict()
    assert (_by_id(after)[untagged]["action"], _by_id(after)[untagged]["result"]) == ("stop", "done")
    assert state_of(ec2, untagged) in ("stopping", "stopped")
    assert tags_of(ec2, untagged)[STOPPED_BY].startswith("untagged ")


def test_unmark_when_tags_fixed(clients: ClientFactory) -> None:
    ec2, cw = clients.client("ec2", REGION), clients.client("cloudwatch", REGION)
    policy, now = dev_policy(), scan_time()
    instance = run(ec2)[0]
    activity(cw, [instance], now, cpu=60.0, window_minutes=policy.idle_window_minutes)
    _scan(policy, clients, [REGION], now=now, enforce=True)
    assert VIOLATION in tags_of(ec2, instance)
    ec2.create_tags(Resources=[instance], Tags=[{"Key": k, "Value": v} for k, v in FULL_TAGS.items()])

    fixed = _scan(policy, clients, [REGION], now=now + timedelta(minutes=5), enforce=True).to_dict()
    assert (_by_id(fixed)[instance]["action"], _by_id(fixed)[instance]["result"]) == ("unmark", "done")
    assert not {VIOLATION, STOP_AFTER} & set(tags_of(ec2, instance))
    assert _scan(policy, clients, [REGION], now=now + timedelta(minutes=10), enforce=True).to_dict()[
        "counts"]["by_action"] == {"none": 1}


def test_sagemaker_notebook_marked_and_stopped_endpoint_deleted_config_kept(clients: ClientFactory) -> None:
    sm = clients.client("sagemaker", REGION)
    policy, now = dev_policy(), scan_time()
    sm.create_notebook_instance(NotebookInstanceName="nb", InstanceType="ml.p3.2xlarge", RoleArn=ROLE)
    sm.create_model(ModelName="m", ExecutionRoleArn=ROLE, PrimaryContainer={"Image": "img"})
    sm.create_endpoint_config(EndpointConfigName="cfg", ProductionVariants=[
        {"VariantName": "a", "ModelName": "m", "InstanceType": "ml.g4dn.xlarge", "InitialInstanceCount": 1}])
    sm.create_endpoint(EndpointName="ep", EndpointConfigName="cfg",
                       Tags=[{"Key": k, "Value": v} for k, v in FULL_TAGS.items()])

    first = _by_id(_scan(policy, clients, [REGION], now=now, enforce=True).to_dict())
    assert (first["nb"]["action"], first["nb"]["result"]) == ("mark", "done")
    assert (first["ep"]["action"], first["ep"]["reasons"], first["ep"]["result"]) == ("stop", ["idle"], "done")
    nb_arn = first["nb"]["arn"]
    assert {t["Key"] for t in sm.list_tags(ResourceArn=nb_arn)["Tags"]} >= {VIOLATION, STOP_AFTER}
    assert [e["EndpointName"] for e in sm.list_endpoints()["Endpoints"]] == []
    config = sm.describe_endpoint_config(EndpointConfigName="cfg")
    tags = {t["Key"]: t["Value"] for t in sm.list_tags(ResourceArn=config["EndpointConfigArn"])["Tags"]}
    assert tags[STOPPED_BY] == f"idle {format_utc(now)} endpoint:ep"
    assert sm.describe_model(ModelName="m")["ModelName"] == "m"

    later = _by_id(_scan(policy, clients, [REGION], now=now + timedelta(minutes=policy.grace_minutes + 1),
                        enforce=True).to_dict())
    assert (later["nb"]["action"], later["nb"]["result"]) == ("stop", "done")
    assert sm.describe_notebook_instance(NotebookInstanceName="nb")["NotebookInstanceStatus"] in ("Stopping",
                                                                                                 "Stopped")
    assert "ep" not in later


def test_time_budget_stops_cleanly_and_lists_what_was_not_reached(clients: ClientFactory) -> None:
    ids = _fleet(clients)
    ticks = itertools.count()
    summary = _scan(dev_policy(), clients, [REGION], now=scan_time(), enforce=True, time_budget_seconds=2.5,
                   clock=lambda: float(next(ticks))).to_dict()
    assert summary["not_reached"] == [{"region": REGION, "stage": "act",
                                       "resources": [ids["idle"], ids["untagged"]]}]
    assert summary["counts"]["not_reached"] == 2 and summary["counts"]["stopped"] == 0
    assert state_of(clients.client("ec2", REGION), ids["idle"]) == "running"
    none = _scan(dev_policy(), clients, [REGION, "eu-west-1"], now=scan_time(), enforce=True, time_budget_seconds=0)
    assert {n["region"] for n in none.not_reached} == {REGION, "eu-west-1"} and none.api_calls == {}


def test_handler_create_event_scans_the_new_instance_only(clients: ClientFactory, capsys: Any) -> None:
    ec2 = clients.client("ec2", REGION)
    new, other = run(ec2)[0], run(ec2)[0]
    event = {"detail-type": "AWS API Call via CloudTrail", "region": REGION,
             "detail": {"eventName": "RunInstances", "responseElements": {"instancesSet": {"items": [
                 {"instanceId": new}]}}}}
    environ = {ENV_VAR: json.dumps(_policy_doc()), "AWS_REGION": REGION, "AIFINOPS_GUARD_ENFORCE": "true"}
    summary = guard_handler.handler(event, None, clients=clients, environ=environ)
    assert summary["trigger"] == "create-event" and [d["id"] for d in summary["decisions"]] == [new]
    assert summary["decisions"][0]["action"] == "mark" and VIOLATION in tags_of(ec2, new)
    assert VIOLATION not in tags_of(ec2, other)
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    emf = next(line for line in lines if "_aws" in line)
    assert emf["_aws"]["CloudWatchMetrics"][0]["Namespace"] == "aifinops/GpuGuard" and emf["ResourcesMarked"] == 1
    assert lines[-1]["summary"] == summary


def test_handler_sends_one_digest_per_scan_grouped_by_team(clients: ClientFactory) -> None:
    ec2, sns, sqs = (clients.client(s, REGION) for s in ("ec2", "sns", "sqs"))
    topic = sns.create_topic(Name="guard")["TopicArn"]
    queue = sqs.create_queue(QueueName="digest")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=queue_arn, Attributes={"RawMessageDelivery": "true"})
    run(ec2), run(ec2, tags={"team": "vision"})
    environ = {ENV_VAR: json.dumps(_policy_doc()), "AWS_REGION": REGION, "AIFINOPS_GUARD_ENFORCE": "false",
               "AIFINOPS_GUARD_TOPIC_ARN": topic}
    summary = guard_handler.handler({}, None, clients=clients, environ=environ)
    assert summary["dry_run"] is True and summary["errors"] == [] and summary["api_calls"]["sns:Publish"] == 1
    messages = sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10)["Messages"]
    assert len(messages) == 1
    body = messages[0]["Body"]
    assert "dry run" in body and "Team vision:" in body and "Team (no team tag):" in body


def test_handler_imports_as_a_top_level_module() -> None:
    here = Path(guard_handler.__file__).parent
    code = "import handler; print(handler.__package__, handler.enforce_from_env({}))"
    done = subprocess.run([sys.executable, "-c", code], cwd=here, capture_output=True, text=True, check=True)
    assert done.stdout.split() == ["guard", "True"]


def _policy_doc() -> dict[str, Any]:
    from aifinops.config import load
    from aifinops.policies.guard_policy import guard_policy
    from tests.conftest import REFERENCE_CONFIG

    doc = guard_policy(load(REFERENCE_CONFIG))
    doc["accounts"] = {"123456789012": "dev"}
    doc["environments"]["dev"]["accounts"].append("123456789012")
    return doc


def test_a_region_listed_twice_is_scanned_once(clients: ClientFactory) -> None:
    ec2, cw = clients.client("ec2", REGION), clients.client("cloudwatch", REGION)
    policy, now = dev_policy(), scan_time()
    idle = run(ec2, tags=FULL_TAGS)[0]
    activity(cw, [idle], now, cpu=1.0, window_minutes=policy.idle_window_minutes)
    summary = _scan(policy, clients, [REGION, REGION], now=now, enforce=True).to_dict()
    assert summary["regions"] == [REGION] and [d["id"] for d in summary["decisions"]] == [idle]
    assert summary["counts"]["stopped"] == 1 and summary["api_calls"]["ec2:StopInstances"] == 1


class _StaleTagging:
    """Clients whose tagging API answers as if no SageMaker resource had tags yet (the API can lag)."""

    def __init__(self, inner: ClientFactory) -> None:
        self.inner = inner

    def client(self, service: str, region: str) -> Any:
        client = self.inner.client(service, region)
        if service != "resourcegroupstaggingapi":
            return client

        class Stale:
            meta = client.meta

            @staticmethod
            def get_resources(**_: Any) -> dict[str, Any]:
                return {"ResourceTagMappingList": []}

        return Stale()


def test_a_stop_on_lagging_tags_is_confirmed_and_measured_before_it_is_decided(clients: ClientFactory) -> None:
    """At grace 0 the tagging API's stale answer says "untagged": the scan stops nothing on it. ListTags shows the
    tags; the endpoint is then measured (it was not, being "stopped anyway") and deleted for what it is: idle."""
    sm = clients.client("sagemaker", REGION)
    policy = dataclasses.replace(dev_policy(), grace_minutes=0)
    sm.create_model(ModelName="m", ExecutionRoleArn=ROLE, PrimaryContainer={"Image": "img"})
    sm.create_endpoint_config(EndpointConfigName="cfg", ProductionVariants=[
        {"VariantName": "a", "ModelName": "m", "InstanceType": "ml.g4dn.xlarge", "InitialInstanceCount": 1}])
    sm.create_endpoint(EndpointName="ep", EndpointConfigName="cfg",
                       Tags=[{"Key": k, "Value": v} for k, v in FULL_TAGS.items()])
    summary = _scan(policy, _StaleTagging(clients), [REGION], now=scan_time(), enforce=False).to_dict()
    [endpoint] = summary["decisions"]
    assert (endpoint["action"], endpoint["reasons"]) == ("stop", ["idle"])
    assert summary["api_calls"]["sagemaker:ListTags"] == 1 and summary["api_calls"]["cloudwatch:GetMetricData"] == 1


def test_a_failing_region_is_reported_and_the_others_still_scanned(clients: ClientFactory,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    from aifinops.lambdas.guard import scan as scan_module

    real = scan_module._scan_region

    def broken(policy: Any, counting: Any, prices: Any, region: str, **kwargs: Any) -> Any:
        if region == "eu-west-1":
            raise RuntimeError("a bug")
        return real(policy, counting, prices, region, **kwargs)

    monkeypatch.setattr(scan_module, "_scan_region", broken)
    idle = run(clients.client("ec2", REGION), tags=FULL_TAGS)[0]
    summary = _scan(dev_policy(), clients, [REGION, "eu-west-1"], now=scan_time(), enforce=False).to_dict()
    assert [(e["region"], e["code"]) for e in summary["errors"]] == [("eu-west-1", "RuntimeError")]
    assert idle in {d["id"] for d in summary["decisions"]}
