"""InformStack in the reference deployment: where it lives, the two functions and their schedules, the encrypted
report bucket and team topics, the role's permissions (checked against the IAM dataset), the three kinds of
dashboard; and the construct refusing a policy that names other resources than it creates."""

from __future__ import annotations

import json
from typing import Any

import aws_cdk as cdk
import pytest

from aifinops.config import FinOpsConfig
from aifinops.constructs import ConstructPropError
from aifinops.constructs.inform_functions import InformFunctions
from aifinops.infra.context import cdk_json_context
from aifinops.lambdas.inform import metrics
from aifinops.naming import report_bucket_name
from aifinops.policies.inform_policy import inform_policy_json
from tests.conftest import Assembly
from tests.iam.harness import check_iam_names

STACK = "aifinops-inform"


@pytest.fixture(scope="module")
def raw(reference_assembly: Assembly) -> dict[str, Any]:
    return reference_assembly.template(STACK)


def of_type(raw: dict[str, Any], kind: str) -> dict[str, dict[str, Any]]:
    return {k: r["Properties"] for k, r in raw["Resources"].items() if r["Type"] == kind}


def test_in_the_management_account_us_east_1(reference_assembly: Assembly, config: FinOpsConfig) -> None:
    manifest = json.loads((reference_assembly.outdir / "manifest.json").read_text())
    assert manifest["artifacts"][STACK]["environment"] == f"aws://{config.organization.management_account}/us-east-1"


def test_two_functions_on_schedules_one_at_a_time(raw: dict[str, Any], config: FinOpsConfig) -> None:
    functions = {p["FunctionName"]: p for p in of_type(raw, "AWS::Lambda::Function").values()}
    assert set(functions) == {"aifinops-inform-collect", "aifinops-inform-report"}
    assert all(p["ReservedConcurrentExecutions"] == 1 and p["DeadLetterConfig"] for p in functions.values())
    rules = {p["Name"]: p for p in of_type(raw, "AWS::Events::Rule").values()}
    assert rules["aifinops-inform-collect"]["ScheduleExpression"] == config.inform.collector_cron
    assert rules["aifinops-inform-report"]["ScheduleExpression"] == config.inform.report_cron
    # a retried collection would bill Cost Explorer again: none; a report retry is safe (sent markers)
    assert [t["RetryPolicy"]["MaximumRetryAttempts"] for t in rules["aifinops-inform-collect"]["Targets"]] == [0]
    assert [t["RetryPolicy"]["MaximumRetryAttempts"] for t in rules["aifinops-inform-report"]["Targets"]] == [2]
    invoke = {p["FunctionName"]["Ref"]: p["MaximumRetryAttempts"]
              for p in of_type(raw, "AWS::Lambda::EventInvokeConfig").values()}
    assert sorted(invoke.values()) == [0, 2]


def test_the_report_bucket_is_private_encrypted_and_logged(raw: dict[str, Any], config: FinOpsConfig) -> None:
    buckets = of_type(raw, "AWS::S3::Bucket")
    [reports] = [p for p in buckets.values() if p.get("BucketName") == report_bucket_name(
        config.organization.management_account, "us-east-1")]
    [rule] = reports["BucketEncryption"]["ServerSideEncryptionConfiguration"]
    assert rule["ServerSideEncryptionByDefault"]["SSEAlgorithm"] == "aws:kms" and rule["BucketKeyEnabled"]
    assert reports["PublicAccessBlockConfiguration"] == {k: True for k in (
        "BlockPublicAcls", "BlockPublicPolicy", "IgnorePublicAcls", "RestrictPublicBuckets")}
    assert reports["LoggingConfiguration"]["LogFilePrefix"] == "reports/"
    assert reports["LifecycleConfiguration"]["Rules"][0]["ExpirationInDays"] == config.inform.report_retention_days
    policies = [json.dumps(p) for p in of_type(raw, "AWS::S3::BucketPolicy").values()]
    assert sum('"aws:SecureTransport": "false"' in p for p in policies) == 2  # TLS only, both buckets


def test_one_encrypted_topic_per_team_with_its_owners(raw: dict[str, Any], config: FinOpsConfig) -> None:
    topics = {p["TopicName"]: p for p in of_type(raw, "AWS::SNS::Topic").values()}
    assert set(topics) == {f"aifinops-report-{t.name}" for t in config.teams}
    assert all("KmsMasterKeyId" in p for p in topics.values())
    emails = sorted(p["Endpoint"] for p in of_type(raw, "AWS::SNS::Subscription").values())
    assert emails == sorted(o for t in config.teams for o in t.owners)


