"""Pause decisions (pure) and actions (botocore Stubber: every request checked, in order): mark `pausing`, read
the marks back, act, mark `paused`; a refused action rolls back only this run's marks; an endpoint's record is
never removed by a pause.

StopTrainingJob is not implemented by moto 5.2.5 (HTTP 500), and moto marks training jobs Completed at once,
so stopping a running training job is covered here with the Stubber, not end to end.
"""

from __future__ import annotations

from dataclasses import replace

import pytest

from aifinops.lambdas.budget_enforcer import marking
from aifinops.lambdas.budget_enforcer.actions import decide_pause, pause_one
from aifinops.lambdas.budget_enforcer.inventory import EndpointState, Workload
from aifinops.lambdas.budget_enforcer.marks import Mark, encode_endpoint_record
from aifinops.lambdas.budget_enforcer.policy import Policy, parse_policy
from aifinops.lambdas.budget_enforcer.summary import Summary
from aifinops.policies.budget_policy import enforcer_policy_json
from tests.lambdas.budget_enforcer.stubs import ACCOUNT, REGION, StubbedClients

PAUSED = "aifinops:paused-by"
STATE = "aifinops:paused-by:state"
RUN = "20261127T010203Z-0badcafe"
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
    # the state of an earlier pause: paused is done; pausing (the action or its rollback failed) is retried
    (instance(**{PAUSED: f"aifinops-search/{MONTH}", STATE: "paused/r0"}), "none", "paused-this-month"),
    (instance(**{PAUSED: f"aifinops-search/{MONTH}", STATE: "pausing/r0"}), "stop-instance",
     "in-use: running; left pausing by run r0, retried"),
    (instance(state="stopped", **{PAUSED: f"aifinops-search/{MONTH}", STATE: "pausing/r0"}), "none",
     "not-running: stopped; left pausing by run r0 (resume restores it)"),
    (instance(**{PAUSED: f"aifinops-search/{MONTH}", STATE: "resuming/r0"}), "stop-instance", "in-use"),
    # near misses of the criticality key: treated as critical when true
    (instance(**{"aifinops:Critical": "true"}), "none",
     "critical: tagged aifinops:Critical=true (looks like aifinops:critical: fix the key)"),
    (instance(**{"aifinops:critcal": "True"}), "none", "critical: tagged aifinops:critcal=True"),
    (instance(**{"critical": " true "}), "none", "critical: tagged critical=true"),
    (instance(**{"aifinops:critical": "false", "aifinops_critical": "true"}), "none", "critical"),
    (instance(**{"aifinops:Critical": "false"}), "stop-instance", "in-use"),
    (instance(state="stopped"), "none", "not-running: stopped"),
    (instance(state="pending"), "none", "not-running: pending"),
    (instance(instance_type="m5.large"), "none", "not-accelerated: m5.large"),
    (endpoint(), "delete-endpoint", "in-use: InService"),
    (endpoint(components=True), "none", "inference-components"),
    (endpoint({**encode_endpoint_record(PAUSED, "ranker", "ranker-config", TEAM), PAUSED: f"b/{MONTH}"}),
     "none", "paused-this-month"),
    (endpoint({PAUSED: f"b/{MONTH}"}), "delete-endpoint", "in-use"),  # the config's mark is another endpoint's
    (endpoint({**encode_endpoint_record(PAUSED, "ranker", "ranker-config", TEAM), PAUSED: f"b/{MONTH}",
               f"{STATE}:ranker": "pausing/r0"}), "delete-endpoint", "in-use: InService; left pausing by run r0"),
    (endpoint({**encode_endpoint_record(PAUSED, "ranker", "ranker-config", TEAM), PAUSED: f"b/{MONTH}",
               f"{STATE}:ranker": "paused/r0"}), "none", "paused-this-month"),
    (replace(endpoint(), state="Updating"), "none", "not-running: Updating"),
])
def test_decide_pause(policy: Policy, workload: Workload, action: str, reason: str) -> None:
    plan = decide_pause(workload, policy=policy, month=MONTH, accelerated=ACCELERATED)
    assert plan.action == action and plan.reason.startswith(reason)


