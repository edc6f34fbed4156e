"""GpuGuard: the function (runtime, sizing, concurrency, DLQ, environment), the policy bundled in its asset
(contract with aifinops.lambdas.guard.policy), the schedule and the CloudTrail rule, the encrypted topic,
alarms, exact least-privilege IAM checked against the IAM dataset, and the managed tag."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_lambda as lambda_
from aws_cdk.assertions import Match, Template

from aifinops.config import FinOpsConfig
from aifinops.constructs import ConstructPropError, GpuGuard
from aifinops.lambdas.guard.permissions import PERMISSIONS
from aifinops.lambdas.guard.policy import ENV_VAR, POLICY_FILE, load_policy, parse_policy
from aifinops.naming import MANAGED_TAG
from aifinops.policies.guard_policy import guard_policy_json
from aifinops.policies.scp_required_tags import accelerated_ec2_patterns
from tests.e2e.assets import FunctionAsset, function_asset
from tests.iam.harness import actions_of, check_iam_names, condition_keys_of

ACCOUNT, REGION, STACK = "222222222222", "eu-west-1", "Guard"
OWNERS = ["ml-platform@example.com", "search-leads@example.com"]
GUARD_TAGS = ["aifinops:violation", "aifinops:stop-after", "aifinops:stopped-by"]


@pytest.fixture(scope="module")
def cdk_out(tmp_path_factory: pytest.TempPathFactory, config: FinOpsConfig) -> Path:
    outdir = tmp_path_factory.mktemp("guard.out")
    app = cdk.App(outdir=str(outdir))
    stack = cdk.Stack(app, STACK, env=cdk.Environment(account=ACCOUNT, region=REGION))
    GpuGuard(stack, "GpuGuard", policy_json=guard_policy_json(config), topic_owners=OWNERS)
    app.synth()
    return outdir


@pytest.fixture(scope="module")
def raw(cdk_out: Path) -> dict[str, Any]:
    result: dict[str, Any] = json.loads((cdk_out / f"{STACK}.template.json").read_text())
    return result


@pytest.fixture(scope="module")
def template(raw: dict[str, Any]) -> Template:
    return Template.from_json(raw)


@pytest.fixture(scope="module")
def asset(cdk_out: Path) -> FunctionAsset:
    return function_asset(cdk_out, STACK, "handler.handler")


def of_type(raw: dict[str, Any], kind: str) -> dict[str, dict[str, Any]]:
    return {k: r for k, r in raw["Resources"].items() if r["Type"] == kind}


def only(raw: dict[str, Any], kind: str) -> tuple[str, dict[str, Any]]:
    [(logical_id, resource)] = of_type(raw, kind).items()
    return logical_id, resource


def resolve(value: Any) -> Any:
    """Fn::Join of literal parts and AWS::Partition, as the aws partition would deploy it."""
    if isinstance(value, list):
        return [resolve(v) for v in value]
    if isinstance(value, dict) and "Fn::Join" in value:
        sep, parts = value["Fn::Join"]
        return sep.join("aws" if p == {"Ref": "AWS::Partition"} else p for p in parts)
    return value


# --- function -----------------------------------------------------------------------------------------------

def test_function_props(raw: dict[str, Any]) -> None:
    _, function = only(raw, "AWS::Lambda::Function")
    props = function["Properties"]
    topic_id, _ = only(raw, "AWS::SNS::Topic")
    queue_id, _ = only(raw, "AWS::SQS::Queue")
    role_id, _ = only(raw, "AWS::IAM::Role")
    assert props["FunctionName"] == "aifinops-gpu-guard"
    assert (props["Runtime"], props["Architectures"], props["Handler"]) == ("python3.14", ["arm64"], "handler.handler")
    assert (props["MemorySize"], props["Timeout"], props["ReservedConcurrentExecutions"]) == (512, 300, 1)
    assert props["DeadLetterConfig"] == {"TargetArn": {"Fn::GetAtt": [queue_id, "Arn"]}}
    assert props["Role"] == {"Fn::GetAtt": [role_id, "Arn"]}
    assert props["Environment"] == {"Variables": {"AIFINOPS_GUARD_TOPIC_ARN": {"Ref": topic_id},
                                                  "AIFINOPS_GUARD_ENFORCE": "true"}}
    assert ENV_VAR not in props["Environment"]["Variables"]  # the policy is a file of the asset, never env
    _, invoke = only(raw, "AWS::Lambda::EventInvokeConfig")
    assert invoke["Properties"]["MaximumRetryAttempts"] == 2
    assert invoke["Properties"]["MaximumEventAgeInSeconds"] == 15 * 60


def test_log_group_has_finite_retention(raw: dict[str, Any]) -> None:
    log_id, log_group = only(raw, "AWS::Logs::LogGroup")
    assert log_group["Properties"]["RetentionInDays"] == 365
    _, function = only(raw, "AWS::Lambda::Function")
    assert function["Properties"]["LoggingConfig"] == {"LogGroup": {"Ref": log_id}}


def test_sizing_props(config: FinOpsConfig) -> None:
    stack = cdk.Stack(cdk.App(), "Sized", env=cdk.Environment(account=ACCOUNT, region=REGION))
    GpuGuard(stack, "GpuGuard", policy_json=guard_policy_json(config), schedule_minutes=5, memory_size=1024,
             timeout=cdk.Duration.minutes(10), enforce=False, code=lambda_.Code.from_inline("x"))
    template = Template.from_stack(stack)
    template.has_resource_properties("AWS::Lambda::Function", {"MemorySize": 1024, "Timeout": 600, "Environment": {
        "Variables": Match.object_like({"AIFINOPS_GUARD_ENFORCE": "false"})}})
    template.has_resource_properties("AWS::Events::Rule", {"ScheduleExpression": "rate(5 minutes)"})
    template.resource_count_is("AWS::SNS::Subscription", 0)


def test_bad_props_are_reported_together(config: FinOpsConfig) -> None:
    stack = cdk.Stack(cdk.App(), "Bad")
    with pytest.raises(ConstructPropError) as info:
        GpuGuard(stack, "GpuGuard", policy_json="{}", schedule_minutes=0, memory_size=64, topic_owners=["nobody"])
    message = str(info.value)
    for code in ("AIF_GUARD_POLICY", "AIF_GUARD_SCHEDULE", "AIF_GUARD_MEMORY", "AIF_GUARD_OWNERS"):
        assert code in message
    assert "Bad/GpuGuard" in message


# --- asset and policy contract ------------------------------------------------------------------------------

def test_asset_bundles_the_policy_file(asset: FunctionAsset, config: FinOpsConfig) -> None:
    assert (asset.directory / POLICY_FILE).read_text(encoding="utf-8") == guard_policy_json(config)
    assert (asset.directory / "policy.py").is_file()
    assert not list(asset.directory.rglob("__pycache__"))


def test_contract_bundled_policy_parses_like_the_builder_output(asset: FunctionAsset, config: FinOpsConfig) -> None:
    bundled = parse_policy((asset.directory / POLICY_FILE).read_text(encoding="utf-8"))
    assert bundled == parse_policy(guard_policy_json(config))
    assert load_policy(environ={}, directory=asset.directory) == bundled  # how the function loads it


def test_contract_with_the_handler() -> None:
    from aifinops.constructs.gpu_guard import CREATE_EVENTS, ENFORCE_ENV_VAR, GUARD_HANDLER, TOPIC_ENV_VAR
    from aifinops.lambdas.guard import handler

    assert (TOPIC_ENV_VAR, ENFORCE_ENV_VAR) == (handler.TOPIC_ENV, handler.ENFORCE_ENV)
    assert sorted(n for names in CREATE_EVENTS.values() for n in names) == sorted(handler.CREATE_EVENTS)
    module, function = GUARD_HANDLER.split(".")
    assert (module, function) == (Path(handler.__file__).stem, handler.handler.__name__)


# --- triggers -----------------------------------------------------------------------------------------------

def rules(raw: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {r["Properties"]["Name"]: r["Properties"] for r in of_type(raw, "AWS::Events::Rule").values()}


def test_schedule_rule(raw: dict[str, Any]) -> None:
    schedule = rules(raw)["aifinops-gpu-guard-schedule"]
    assert schedule["ScheduleExpression"] == "rate(15 minutes)"
    assert schedule["State"] == "ENABLED"
    assert_target(raw, schedule)


def test_create_events_rule_pattern(raw: dict[str, Any]) -> None:
    rule = rules(raw)["aifinops-gpu-guard-create-events"]
    assert rule["EventPattern"] == {
        "source": ["aws.ec2", "aws.sagemaker"],
        "detail-type": ["AWS API Call via CloudTrail"],
        "detail": {"eventName": ["CreateEndpoint", "CreateNotebookInstance", "CreateTrainingJob", "RunInstances"]}}
    assert "ScheduleExpression" not in rule
    assert_target(raw, rule)


def assert_target(raw: dict[str, Any], rule: dict[str, Any]) -> None:
    function_id, _ = only(raw, "AWS::Lambda::Function")
    queue_id, _ = only(raw, "AWS::SQS::Queue")
    [target] = rule["Targets"]
    assert target["Arn"] == {"Fn::GetAtt": [function_id, "Arn"]}
    assert target["DeadLetterConfig"] == {"Arn": {"Fn::GetAtt": [queue_id, "Arn"]}}
    assert target["RetryPolicy"] == {"MaximumRetryAttempts": 2, "MaximumEventAgeInSeconds": 15 * 60}


def test_each_rule_may_invoke_the_function(raw: dict[str, Any]) -> None:
    rule_ids = set(of_type(raw, "AWS::Events::Rule"))
    permissions = of_type(raw, "AWS::Lambda::Permission").values()
    assert {p["Properties"]["SourceArn"]["Fn::GetAtt"][0] for p in permissions} == rule_ids
    assert {p["Properties"]["Principal"] for p in permissions} == {"events.amazonaws.com"}


# --- topic, queue, alarms -----------------------------------------------------------------------------------

def test_topic_is_encrypted_with_a_rotated_key_and_tls_only(raw: dict[str, Any]) -> None:
    key_id, key = only(raw, "AWS::KMS::Key")
    assert key["Properties"]["EnableKeyRotation"] is True
    topic_id, topic = only(raw, "AWS::SNS::Topic")
    assert topic["Properties"]["TopicName"] == "aifinops-gpu-guard"
    assert topic["Properties"]["KmsMasterKeyId"] == {"Fn::GetAtt": [key_id, "Arn"]}
    _, policy = only(raw, "AWS::SNS::TopicPolicy")
    [statement] = policy["Properties"]["PolicyDocument"]["Statement"]
    assert statement["Effect"] == "Deny"
    assert statement["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    assert statement["Resource"] == {"Ref": topic_id}
    subscriptions = of_type(raw, "AWS::SNS::Subscription").values()
    assert sorted(s["Properties"]["Endpoint"] for s in subscriptions) == OWNERS
    assert {s["Properties"]["Protocol"] for s in subscriptions} == {"email"}


def test_dead_letter_queue_is_encrypted_and_tls_only(raw: dict[str, Any]) -> None:
    _, queue = only(raw, "AWS::SQS::Queue")
    assert queue["Properties"]["SqsManagedSseEnabled"] is True
    assert queue["Properties"]["QueueName"] == "aifinops-gpu-guard-dead-letters"
    _, policy = only(raw, "AWS::SQS::QueuePolicy")
    effects = {(s["Effect"], json.dumps(s.get("Condition", {}))) for s in policy["Properties"]["PolicyDocument"][
        "Statement"]}
    assert ("Deny", json.dumps({"Bool": {"aws:SecureTransport": "false"}})) in effects


def test_alarms(raw: dict[str, Any]) -> None:
    alarms = {a["Properties"]["AlarmName"]: a["Properties"] for a in of_type(raw, "AWS::CloudWatch::Alarm").values()}
    assert sorted(alarms) == ["aifinops-gpu-guard-dead-letters", "aifinops-gpu-guard-errors",
                              "aifinops-gpu-guard-throttles"]
    expected = {"aifinops-gpu-guard-errors": ("AWS/Lambda", "Errors", "Sum", 1),
                "aifinops-gpu-guard-throttles": ("AWS/Lambda", "Throttles", "Sum", 3),
                "aifinops-gpu-guard-dead-letters": ("AWS/SQS", "ApproximateNumberOfMessagesVisible", "Maximum", 1)}
    for name, (namespace, metric, statistic, periods) in expected.items():
        alarm = alarms[name]
        assert (alarm["Namespace"], alarm["MetricName"], alarm["Statistic"]) == (namespace, metric, statistic)
        assert (alarm["Threshold"], alarm["EvaluationPeriods"], alarm["DatapointsToAlarm"]) == (1, periods, periods)
        assert alarm["ComparisonOperator"] == "GreaterThanOrEqualToThreshold"
        assert alarm["TreatMissingData"] == "notBreaching"


# --- IAM ----------------------------------------------------------------------------------------------------

def guard_policy_statements(raw: dict[str, Any]) -> list[dict[str, Any]]:
    _, policy = only(raw, "AWS::IAM::Policy")
    return list(policy["Properties"]["PolicyDocument"]["Statement"])


def test_role_trusts_lambda_and_is_named_for_the_region(raw: dict[str, Any]) -> None:
    _, role = only(raw, "AWS::IAM::Role")
    assert role["Properties"]["RoleName"] == f"aifinops-gpu-guard-{REGION}"
    [trust] = role["Properties"]["AssumeRolePolicyDocument"]["Statement"]
    assert trust["Principal"] == {"Service": "lambda.amazonaws.com"}
    assert "ManagedPolicyArns" not in role["Properties"]


def test_iam_statements_exact(raw: dict[str, Any]) -> None:
    ids = {kind: only(raw, kind)[0] for kind in ("AWS::SNS::Topic", "AWS::KMS::Key", "AWS::Logs::LogGroup",
                                                "AWS::SQS::Queue")}

    def arns(service: str, *patterns: str) -> list[str] | str:
        found = [f"arn:aws:{service}:{REGION}:{ACCOUNT}:{p}" for p in patterns]
        return found[0] if len(found) == 1 else found

    accelerated = {"StringLike": {"ec2:InstanceType": list(accelerated_ec2_patterns())}}
    marks = {"ForAllValues:StringEquals": {"aws:TagKeys": GUARD_TAGS}, "Null": {"aws:TagKeys": "false"}}
    unmarks = {"ForAllValues:StringEquals": {"aws:TagKeys": GUARD_TAGS[:2]}, "Null": {"aws:TagKeys": "false"}}
    acted_on = ("endpoint/*", "notebook-instance/*", "training-job/*")
    expected = [
        {"Sid": "ReadInventory", "Effect": "Allow", "Resource": "*",
         "Action": ["cloudwatch:GetMetricData", "cloudwatch:ListMetrics", "ec2:DescribeInstanceTypes",
                    "ec2:DescribeInstances", "pricing:GetProducts", "sagemaker:ListEndpoints",
                    "sagemaker:ListNotebookInstances", "sagemaker:ListTrainingJobs", "tag:GetResources"]},
        {"Sid": "DescribeSageMaker", "Effect": "Allow",
         "Action": ["sagemaker:DescribeEndpoint", "sagemaker:DescribeEndpointConfig", "sagemaker:DescribeTrainingJob",
                    "sagemaker:ListTags"],
         "Resource": arns("sagemaker", "endpoint-config/*", *acted_on)},
        {"Sid": "StopAcceleratedInstances", "Effect": "Allow", "Action": "ec2:StopInstances",
         "Resource": arns("ec2", "instance/*"), "Condition": accelerated},
        {"Sid": "MarkAcceleratedInstances", "Effect": "Allow", "Action": "ec2:CreateTags",
         "Resource": arns("ec2", "instance/*"), "Condition": {**accelerated, **marks}},
        {"Sid": "UnmarkAcceleratedInstances", "Effect": "Allow", "Action": "ec2:DeleteTags",
         "Resource": arns("ec2", "instance/*"), "Condition": {**accelerated, **unmarks}},
        {"Sid": "StopSageMaker", "Effect": "Allow",
         "Action": ["sagemaker:DeleteEndpoint", "sagemaker:StopNotebookInstance", "sagemaker:StopTrainingJob"],
         "Resource": arns("sagemaker", *acted_on)},
        {"Sid": "MarkSageMaker", "Effect": "Allow", "Action": "sagemaker:AddTags",
         "Resource": arns("sagemaker", "endpoint-config/*", *acted_on), "Condition": marks},
        {"Sid": "UnmarkSageMaker", "Effect": "Allow", "Action": "sagemaker:DeleteTags",
         "Resource": arns("sagemaker", *acted_on), "Condition": unmarks},
        {"Sid": "NotifyOwners", "Effect": "Allow", "Action": "sns:Publish",
         "Resource": {"Ref": ids["AWS::SNS::Topic"]}},
        {"Sid": "EncryptNotifications", "Effect": "Allow", "Action": ["kms:Decrypt", "kms:GenerateDataKey*"],
         "Resource": {"Fn::GetAtt": [ids["AWS::KMS::Key"], "Arn"]}},
        {"Effect": "Allow", "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
         "Resource": {"Fn::GetAtt": [ids["AWS::Logs::LogGroup"], "Arn"]}},
        {"Effect": "Allow", "Action": "sqs:SendMessage", "Resource": {"Fn::GetAtt": [ids["AWS::SQS::Queue"], "Arn"]}},
    ]
    found = [{**s, "Resource": resolve(s["Resource"])} for s in guard_policy_statements(raw)]
    assert found == expected


def test_granted_actions_are_exactly_the_declared_permissions(raw: dict[str, Any]) -> None:
    granted = actions_of([{"Statement": guard_policy_statements(raw)}])
    declared = {p.action for p in PERMISSIONS}
    infrastructure = {"kms:Decrypt", "kms:GenerateDataKey*", "logs:CreateLogStream", "logs:PutLogEvents",
                      "sqs:SendMessage"}
    assert granted == declared | infrastructure


def test_every_action_and_condition_key_exists_and_applies(raw: dict[str, Any]) -> None:
    documents = [{"Statement": guard_policy_statements(raw)}]
    result = check_iam_names(actions_of(documents), condition_keys_of(documents), with_condition_keys=True)
    assert result.unknown_actions == () and result.unknown_condition_keys == ()
    by_sid = {s.get("Sid"): s for s in guard_policy_statements(raw)}
    for sid, key in (("StopAcceleratedInstances", "ec2:InstanceType"), ("MarkAcceleratedInstances", "ec2:InstanceType"),
                     ("UnmarkAcceleratedInstances", "ec2:InstanceType"), ("MarkAcceleratedInstances", "aws:TagKeys"),
                     ("UnmarkAcceleratedInstances", "aws:TagKeys"), ("MarkSageMaker", "aws:TagKeys"),
                     ("UnmarkSageMaker", "aws:TagKeys")):
        action = by_sid[sid]["Action"]
        assert key in result.condition_keys_by_action[action], (sid, action)


# --- tags ---------------------------------------------------------------------------------------------------

def test_every_taggable_resource_is_marked_managed(raw: dict[str, Any]) -> None:
    tagged = set()
    for resource in raw["Resources"].values():
        tags = resource.get("Properties", {}).get("Tags")
        if tags is not None:
            assert {"Key": MANAGED_TAG, "Value": "true"} in tags, resource["Type"]
            tagged.add(resource["Type"])
    assert {"AWS::Lambda::Function", "AWS::IAM::Role", "AWS::SNS::Topic", "AWS::SQS::Queue", "AWS::KMS::Key",
            "AWS::Logs::LogGroup", "AWS::Events::Rule", "AWS::CloudWatch::Alarm"} <= tagged


def test_names_start_with_the_prefix(template: Template) -> None:
    for kind, prop in (("AWS::Lambda::Function", "FunctionName"), ("AWS::SNS::Topic", "TopicName"),
                       ("AWS::SQS::Queue", "QueueName"), ("AWS::Events::Rule", "Name"),
                       ("AWS::CloudWatch::Alarm", "AlarmName"), ("AWS::IAM::Role", "RoleName")):
        for resource in template.find_resources(kind).values():
            assert resource["Properties"][prop].startswith("aifinops-gpu-guard"), kind
    template.has_resource_properties("AWS::KMS::Alias", {"AliasName": "alias/aifinops-gpu-guard",
                                                         "TargetKeyId": Match.any_value()})
