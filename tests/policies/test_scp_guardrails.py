"""SCP statements 6 (guardrail and cost-tag protection) and the rules every statement follows."""

from __future__ import annotations

import re

import pytest

from aifinops.config import load
from aifinops.naming import MANAGED_TAG
from aifinops.policies.scp import build_scps, build_statements, validation_inputs
from aifinops.policies.scp_statement import PRINCIPAL_ARN, deny
from tests.conftest import REFERENCE_CONFIG
from tests.policies.scp_eval import (
    BREAK_GLASS_ROLE,
    DEPLOY_ROLE,
    all_statements,
    denied,
    denied_by,
    edited,
    triggering_request,
)

REFERENCE = load(REFERENCE_CONFIG)
DEV = build_statements(REFERENCE, "dev")
MANAGED = {f"aws:ResourceTag/{MANAGED_TAG}": "true"}
FUNCTION = "arn:aws:lambda:us-east-1:222222222222:function:aifinops-guard"
GUARDRAIL_SIDS = ("AifProtectTaggedGuardrails", "AifProtectNamedGuardrails", "AifProtectManagedTag")
DEPLOYING_SIDS = ("AifProtectExemptRoles", "AifProtectCdkBootstrap", "AifProtectGuardrailStacks")  # + bootstrap roles
GUARD_TAG_SIDS = ("AifProtectGuardTags", "AifProtectGuardTagLookalikes")
BOOTSTRAP_ROLES = "arn:aws:iam::*:role/cdk-aifinops-*"
GUARD_WRITERS = ["arn:*:iam::*:role/aifinops-gpu-guard-*", "arn:*:iam::*:role/aifinops-budget-enforcer-access"]


@pytest.mark.parametrize("action", ["lambda:UpdateFunctionCode", "lambda:DeleteFunction",
                                    "lambda:PutFunctionConcurrency", "iam:PutRolePolicy",
                                    "iam:UpdateAssumeRolePolicy", "events:DisableRule",
                                    "sns:DeleteTopic", "sqs:SetQueueAttributes", "cloudwatch:DeleteAlarms",
                                    "logs:DeleteLogGroup", "ssm:PutParameter"])
def test_managed_resources_change_only_through_deployment_roles(action: str) -> None:
    assert denied_by(DEV, action, FUNCTION, context=MANAGED) == ["AifProtectTaggedGuardrails"]
    assert not denied(DEV, action, FUNCTION, principal=DEPLOY_ROLE, context=MANAGED)
    assert not denied(DEV, action, FUNCTION, principal=BREAK_GLASS_ROLE, context=MANAGED)
    assert not denied(DEV, action, FUNCTION)  # not managed: the team's own resource
    assert not denied(DEV, action, FUNCTION, context={f"aws:ResourceTag/{MANAGED_TAG}": "false"})


@pytest.mark.parametrize(("action", "resource"), [
    ("budgets:ModifyBudget", "arn:aws:budgets::222222222222:budget/aifinops-search"),
    ("budgets:DeleteBudgetAction", "arn:aws:budgets::222222222222:budget/aifinops-search/action/0f1e2d3c"),
    ("scheduler:UpdateSchedule", "arn:aws:scheduler:us-east-1:222222222222:schedule/default/aifinops-guard-scan"),
    ("scheduler:DeleteScheduleGroup", "arn:aws:scheduler:us-east-1:222222222222:schedule-group/aifinops-guard"),
])
def test_named_guardrails_change_only_through_deployment_roles(action: str, resource: str) -> None:
    assert denied_by(DEV, action, resource) == ["AifProtectNamedGuardrails"]
    assert not denied(DEV, action, resource, principal=DEPLOY_ROLE)
    assert not denied(DEV, action, resource.replace("aifinops-", "team-"))


def test_budget_actions_can_still_be_approved() -> None:
    action = "arn:aws:budgets::222222222222:budget/aifinops-search/action/0f1e2d3c"
    assert not denied(DEV, "budgets:ExecuteBudgetAction", action)


@pytest.mark.parametrize("action", ["lambda:TagResource", "lambda:UntagResource", "iam:TagRole", "logs:UntagLogGroup",
                                    "budgets:TagResource", "ssm:AddTagsToResource"])
def test_the_managed_tag_key_cannot_be_added_or_removed(action: str) -> None:
    team_function = "arn:aws:lambda:us-east-1:222222222222:function:search-ranker"
    assert "AifProtectManagedTag" in denied_by(DEV, action, team_function, context={"aws:TagKeys": [MANAGED_TAG, "a"]})
    assert not denied(DEV, action, team_function, context={"aws:TagKeys": ["team"]})
    assert not denied(DEV, action, team_function, principal=DEPLOY_ROLE, context={"aws:TagKeys": [MANAGED_TAG]})


@pytest.mark.parametrize(("action", "resource"), [
    ("sagemaker:DeleteTags", "arn:aws:sagemaker:us-east-1:222222222222:endpoint/search-ranker"),
    ("bedrock:UntagResource", "arn:aws:bedrock:us-east-1:222222222222:application-inference-profile/abc123"),
    ("ec2:DeleteTags", "arn:aws:ec2:us-east-1:222222222222:instance/i-0123456789abcdef0"),
])
def test_required_cost_tags_cannot_be_removed(action: str, resource: str) -> None:
    for key in REFERENCE.tags.required:
        assert denied(DEV, action, resource, context={"aws:TagKeys": ["owner", key]}), key
    assert not denied(DEV, action, resource, context={"aws:TagKeys": ["scratch"]})
    assert not denied(DEV, action, resource, principal=BREAK_GLASS_ROLE, context={"aws:TagKeys": ["team"]})
    assert denied(DEV, action, resource, principal=DEPLOY_ROLE, context={"aws:TagKeys": ["team"]})


