"""cfn-lint's W3005 ("obsolete DependsOn") is acknowledged only for the CDK's own pattern: a Lambda function
(or the aifinops SageMaker model) that depends on the IAM role it references with GetAtt Role.Arn. Any other
W3005 stays a failure."""

from __future__ import annotations

import pytest

from aifinops.check.assembly import read_assembly
from aifinops.check.cfn_lint_runner import run_cfn_lint
from aifinops.check.findings import Finding, Status
from tests.check.conftest import write_assembly

ROLE = {"Type": "AWS::IAM::Role", "Properties": {"AssumeRolePolicyDocument": {
    "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
                                            "Principal": {"Service": "lambda.amazonaws.com"}}]}}}
ROLE_ARN = {"Fn::GetAtt": ["FnRole", "Arn"]}


def function(depends_on: list[str], **extra: object) -> dict[str, object]:
    return {"Type": "AWS::Lambda::Function", "DependsOn": depends_on, "Properties": {
        "Role": ROLE_ARN, "Runtime": "python3.13", "Handler": "index.handler",
        "Code": {"ZipFile": "def handler(event, context):\n    return 1\n"}, **extra}}


RESOURCES: dict[str, object] = {
    "FnRole": ROLE,
    "FnRolePolicy": {"Type": "AWS::IAM::Policy", "Properties": {
        "PolicyName": "p", "Roles": [{"Ref": "FnRole"}], "PolicyDocument": {
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Action": "sqs:SendMessage", "Resource": "*"}]}}},
    # What lambda.Function writes: DependsOn its role's default policy and its role (the W3005).
    "Fn": function(["FnRolePolicy", "FnRole"]),
    # A function that depends on a queue it already references: not the CDK's pattern.
    "Queue": {"Type": "AWS::SQS::Queue"},
    "FnQueue": function(["Queue"], Environment={"Variables": {"QUEUE": {"Ref": "Queue"}}}),
    # The role pattern on a type the CDK does not write it for.
    "Rule": {"Type": "AWS::Events::Rule", "DependsOn": ["FnRole"], "Properties": {
        "RoleArn": ROLE_ARN, "ScheduleExpression": "rate(1 hour)"}},
    "Topic": {"Type": "AWS::SNS::Topic"},
    "TopicPolicy": {"Type": "AWS::SNS::TopicPolicy", "DependsOn": ["Topic"], "Properties": {
        "Topics": [{"Ref": "Topic"}], "PolicyDocument": {"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": "sns:Publish", "Principal": {"Service": "events.amazonaws.com"},
             "Resource": {"Ref": "Topic"}}]}}},
}


@pytest.fixture(scope="module")
def w3005(tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[Finding]]:
    """W3005 findings by resource (one per reference cfn-lint sees: TopicPolicy refers to its topic twice)."""
    out = write_assembly(tmp_path_factory.mktemp("w3005") / "cdk.out", RESOURCES)
    by_resource: dict[str, list[Finding]] = {}
    for finding in run_cfn_lint(read_assembly(out)).findings:
        if finding.rule_id == "W3005" and finding.logical_id:
            by_resource.setdefault(finding.logical_id, []).append(finding)
    return by_resource


def test_the_cdk_lambda_role_dependency_is_acknowledged_with_its_reason(w3005: dict[str, list[Finding]]) -> None:
    [finding] = w3005["Fn"]
    assert finding.status is Status.ACKNOWLEDGED and not finding.blocking
    assert finding.reason is not None and finding.reason.startswith("The CDK emits DependsOn")
    assert "aws_lambda.Function" in finding.reason
    assert finding.detail_id == "W3005@DependsOn/1"  # the role, second after its default policy


@pytest.mark.parametrize("logical_id", ["FnQueue", "Rule", "TopicPolicy"])
def test_any_other_obsolete_depends_on_fails(w3005: dict[str, list[Finding]], logical_id: str) -> None:
    assert w3005[logical_id]
    for finding in w3005[logical_id]:
        assert finding.status is Status.FAILED and finding.blocking and finding.reason is None