def training_job() -> Workload:
    return Workload(kind="training-job", region=REGION, arn=f"{ARN}:training-job/ranker-ft", name="ranker-ft",
                    tags=dict(TEAM), state="InProgress", instance_type="ml.p4d.24xlarge")


def summary() -> Summary:
    return Summary("pause", trigger="notification", month=MONTH, run=RUN)


def tag_list(tags: dict[str, str]) -> list[dict[str, str]]:
    return [{"Key": k, "Value": v} for k, v in tags.items()]


PAUSING = {PAUSED: MARK.value, STATE: f"pausing/{RUN}"}


def test_a_running_training_job_is_marked_read_back_stopped_then_marked_paused(policy: Policy) -> None:
    clients, run = StubbedClients(), summary()
    stub = clients.stub("sagemaker")
    job = training_job()
    stub.add_response("add_tags", {}, {"ResourceArn": job.arn, "Tags": tag_list(PAUSING)})
    stub.add_response("list_tags", {"Tags": tag_list({**TEAM, **PAUSING})}, {"ResourceArn": job.arn})
    stub.add_response("stop_training_job", {}, {"TrainingJobName": "ranker-ft"})
    stub.add_response("add_tags", {}, {"ResourceArn": job.arn, "Tags": tag_list({STATE: f"paused/{RUN}"})})
    plan = decide_pause(job, policy=policy, month=MONTH, accelerated={})
    pause_one(clients, job, plan, mark=MARK, policy=policy, summary=run)
    clients.verify()
    assert [(d.action, d.result) for d in run.decisions] == [("stop-training-job", "done")]
    assert run.errors == []


def test_a_refused_stop_removes_this_runs_marks_again_and_is_reported(policy: Policy) -> None:
    clients, run = StubbedClients(), summary()
    stub = clients.stub("sagemaker")
    job = training_job()
    stub.add_response("add_tags", {}, {"ResourceArn": job.arn, "Tags": tag_list(PAUSING)})
    stub.add_response("list_tags", {"Tags": tag_list({**TEAM, **PAUSING})}, {"ResourceArn": job.arn})
    stub.add_client_error("stop_training_job", "ValidationException", "The job is not in progress",
                          expected_params={"TrainingJobName": "ranker-ft"})
    stub.add_response("list_tags", {"Tags": tag_list({**TEAM, **PAUSING})}, {"ResourceArn": job.arn})
    stub.add_response("delete_tags", {}, {"ResourceArn": job.arn, "TagKeys": [PAUSED, STATE]})
    pause_one(clients, job, decide_pause(job, policy=policy, month=MONTH, accelerated={}), mark=MARK, policy=policy,
              summary=run)
    clients.verify()
    assert (run.decisions[0].result, run.decisions[0].reason) == (
        "failed", "StopTrainingJob failed; its marks removed again")
    assert run.errors == [{"account": None, "kind": "training-job", "region": REGION, "resource": job.arn,
                           "operation": "StopTrainingJob", "code": "ValidationException",
                           "message": "The job is not in progress"}]


def test_a_double_fault_leaves_pausing_which_the_next_pause_retries(policy: Policy) -> None:
    """The stop is refused and the rollback's DeleteTags too: the job keeps `pausing/<run>`, and the next pause of
    the month acts on it again instead of skipping it as already paused."""
    clients, run = StubbedClients(), summary()
    stub = clients.stub("sagemaker")
    job = training_job()
    stub.add_response("add_tags", {}, {"ResourceArn": job.arn, "Tags": tag_list(PAUSING)})
    stub.add_response("list_tags", {"Tags": tag_list({**TEAM, **PAUSING})}, {"ResourceArn": job.arn})
    stub.add_client_error("stop_training_job", "ThrottlingException", "Rate exceeded")
    stub.add_response("list_tags", {"Tags": tag_list({**TEAM, **PAUSING})}, {"ResourceArn": job.arn})
    stub.add_client_error("delete_tags", "ThrottlingException", "Rate exceeded")
    pause_one(clients, job, decide_pause(job, policy=policy, month=MONTH, accelerated={}), mark=MARK, policy=policy,
              summary=run)
    clients.verify()
    assert run.decisions[0].result == "failed" and "left pausing" in run.decisions[0].reason
    assert [e["operation"] for e in run.errors] == ["StopTrainingJob", "UntagResource"]
    left = replace(job, tags={**TEAM, **PAUSING})
    retry = decide_pause(left, policy=policy, month=MONTH, accelerated={})
    assert retry.action == "stop-training-job" and f"left pausing by run {RUN}, retried" in retry.reason