def test_the_role_writes_only_its_namespace_and_its_objects(raw: dict[str, Any]) -> None:
    [role_policy] = [p for p in of_type(raw, "AWS::IAM::Policy").values() if "PutSpendMetrics" in json.dumps(p)]
    statements = {s["Sid"]: s for s in role_policy["PolicyDocument"]["Statement"] if "Sid" in s}
    assert statements["PutSpendMetrics"]["Condition"] == {"StringEquals": {"cloudwatch:namespace": metrics.NAMESPACE}}
    assert "team-reports/*" in json.dumps(statements["WriteReports"]["Resource"])
    assert json.dumps(statements["ReadBudgets"]["Resource"]).endswith(':budget/aifinops-*"')
    actions = [a for s in statements.values() for a in ([s["Action"]] if isinstance(s["Action"], str) else s["Action"])]
    keys = [k for s in statements.values() for c in s.get("Condition", {}).values() for k in c]
    result = check_iam_names(actions, keys, with_condition_keys=True)
    assert result.unknown_actions == () and result.unknown_condition_keys == ()
    # the namespace condition applies to the action it guards (the dataset's documented keys)
    assert "cloudwatch:namespace" in result.condition_keys_by_action["cloudwatch:PutMetricData"]


def test_the_three_kinds_of_dashboard(reference_assembly: Assembly, config: FinOpsConfig) -> None:
    names = {p["DashboardName"] for stack in reference_assembly.stacks()
             for p in of_type(reference_assembly.template(stack), "AWS::CloudWatch::Dashboard").values()}
    teams_with_dashboards = {(w.environment, w.team) for w in config.workloads
                             if w.kind in ("bedrock_access", "gpu_inference_endpoint")}
    assert names == {"aifinops-executive", *(f"aifinops-team-{t.name}" for t in config.teams),
                     *(f"aifinops-engineering-{e}-{t}" for e, t in teams_with_dashboards)}


@pytest.mark.parametrize(("change", "code"), [
    (lambda p: {**p, "report": {**p["report"], "bucket": "someone-elses-bucket"}}, "AIF_INFORM_BUCKET"),
    (lambda p: {**p, "teams": [{**p["teams"][0], "topicArn": "arn:aws:sns:us-east-1:111111111111:x"}]},
     "AIF_INFORM_TOPIC"),
    (lambda p: {**p, "version": 99}, "AIF_INFORM_POLICY"),
])
def test_a_policy_naming_other_resources_is_refused(config: FinOpsConfig, change: Any, code: str) -> None:
    policy = change(json.loads(inform_policy_json(config)))
    app = cdk.App(context=cdk_json_context())
    stack = cdk.Stack(app, "Inform", env=cdk.Environment(account=config.organization.management_account,
                                                         region="us-east-1"))
    with pytest.raises(ConstructPropError, match=code):
        InformFunctions(stack, "Inform", policy_json=json.dumps(policy), owners={})


def test_engineering_dashboards_of_several_regions_have_their_own_names() -> None:
    """Dashboards are global to an account (no region in their ARN): one per region of the same team and
    environment would collide at the second deployment, so with several regions each name ends with its own."""
    import aws_cdk as cdk
    import yaml

    from aifinops.config import parse
    from aifinops.infra.workload_stack import WorkloadStack
    from tests.conftest import REFERENCE_CONFIG

    data = yaml.safe_load(REFERENCE_CONFIG.read_text())
    workload = next(w for w in data["workloads"] if w["kind"] == "bedrock_access")
    data["workloads"] = [workload]  # workloads in a VPC are refused with several regions (their network is in one)
    names = {}
    for regions in (["us-east-1"], ["us-east-1", "us-west-2"]):
        data["organization"]["regions"] = regions
        config = parse(data)
        account = config.environments[workload["environment"]].accounts[0]
        app = cdk.App()
        names[len(regions)] = {
            WorkloadStack(app, f"Workloads-{region}", config=config, environment=workload["environment"],
                          team=workload["team"], env=cdk.Environment(account=account, region=region)
                          ).engineering_dashboard.name for region in regions}
    prefix = f"aifinops-engineering-{workload['environment']}-{workload['team']}"
    assert names == {1: {prefix}, 2: {f"{prefix}-us-east-1", f"{prefix}-us-west-2"}}