def test_ec2_tag_removal_is_only_guarded_on_instances() -> None:
    assert not denied(DEV, "ec2:DeleteTags", "arn:aws:ec2:us-east-1:222222222222:vpc/vpc-1",
                      context={"aws:TagKeys": ["team"]})


# Rules for every statement

@pytest.mark.parametrize("env", REFERENCE.environments)
def test_every_deny_carries_the_break_glass_exemption(env: str) -> None:
    break_glass = list(REFERENCE.organization.break_glass)
    for statement in all_statements(build_scps(REFERENCE)[env]):
        assert statement.body["Effect"] == "Deny"
        exempt = statement.body["Condition"]["ArnNotLike"][PRINCIPAL_ARN]
        expected = (break_glass + list(REFERENCE.organization.deployers) if statement.sid in GUARDRAIL_SIDS
                    else [*break_glass, BOOTSTRAP_ROLES] if statement.sid in DEPLOYING_SIDS
                    else break_glass + GUARD_WRITERS if statement.sid in GUARD_TAG_SIDS else break_glass)
        assert exempt == expected, statement.sid
        action, resource, context = triggering_request(statement)
        assert denied([statement], action, resource, context=context), statement.sid
        assert not denied([statement], action, resource, principal=BREAK_GLASS_ROLE, context=context)


def test_without_break_glass_only_the_guardrails_keep_an_exemption() -> None:
    config = edited(lambda d: d["organization"].update(break_glass=[]))
    for statement in build_statements(config, "dev"):
        conditions = statement.body.get("Condition", {})
        if statement.sid in GUARDRAIL_SIDS:
            assert conditions["ArnNotLike"] == {PRINCIPAL_ARN: "arn:aws:iam::*:role/cdk-aifinops-cfn-exec-role-*"}
        elif statement.sid in DEPLOYING_SIDS:
            assert conditions["ArnNotLike"] == {PRINCIPAL_ARN: BOOTSTRAP_ROLES}
        elif statement.sid in GUARD_TAG_SIDS:
            assert conditions["ArnNotLike"] == {PRINCIPAL_ARN: GUARD_WRITERS}
        else:
            assert "ArnNotLike" not in conditions, statement.sid


def test_the_exemption_merges_with_an_existing_arn_not_like() -> None:
    statement = deny("Sid1", "s", actions=["s3:PutObject"], exempt=["arn:aws:iam::*:role/B", "arn:aws:iam::*:role/A"],
                     conditions={"ArnNotLike": {"aws:PrincipalARN": "arn:aws:iam::*:role/A"},
                                 "StringEquals": {"aws:ResourceTag/x": "y"}})
    assert statement.body["Condition"] == {"ArnNotLike": {"aws:PrincipalARN": ["arn:aws:iam::*:role/A",
                                                                              "arn:aws:iam::*:role/B"]},
                                           "StringEquals": {"aws:ResourceTag/x": "y"}}


def test_sids_are_alphanumeric_unique_and_summaries_are_one_line() -> None:
    for env in REFERENCE.environments:
        statements = all_statements(build_scps(REFERENCE)[env])
        sids = [s.sid for s in statements]
        assert len(sids) == len(set(sids))
        for statement in statements:
            assert re.fullmatch(r"Aif[A-Za-z0-9]+", statement.sid) and statement.body["Sid"] == statement.sid
            assert statement.summary and "\n" not in statement.summary


def test_sids_are_made_unique_for_look_alike_tag_keys() -> None:
    # no workloads: those of finops.yaml carry the five default keys only (validate refuses task_type with them)
    config = edited(lambda d: (d["tags"].update(required=["team", "environment", "task-type", "task_type"]),
                               d.update(workloads=[])))
    sids = [s.sid for s in build_statements(config, "dev")]
    assert len(sids) == len(set(sids))


def test_validation_inputs_lists_every_action_and_condition_key() -> None:
    names = validation_inputs(REFERENCE)
    used_actions = {a for env in REFERENCE.environments for s in build_statements(REFERENCE, env)
                    for a in ([s.body["Action"]] if isinstance(s.body["Action"], str) else s.body["Action"])}
    assert names.actions == used_actions
    assert {"aws:PrincipalARN", "aws:RequestTag/task-type", "ec2:InstanceType", "sagemaker:InstanceTypes",
            "sagemaker:MaxRuntimeInSeconds", "bedrock-mantle:Model", "aws:TagKeys", "ec2:Attribute/InstanceType",
            "autoscaling:InstanceTypes", "autoscaling:InstanceType", "ec2:CommitmentDuration", "bedrock:ModelArn",
            "aws:RequestTag/aifinops:exempt-until", "cloud9:InstanceType",
            "codebuild:computeConfiguration.instanceType", "codebuild:environment.computeConfiguration.instanceType",
            f"aws:ResourceTag/{MANAGED_TAG}"} == set(names.condition_keys) - {
        f"aws:RequestTag/{k}" for k in ("team", "project", "model", "environment")}
    checker = names.checker_input()
    assert checker["actions"] == sorted(names.actions) and checker["conditionKeys"] == sorted(names.condition_keys)
