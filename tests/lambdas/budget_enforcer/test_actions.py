"""Pause decisions (pure) and actions (botocore Stubber: every request checked).

StopTrainingJob is not implemented by moto 5.2.5 (HTTP 500), and moto marks training jobs Completed at once,
so stopping a running training job is covered here with the Stubber, not end to end.
"""

from __future__ import annotations

from dataclasses import replace

import pytest

from aifinops.lambdas.budget_enforcer.actions import decide_pause, pause_one
from aifinops.lambdas.budget_enforcer.inventory import EndpointState, Workload
from aifinops.lambdas.budget_enforcer.marks import Mark, encode_endpoint_record
from aifinops.lambdas.budget_enforcer.policy import Policy, parse_policy
from aifinops.lambdas.budget_enforcer.summary import Summary
from aifinops.policies.budget_policy import enforcer_policy_json
from tests.lambdas.budget_enforcer.stubs import ACCOUNT, REGION, StubbedClients

PAUSED = "aifinops:paused-by"
MONTH = "2026-11"
MARK = Mark("aifinops-search", MONTH)
TEAM = {"team": "search", "project": "ranker"}
ARN = f"arn:aws:sagemaker:{REGION}:{ACCOUNT}"


@pytest.fixture(scope="module")
def policy(config: object) -> Policy:
    return parse_policy(enforcer_policy_json(config))  # type: ignore[arg-type]


def instance(state: str = "running", instance_type: str = "g5.xlarge", **tags: str) -> Workload:
    return Workload(kind="ec2-instance", region=REGION, arn=f"arn:aws:ec2:{REGION}:{ACCOUNT}:instance/i-1",
                    name="i-1", tags={**TEAM, **tags}, state=state, instance_type=instance_type)


def endpoint(config_tags: dict[str, str] | None = None, components: bool = False) -> Workload:
    state = EndpointState(config_name="ranker-config", config_arn=f"{ARN}:endpoint-config/ranker-config",
                          config_tags=config_tags or dict(TEAM), hosts_components=components)
    return Workload(kind="endpoint", region=REGION, arn=f"{ARN}:endpoint/ranker", name="ranker",
                    tags={**TEAM, "owner": "oncall@example.com"}, state="InService", instance_type="ml.g5.xlarge",
                    endpoint=state)


ACCELERATED = {"g5.xlarge": True, "m5.large": False}


@pytest.mark.parametrize(("workload", "action", "reason"), [
    (instance(), "stop-instance", "in-use: running"),
    (instance(**{"aifinops:critical": "TRUE"}), "none", "critical"),
    (instance(**{"aifinops:critical": "false"}), "stop-instance", "in-use"),
    (instance(**{PAUSED: f"aifinops-search-ranker/{MONTH}"}), "none", "paused-this-month"),
    (instance(**{PAUSED: "aifinops-search/2026-10"}), "stop-instance", "in-use"),  # a stale mark
    (instance(**{PAUSED: "hand-written"}), "stop-instance", "in-use"),
    (instance(state="stopped"), "none", "not-running: stopped"),
    (instance(state="pending"), "none", "not-running: pending"),
    (instance(instance_type="m5.large"), "none", "not-accelerated: m5.large"),
    (endpoint(), "delete-endpoint", "in-use: InService"),
    (endpoint(components=True), "none", "inference-components"),
    (endpoint({**encode_endpoint_record(PAUSED, "ranker", "ranker-config", TEAM), PAUSED: f"b/{MONTH}"}),
     "none", "paused-this-month"),
    (endpoint({PAUSED: f"b/{MONTH}"}), "delete-endpoint", "in-use"),  # the config's mark is another endpoint's
    (replace(endpoint(), state="Updating"), "none", "not-running: Updating"),
])
def test_decide_pause(policy: Policy, workload: Workload, action: str, reason: str) -> None:
    plan = decide_pause(workload, policy=policy, month=MONTH, accelerated=ACCELERATED)
    assert plan.action == action and plan.reason.startswith(reason)


