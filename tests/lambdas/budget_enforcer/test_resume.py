"""Resume decisions that moto cannot show (botocore Stubber): a training job is reported, never restarted; an
instance still stopping keeps its mark; an endpoint already back only loses its record; marks of other
budgets and hand-written values are left alone."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime

from botocore.stub import ANY

from aifinops.lambdas.budget_enforcer.marks import encode_endpoint_record
from aifinops.lambdas.budget_enforcer.policy import parse_policy
from aifinops.lambdas.budget_enforcer.resume import resume
from aifinops.policies.budget_policy import enforcer_policy_json
from tests.lambdas.budget_enforcer.stubs import ACCOUNT, REGION, StubbedClients, lock_stubbed

PAUSED = "aifinops:paused-by"
SM = f"arn:aws:sagemaker:{REGION}:{ACCOUNT}"
NOW = datetime(2026, 12, 1, 0, 5, tzinfo=UTC)
TEAM = {"team": "search"}


def tagged(arn: str, tags: dict[str, str]) -> dict[str, object]:
    return {"ResourceARN": arn, "Tags": [{"Key": k, "Value": v} for k, v in tags.items()]}


def test_resume_reports_training_jobs_and_keeps_what_is_not_stopped_yet(config: object) -> None:
    # No `accounts`: the home account only (cross-account resume: test_accounts.py).
    policy = dataclasses.replace(parse_policy(enforcer_policy_json(config)), accounts=())  # type: ignore[arg-type]
    mark = {PAUSED: "aifinops-search/2026-11", **TEAM}
    record = encode_endpoint_record(PAUSED, "ranker", "ranker-config", TEAM)
    clients = StubbedClients()
    clients.stub("sts").add_response("get_caller_identity", {"Account": ACCOUNT, "UserId": "x",
                                                             "Arn": f"arn:aws:iam::{ACCOUNT}:role/x"}, {})
    lock_stubbed(clients, *policy.teams())
    tagging, batch, sagemaker, ec2 = (clients.stub(s) for s in ("resourcegroupstaggingapi", "batch", "sagemaker",
                                                                "ec2"))
    tagging.add_response("get_resources", {"ResourceTagMappingList": [
        tagged(f"arn:aws:ec2:{REGION}:{ACCOUNT}:instance/i-1", mark),
        tagged(f"arn:aws:ec2:{REGION}:{ACCOUNT}:instance/i-2", {**mark, PAUSED: "aifinops-elsewhere/2026-11"}),
        tagged(f"arn:aws:ec2:{REGION}:{ACCOUNT}:instance/i-3", {**mark, PAUSED: "someone else"}),
        tagged(f"{SM}:training-job/ranker-ft", mark),
        tagged(f"{SM}:endpoint-config/ranker-config", {**mark, **record})]},
        {"TagFilters": [{"Key": PAUSED}], "ResourceTypeFilters": [
            "ec2:instance", "sagemaker:notebook-instance", "sagemaker:training-job", "sagemaker:endpoint-config"]})
    batch.add_response("describe_job_queues", {"jobQueues": []}, {})
    config_arn = f"{SM}:endpoint-config/ranker-config"
    sagemaker.add_response("describe_endpoint_config", {
        "EndpointConfigName": "ranker-config", "EndpointConfigArn": config_arn, "CreationTime": NOW,
        "ProductionVariants": [{"VariantName": "AllTraffic", "ModelName": "m"}]},
        {"EndpointConfigName": "ranker-config"})
    sagemaker.add_response("add_tags", {}, {"ResourceArn": config_arn, "Tags": [
        {"Key": "aifinops:paused-by:state:ranker", "Value": ANY}]})  # resuming/<run>
    sagemaker.add_response("describe_endpoint", {  # someone recreated it already
        "EndpointName": "ranker", "EndpointArn": f"{SM}:endpoint/ranker", "EndpointStatus": "InService",
        "CreationTime": NOW, "LastModifiedTime": NOW}, {"EndpointName": "ranker"})
    sagemaker.add_response("delete_tags", {}, {"ResourceArn": config_arn, "TagKeys": [
        *record, "aifinops:paused-by:state:ranker", PAUSED]})
    ec2.add_response("describe_instances", {"Reservations": [{"Instances": [
        {"InstanceId": "i-1", "InstanceType": "g5.xlarge", "State": {"Name": "stopping", "Code": 64}}]}]},
        {"Filters": [{"Name": "instance-id", "Values": ["i-1"]}]})
    sagemaker.add_response("describe_training_job", {
        "TrainingJobName": "ranker-ft", "TrainingJobArn": f"{SM}:training-job/ranker-ft",
        "ModelArtifacts": {"S3ModelArtifacts": "s3://b/ranker-ft/output/model.tar.gz"},
        "TrainingJobStatus": "Stopped", "SecondaryStatus": "Stopped", "CreationTime": NOW,
        "AlgorithmSpecification": {"TrainingInputMode": "File", "TrainingImage": "img"},
        "ResourceConfig": {"InstanceType": "ml.p4d.24xlarge", "InstanceCount": 1, "VolumeSizeInGB": 50},
        "StoppingCondition": {"MaxRuntimeInSeconds": 3600}}, {"TrainingJobName": "ranker-ft"})
    sagemaker.add_response("delete_tags", {}, {"ResourceArn": f"{SM}:training-job/ranker-ft", "TagKeys": [
        PAUSED, "aifinops:paused-by:state"]})

    summary = resume(policy=policy, clients=clients, now=NOW, budgets=set(policy.budgets), trigger="schedule")
    clients.verify()  # no StartInstances for i-1 (stopping), nothing for i-2 (a budget of another deployment) or i-3
    decisions = {d.name: (d.action, d.result, d.reason.split(":")[0]) for d in summary.decisions}
    assert decisions == {"ranker": ("unmark", "done", "already-exists"),
                         "i-1": ("start-instance", "skipped", "not-paused-yet"),
                         "ranker-ft": ("report-training-job", "done", "not-restarted")}
    assert summary.errors == [] and {d.account for d in summary.decisions} == {ACCOUNT}


def test_an_endpoint_still_being_deleted_keeps_its_record(config: object) -> None:
    """Resume right after a pause: DeleteEndpoint is under way. Removing the record now would lose the endpoint
    for good once the deletion completes: it is kept for the next resume."""
    policy = dataclasses.replace(parse_policy(enforcer_policy_json(config)), accounts=())  # type: ignore[arg-type]
    mark = {PAUSED: "aifinops-search/2026-11", **TEAM}
    record = encode_endpoint_record(PAUSED, "ranker", "ranker-config", TEAM)
    clients = StubbedClients()
    clients.stub("sts").add_response("get_caller_identity", {"Account": ACCOUNT, "UserId": "x",
                                                             "Arn": f"arn:aws:iam::{ACCOUNT}:role/x"}, {})
    lock_stubbed(clients, "search")
    clients.stub("resourcegroupstaggingapi").add_response("get_resources", {"ResourceTagMappingList": [
        tagged(f"{SM}:endpoint-config/ranker-config", {**mark, **record})]}, None)
    clients.stub("batch").add_response("describe_job_queues", {"jobQueues": []}, {})
    sagemaker = clients.stub("sagemaker")
    config_arn = f"{SM}:endpoint-config/ranker-config"
    sagemaker.add_response("describe_endpoint_config", {
        "EndpointConfigName": "ranker-config", "EndpointConfigArn": config_arn, "CreationTime": NOW,
        "ProductionVariants": [{"VariantName": "AllTraffic", "ModelName": "m"}]}, None)
    sagemaker.add_response("add_tags", {}, None)  # resuming/<run>
    sagemaker.add_response("describe_endpoint", {
        "EndpointName": "ranker", "EndpointArn": f"{SM}:endpoint/ranker", "EndpointStatus": "Deleting",
        "CreationTime": NOW, "LastModifiedTime": NOW}, {"EndpointName": "ranker"})
    summary = resume(policy=policy, clients=clients, now=NOW, team="search")
    clients.verify()  # and no DeleteTags: the record stays
    assert [(d.action, d.result, d.reason) for d in summary.decisions] == [
        ("create-endpoint", "skipped", "not-paused-yet: Deleting; record kept for the next resume")]
