"""AiFinOps-BR1: direct model grants flagged, grants through application inference profiles pass."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_iam as iam

from aifinops.constructs import BedrockModelAccess, CostTags
from aifinops.policies.nag.rule import Outcome
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