def training_job() -> Workload:
    return Workload(kind="training-job", region=REGION, arn=f"{ARN}:training-job/ranker-ft", name="ranker-ft",
                    tags=dict(TEAM), state="InProgress", instance_type="ml.p4d.24xlarge")


def summary() -> Summary:
    return Summary("pause", trigger="notification", month=MONTH)


def test_a_running_training_job_is_marked_then_stopped(policy: Policy) -> None:
    clients, run = StubbedClients(), summary()
    stub = clients.stub("sagemaker")
    job = training_job()
    stub.add_response("add_tags", {}, {"ResourceArn": job.arn, "Tags": [{"Key": PAUSED, "Value": MARK.value}]})
    stub.add_response("stop_training_job", {}, {"TrainingJobName": "ranker-ft"})
    plan = decide_pause(job, policy=policy, month=MONTH, accelerated={})
    pause_one(clients, job, plan, mark=MARK, policy=policy, summary=run)
    clients.verify()
    assert [(d.action, d.result) for d in run.decisions] == [("stop-training-job", "done")]


def test_a_failed_stop_removes_the_mark_again_and_is_reported(policy: Policy) -> None:
    clients, run = StubbedClients(), summary()
    stub = clients.stub("sagemaker")
    job = training_job()
    stub.add_response("add_tags", {}, {"ResourceArn": job.arn, "Tags": [{"Key": PAUSED, "Value": MARK.value}]})
    stub.add_client_error("stop_training_job", "ValidationException", "The job is not in progress",
                          expected_params={"TrainingJobName": "ranker-ft"})
    stub.add_response("delete_tags", {}, {"ResourceArn": job.arn, "TagKeys": [PAUSED]})
    pause_one(clients, job, decide_pause(job, policy=policy, month=MONTH, accelerated={}), mark=MARK, policy=policy,
              summary=run)
    clients.verify()
    assert run.decisions[0].result == "failed"
    assert run.errors == [{"account": None, "kind": "training-job", "region": REGION, "resource": job.arn,
                           "operation": "StopTrainingJob", "code": "ValidationException",
                           "message": "The job is not in progress"}]


def test_an_endpoint_is_deleted_after_its_config_records_it(policy: Policy) -> None:
    """The config already carries a stale mark: SageMaker AddTags is preceded by DeleteTags of that key."""
    clients, run = StubbedClients(), summary()
    stub = clients.stub("sagemaker")
    ep = endpoint({**TEAM, PAUSED: "aifinops-search/2026-10"})
    record = encode_endpoint_record(PAUSED, "ranker", "ranker-config", ep.tags)
    config_arn = f"{ARN}:endpoint-config/ranker-config"
    stub.add_response("delete_tags", {}, {"ResourceArn": config_arn, "TagKeys": [PAUSED]})
    stub.add_response("add_tags", {}, {"ResourceArn": config_arn, "Tags": [
        {"Key": k, "Value": v} for k, v in {PAUSED: MARK.value, **record}.items()]})
    stub.add_response("delete_endpoint", {}, {"EndpointName": "ranker"})
    pause_one(clients, ep, decide_pause(ep, policy=policy, month=MONTH, accelerated={}), mark=MARK, policy=policy,
              summary=run)
    clients.verify()
    assert (run.decisions[0].resource, run.decisions[0].result) == (ep.arn, "done")


def test_dry_run_and_skips_call_nothing(policy: Policy) -> None:
    clients, run = StubbedClients(), Summary("pause", trigger="manual", month=MONTH, dry_run=True)
    for w in (instance(), instance(state="stopped")):
        pause_one(clients, w, decide_pause(w, policy=policy, month=MONTH, accelerated=ACCELERATED), mark=MARK,
                  policy=policy, summary=run, dry_run=True)
    clients.verify()  # no stubbed responses: any call would have failed
    assert [d.result for d in run.decisions] == ["planned", "skipped"]
    assert run.to_dict()["counts"] == {"resources": 2, "done": 0, "planned": 1, "skipped": 1, "failed": 0,
                                       "errors": 0}
