"""AiFinOps-BR1: direct model grants flagged, grants through application inference profiles pass."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_iam as iam

from aifinops.catalog import bedrock_invoke_managed_policies
from aifinops.config import FinOpsConfig
from aifinops.constructs import BedrockModelAccess, CostTags
from aifinops.policies.nag.rule import Outcome, ResourceView, Verdict
from aifinops.policies.nag.rules.bedrock_profiles import RULE
from tests.policies.nag.conftest import Cases

ANY_MODEL = "arn:aws:bedrock:*::foundation-model/*"
ANY_PROFILE = "arn:aws:bedrock:*:*:application-inference-profile/*"


def _policy(stack: cdk.Stack, name: str, *statements: dict[str, Any]) -> iam.CfnManagedPolicy:
    return iam.CfnManagedPolicy(stack, name, policy_document={"Version": "2012-10-17", "Statement": list(statements)})


@pytest.fixture(scope="module")
def nodes(cases: Cases) -> SimpleNamespace:
    stack = cases.stack("Iam")
    n = SimpleNamespace()
    tags = CostTags(team="search", project="ranker", model="multiple", environment="dev", task_type="generation")
    access = BedrockModelAccess(stack, "Access", cost_tags=tags, max_model_tier="standard",
                                models=["anthropic.claude-haiku-4-5-20251001-v1:0"])
    n.construct = access.policy.node.default_child
    n.invoke_any_model = _policy(stack, "InvokeAnyModel",
                                 {"Sid": "Direct", "Effect": "Allow", "Action": "bedrock:InvokeModel*",
                                  "Resource": ANY_MODEL})
    # The partition is a reference in env-agnostic stacks; it must not hide the grant.
    n.bedrock_star = iam.CfnPolicy(stack, "BedrockStar", policy_name="p", roles=["r"], policy_document={
        "Statement": [{"Effect": "Allow", "Action": ["bedrock:*"],
                       "Resource": cdk.Fn.join("", ["arn:", cdk.Aws.PARTITION, ":bedrock:*:*:*"])}]})
    n.role_converse = iam.CfnRole(stack, "RoleConverse", assume_role_policy_document={}, policies=[
        iam.CfnRole.PolicyProperty(policy_name="chat", policy_document={
            "Statement": [{"Effect": "Allow", "Action": "bedrock:Converse", "Resource": "*"}]})])
    n.not_action = _policy(stack, "NotAction", {"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"})
    n.with_profile = _policy(stack, "WithProfile", {
        "Effect": "Allow", "Action": "bedrock:InvokeModel", "Resource": ANY_MODEL,
        "Condition": {"StringLike": {"bedrock:InferenceProfileArn": ANY_PROFILE}}})
    n.s3_only = _policy(stack, "S3Only", {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"})
    n.deny = _policy(stack, "Deny", {"Effect": "Deny", "Action": "bedrock:*", "Resource": "*"})
    n.token_action = _policy(stack, "TokenAction", {"Effect": "Allow", "Resource": "*",
                                                    "Action": cdk.CfnParameter(stack, "Action").value_as_string})
    n.profile_only = _policy(stack, "ProfileOnly", {"Effect": "Allow", "Action": "bedrock:InvokeModel",
                                                    "Resource": cdk.Fn.import_value("profile-arn")})
    # AWS managed policies attached the CDK way (an Fn::Join over the partition)
    for name in ("AmazonBedrockFullAccess", "AdministratorAccess", "PowerUserAccess", "AmazonBedrockReadOnly"):
        role = iam.Role(stack, f"With{name}", assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
                        managed_policies=[iam.ManagedPolicy.from_aws_managed_policy_name(name)])
        setattr(n, name, role.node.default_child)
    n.user_managed = iam.CfnUser(stack, "UserLimited",
                                 managed_policy_arns=["arn:aws:iam::aws:policy/AmazonBedrockLimitedAccess"])
    n.managed_from_parameter = iam.CfnGroup(stack, "GroupFromParameter", managed_policy_arns=[
        cdk.CfnParameter(stack, "PolicyArn").value_as_string])
    # inline policies of their own resource types
    direct = {"Statement": [{"Effect": "Allow", "Action": "bedrock:*", "Resource": "*"}]}
    n.role_policy = iam.CfnRolePolicy(stack, "RolePolicy", policy_name="p", role_name="r", policy_document=direct)
    n.user_policy = iam.CfnUserPolicy(stack, "UserPolicy", policy_name="p", user_name="u", policy_document=direct)
    n.group_policy = iam.CfnGroupPolicy(stack, "GroupPolicy", policy_name="p", group_name="g", policy_document=direct)
    cases.synth()
    return n


def test_the_bedrock_model_access_policy_complies(cases: Cases, nodes: SimpleNamespace) -> None:
    verdict = cases.verdict(RULE, nodes.construct)
    assert verdict.outcome is Outcome.COMPLIANT, verdict.reason


@pytest.mark.parametrize("name", ["invoke_any_model", "bedrock_star", "role_converse", "not_action"])
def test_direct_model_grants_fail(cases: Cases, nodes: SimpleNamespace, name: str) -> None:
    assert cases.verdict(RULE, getattr(nodes, name)).outcome is Outcome.NON_COMPLIANT


def test_the_failing_statement_is_named(cases: Cases, nodes: SimpleNamespace) -> None:
    assert cases.verdict(RULE, nodes.invoke_any_model).reason.startswith("statement Direct allows")


def test_a_profile_condition_makes_a_model_grant_comply(cases: Cases, nodes: SimpleNamespace) -> None:
    assert cases.verdict(RULE, nodes.with_profile).outcome is Outcome.COMPLIANT


@pytest.mark.parametrize("name", ["s3_only", "deny", "profile_only"])
def test_policies_without_a_direct_grant_are_not_judged(cases: Cases, nodes: SimpleNamespace, name: str) -> None:
    assert cases.verdict(RULE, getattr(nodes, name)).outcome is Outcome.NOT_APPLICABLE


def test_unresolved_actions_are_not_guessed(cases: Cases, nodes: SimpleNamespace) -> None:
    verdict = cases.verdict(RULE, nodes.token_action)
    assert verdict.outcome is Outcome.NOT_APPLICABLE and "unresolved" in verdict.reason


@pytest.mark.parametrize("name", ["AmazonBedrockFullAccess", "AdministratorAccess", "PowerUserAccess", "user_managed"])
def test_aws_managed_policies_that_allow_any_model_fail(cases: Cases, nodes: SimpleNamespace, name: str) -> None:
    verdict = cases.verdict(RULE, getattr(nodes, name))
    assert verdict.outcome is Outcome.NON_COMPLIANT and verdict.reason.startswith("AWS managed policy ")


def test_an_aws_managed_policy_without_invocation_is_not_judged(cases: Cases, nodes: SimpleNamespace) -> None:
    assert cases.verdict(RULE, nodes.AmazonBedrockReadOnly).outcome is Outcome.NOT_APPLICABLE


def test_the_managed_policy_list_is_data_with_the_required_entries() -> None:
    assert {"AmazonBedrockFullAccess", "AdministratorAccess", "PowerUserAccess",
            "AmazonBedrockLimitedAccess"} <= set(bedrock_invoke_managed_policies())


def test_a_managed_policy_arn_from_a_parameter_is_reported_as_not_judged(
        cases: Cases, nodes: SimpleNamespace) -> None:
    verdict = cases.verdict(RULE, nodes.managed_from_parameter)
    assert verdict.outcome is Outcome.NOT_APPLICABLE and verdict.reason.startswith("not judged: managed policy ARN")


@pytest.mark.parametrize("name", ["role_policy", "user_policy", "group_policy"])
def test_role_user_and_group_policy_resources_are_checked(cases: Cases, nodes: SimpleNamespace, name: str) -> None:
    assert cases.verdict(RULE, getattr(nodes, name)).outcome is Outcome.NON_COMPLIANT


# The statement logic on plain templates (the rule reads the synthesized template, nothing else).
PROFILE = "arn:aws:bedrock:us-east-1:222222222222:application-inference-profile/abc"
SIBLINGS = {"Profile": {"Type": "AWS::Bedrock::ApplicationInferenceProfile", "Properties": {}},
            "Bucket": {"Type": "AWS::S3::Bucket", "Properties": {}}}


def _judge(config: FinOpsConfig, **statement: Any) -> Verdict:
    props = {"PolicyDocument": {"Statement": [{"Effect": "Allow", "Action": "bedrock:InvokeModel", **statement}]}}
    return RULE.check(ResourceView("P", "AWS::IAM::ManagedPolicy", props, {}, SIBLINGS), config)


@pytest.mark.parametrize("condition", [
    {"StringEquals": {"bedrock:InferenceProfileArn": PROFILE}},
    {"StringLike": {"bedrock:InferenceProfileArn": "arn:aws:bedrock:*:*:application-inference-profile/*"}},
    {"ArnEquals": {"bedrock:InferenceProfileArn": PROFILE}},
    {"ArnLike": {"Bedrock:InferenceProfileArn": PROFILE}},  # condition keys are case-insensitive
    {"ForAnyValue:StringEquals": {"bedrock:InferenceProfileArn": PROFILE}},
    {"Null": {"bedrock:InferenceProfileArn": "false"}},
])
def test_a_condition_requiring_a_profile_complies(config: FinOpsConfig, condition: dict[str, Any]) -> None:
    assert _judge(config, Resource=ANY_MODEL, Condition=condition).outcome is Outcome.COMPLIANT


@pytest.mark.parametrize("condition", [
    {"StringNotEquals": {"bedrock:InferenceProfileArn": PROFILE}},
    {"ArnNotLike": {"bedrock:InferenceProfileArn": PROFILE}},
    {"StringEqualsIfExists": {"bedrock:InferenceProfileArn": PROFILE}},  # true without a profile
    {"ForAllValues:StringEquals": {"bedrock:InferenceProfileArn": PROFILE}},  # true when the key is absent
    {"Null": {"bedrock:InferenceProfileArn": "true"}},  # only calls without a profile
    {"StringEquals": {"aws:RequestedRegion": "us-east-1"}},
])
def test_a_condition_that_lets_direct_calls_through_fails(config: FinOpsConfig, condition: dict[str, Any]) -> None:
    assert _judge(config, Resource=ANY_MODEL, Condition=condition).outcome is Outcome.NON_COMPLIANT


@pytest.mark.parametrize(("excluded", "outcome"), [
    ("arn:aws:bedrock:*::foundation-model/anthropic.*", Outcome.NON_COMPLIANT),  # other providers remain
    (["arn:aws:bedrock:us-*::foundation-model/*", "arn:aws:bedrock:eu-*::foundation-model/*"], Outcome.NON_COMPLIANT),
    ("arn:aws:bedrock:*::foundation-model/*", Outcome.NOT_APPLICABLE),
    ({"Fn::Join": ["", ["arn:", {"Ref": "AWS::Partition"}, ":bedrock:*::foundation-model/*"]]}, Outcome.NOT_APPLICABLE),
    ("*", Outcome.NOT_APPLICABLE),
])
def test_not_resource_complies_only_when_it_excludes_every_model(
        config: FinOpsConfig, excluded: Any, outcome: Outcome) -> None:
    assert _judge(config, NotResource=excluded).outcome is outcome


@pytest.mark.parametrize("resource", [
    {"Fn::If": ["Direct", ANY_MODEL, PROFILE]},
    {"Ref": "ModelArn"},  # a parameter
    {"Fn::Sub": ["arn:aws:bedrock:us-east-1::${Kind}/x", {"Kind": {"Fn::If": ["C", "foundation-model", "y"]}}]},
    {"Fn::GetAtt": ["Bucket", "Arn"]},  # another resource's attribute: could be anything
])
def test_an_unresolved_resource_is_reported_as_not_judged(config: FinOpsConfig, resource: Any) -> None:
    verdict = _judge(config, Resource=resource)
    assert verdict.outcome is Outcome.NOT_APPLICABLE and verdict.reason.startswith("not judged: statement #0")


@pytest.mark.parametrize("resource", [
    {"Fn::Sub": ["arn:${AWS::Partition}:bedrock:${R}::foundation-model/*", {"R": "us-east-1"}]},
    {"Fn::Sub": "arn:${AWS::Partition}:bedrock:${AWS::Region}::foundation-model/meta.*"},
    [{"Fn::If": ["C", PROFILE, {"Ref": "AWS::NoValue"}]}, "arn:aws:bedrock:*:*:*"],  # one readable item suffices
])
def test_model_arns_written_with_intrinsics_are_read(config: FinOpsConfig, resource: Any) -> None:
    assert _judge(config, Resource=resource).outcome is Outcome.NON_COMPLIANT


@pytest.mark.parametrize("resource", [
    {"Fn::GetAtt": ["Profile", "InferenceProfileArn"]},
    {"Fn::Sub": "arn:${AWS::Partition}:bedrock:${AWS::Region}:${AWS::AccountId}:application-inference-profile/${Id}"},
    "arn:aws:bedrock:*:*:inference-profile/*",  # system profiles: a call still needs the model ARN
])
def test_profile_resources_are_no_direct_grant(config: FinOpsConfig, resource: Any) -> None:
    verdict = _judge(config, Resource=resource)
    assert verdict.outcome is Outcome.NOT_APPLICABLE and verdict.reason == "grants no direct Bedrock model invocation"