def test_a_rollback_never_removes_marks_another_run_wrote_meanwhile(policy: Policy) -> None:
    clients, run = StubbedClients(), summary()
    stub = clients.stub("sagemaker")
    job = training_job()
    stub.add_response("add_tags", {}, {"ResourceArn": job.arn, "Tags": tag_list(PAUSING)})
    stub.add_response("list_tags", {"Tags": tag_list({**TEAM, **PAUSING})}, {"ResourceArn": job.arn})
    stub.add_client_error("stop_training_job", "ValidationException", "The job is not in progress")
    other = {**TEAM, PAUSED: MARK.value, STATE: "pausing/another-run"}
    stub.add_response("list_tags", {"Tags": tag_list(other)}, {"ResourceArn": job.arn})  # and no DeleteTags
    pause_one(clients, job, decide_pause(job, policy=policy, month=MONTH, accelerated={}), mark=MARK, policy=policy,
              summary=run)
    clients.verify()
    assert run.decisions[0].reason == "StopTrainingJob failed; its marks are now run another-run's: left as they are"


@pytest.fixture
def no_pause(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(marking, "READ_BACK_PAUSE", 0)


def test_a_mark_that_does_not_read_back_stops_nothing(policy: Policy, no_pause: None) -> None:
    """Read three times (EC2 tags are eventually consistent), then given up: nothing is stopped."""
    clients, run = StubbedClients(), summary()
    stub = clients.stub("sagemaker")
    job = training_job()
    stub.add_response("add_tags", {}, {"ResourceArn": job.arn, "Tags": tag_list(PAUSING)})
    for _ in range(3):
        stub.add_response("list_tags", {"Tags": tag_list(TEAM)}, {"ResourceArn": job.arn})  # and no StopTrainingJob
    pause_one(clients, job, decide_pause(job, policy=policy, month=MONTH, accelerated={}), mark=MARK, policy=policy,
              summary=run)
    clients.verify()
    assert run.decisions[0].result == "failed" and "nothing paused" in run.decisions[0].reason
    assert [(e["operation"], e["code"]) for e in run.errors] == [("VerifyMarks", "MarkNotVerified")]


CONFIG_ARN = f"{ARN}:endpoint-config/ranker-config"
STATE_RANKER = f"{STATE}:ranker"


def test_an_endpoint_is_deleted_only_after_its_record_reads_back(policy: Policy) -> None:
    """The config carries a stale mark: AddTags overwrites it in place (no DeleteTags first: never a moment
    without the mark)."""
    clients, run = StubbedClients(), summary()
    stub = clients.stub("sagemaker")
    ep = endpoint({**TEAM, PAUSED: "aifinops-search/2026-10"})
    record = encode_endpoint_record(PAUSED, "ranker", "ranker-config", ep.tags, RUN)
    written = {PAUSED: MARK.value, **record, STATE_RANKER: f"pausing/{RUN}"}
    stub.add_response("add_tags", {}, {"ResourceArn": CONFIG_ARN, "Tags": tag_list(written)})
    stub.add_response("list_tags", {"Tags": tag_list({**TEAM, **written})}, {"ResourceArn": CONFIG_ARN})
    stub.add_response("delete_endpoint", {}, {"EndpointName": "ranker"})
    stub.add_response("add_tags", {}, {"ResourceArn": CONFIG_ARN, "Tags": tag_list({STATE_RANKER: f"paused/{RUN}"})})
    pause_one(clients, ep, decide_pause(ep, policy=policy, month=MONTH, accelerated={}), mark=MARK, policy=policy,
              summary=run)
    clients.verify()
    assert (run.decisions[0].resource, run.decisions[0].result) == (ep.arn, "done")


def test_a_mark_that_reads_back_late_is_acted_on(policy: Policy, no_pause: None) -> None:
    clients, run = StubbedClients(), summary()
    stub = clients.stub("sagemaker")
    job = training_job()
    stub.add_response("add_tags", {}, {"ResourceArn": job.arn, "Tags": tag_list(PAUSING)})
    stub.add_response("list_tags", {"Tags": tag_list(TEAM)}, {"ResourceArn": job.arn})
    stub.add_response("list_tags", {"Tags": tag_list({**TEAM, **PAUSING})}, {"ResourceArn": job.arn})
    stub.add_response("stop_training_job", {}, {"TrainingJobName": "ranker-ft"})
    stub.add_response("add_tags", {}, {"ResourceArn": job.arn, "Tags": tag_list({STATE: f"paused/{RUN}"})})
    pause_one(clients, job, decide_pause(job, policy=policy, month=MONTH, accelerated={}), mark=MARK, policy=policy,
              summary=run)
    clients.verify()
    assert run.decisions[0].result == "done" and run.errors == []


def test_an_endpoint_whose_record_does_not_read_back_is_not_deleted(policy: Policy, no_pause: None) -> None:
    clients, run = StubbedClients(), summary()
    stub = clients.stub("sagemaker")
    ep = endpoint()
    record = encode_endpoint_record(PAUSED, "ranker", "ranker-config", ep.tags, RUN)
    written = {PAUSED: MARK.value, **record, STATE_RANKER: f"pausing/{RUN}"}
    stub.add_response("add_tags", {}, {"ResourceArn": CONFIG_ARN, "Tags": tag_list(written)})
    truncated = {k: v for k, v in written.items() if not k.endswith(":0")}
    for _ in range(3):
        stub.add_response("list_tags", {"Tags": tag_list(truncated)}, {"ResourceArn": CONFIG_ARN})
    pause_one(clients, ep, decide_pause(ep, policy=policy, month=MONTH, accelerated={}), mark=MARK, policy=policy,
              summary=run)
    clients.verify()  # no DeleteEndpoint
    assert run.decisions[0].result == "failed"
    assert run.errors[0]["operation"] == "VerifyMarks" and "record of endpoint ranker" in str(run.errors[0]["message"])


def test_a_second_run_keeps_the_first_runs_record_and_never_removes_it(policy: Policy) -> None:
    """The duplicate-delivery failure: run A recorded and deleted the endpoint; run B, with a stale view of it,
    finds A's record, writes none of its own, fails to delete, and removes nothing (no rollback of a record)."""
    clients, run = StubbedClients(), summary()
    stub = clients.stub("sagemaker")
    ep_tags = {**TEAM, "owner": "oncall@example.com"}
    record_a = encode_endpoint_record(PAUSED, "ranker", "ranker-config", ep_tags, "run-a")
    ep = endpoint({**TEAM, **record_a, PAUSED: MARK.value, STATE_RANKER: "pausing/run-a"})
    written = {PAUSED: MARK.value, STATE_RANKER: f"pausing/{RUN}"}
    stub.add_response("add_tags", {}, {"ResourceArn": CONFIG_ARN, "Tags": tag_list(written)})
    stub.add_response("list_tags", {"Tags": tag_list({**TEAM, **record_a, **written})}, {"ResourceArn": CONFIG_ARN})
    stub.add_client_error("delete_endpoint", "ValidationException", "Could not find endpoint ranker")
    pause_one(clients, ep, decide_pause(ep, policy=policy, month=MONTH, accelerated={}), mark=MARK, policy=policy,
              summary=run)
    clients.verify()  # no DeleteTags of any kind
    assert run.decisions[0].result == "failed" and "record is kept" in run.decisions[0].reason


def test_dry_run_and_skips_call_nothing(policy: Policy) -> None:
    clients, run = StubbedClients(), Summary("pause", trigger="manual", month=MONTH, dry_run=True)
    for w in (instance(), instance(state="stopped")):
        pause_one(clients, w, decide_pause(w, policy=policy, month=MONTH, accelerated=ACCELERATED), mark=MARK,
                  policy=policy, summary=run, dry_run=True)
    clients.verify()  # no stubbed responses: any call would have failed
    assert [d.result for d in run.decisions] == ["planned", "skipped"]
    assert run.to_dict()["counts"] == {"resources": 2, "done": 0, "planned": 1, "skipped": 1, "failed": 0,
                                       "errors": 0, "nearMisses": 0}
