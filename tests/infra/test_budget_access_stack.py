"""BudgetAccessStack: per workload account, the role the budget enforcer assumes there — trusted by the
enforcer's role in the management account only, allowed exactly what the enforcer's permission table needs
for workloads (not budgets, not sts:AssumeRole), tagged managed."""

from __future__ import annotations

import json
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk.assertions import Match, Template

from aifinops.config import FinOpsConfig
from aifinops.constructs import BudgetEnforcerAccess, ConstructPropError
from aifinops.constructs.budget_enforcer import enforcer_statements, workload_statements
from aifinops.infra import BudgetAccessStack
from aifinops.lambdas.budget_enforcer.permissions import PERMISSIONS
from aifinops.naming import MANAGED_TAG
from tests.conftest import Assembly
from tests.iam.harness import actions_of, check_iam_names, condition_keys_of

MANAGEMENT = "111111111111"
MEMBER = "222222222222"
STACK = f"aifinops-budget-access-{MEMBER}"
ENFORCER_ROLE = f"arn:aws:iam::{MANAGEMENT}:role/aifinops-budget-enforcer"


@pytest.fixture(scope="module")
def raw(reference_assembly: Assembly) -> dict[str, Any]:
    return reference_assembly.template(STACK)


@pytest.fixture(scope="module")
def template(raw: dict[str, Any]) -> Template:
    return Template.from_json(raw)


def statements(raw: dict[str, Any]) -> dict[str, dict[str, Any]]:
    [policy] = [r for r in raw["Resources"].values() if r["Type"] == "AWS::IAM::Policy"]
    return {s["Sid"]: s for s in policy["Properties"]["PolicyDocument"]["Statement"]}


def test_one_stack_per_workload_account_in_that_account(reference_assembly: Assembly, config: FinOpsConfig) -> None:
    accounts = sorted({a for e in config.environments.values() for a in e.accounts})
    stacks = [s for s in reference_assembly.stacks() if s.startswith("aifinops-budget-access-")]
    assert stacks == [f"aifinops-budget-access-{a}" for a in accounts]
    manifest = reference_assembly.outdir / "manifest.json"
    artifacts = json.loads(manifest.read_text())["artifacts"]
    for account in accounts:
        assert artifacts[f"aifinops-budget-access-{account}"]["environment"] == (
            f"aws://{account}/{config.organization.regions[0]}")


def test_the_role_trusts_only_the_enforcer_role_of_the_management_account(template: Template) -> None:
    template.resource_count_is("AWS::IAM::Role", 1)
    template.has_resource_properties("AWS::IAM::Role", {
        "RoleName": "aifinops-budget-enforcer-access",
        "AssumeRolePolicyDocument": Match.object_equals({"Version": "2012-10-17", "Statement": [{
            "Action": "sts:AssumeRole", "Effect": "Allow",
            "Principal": {"AWS": f"arn:aws:iam::{MANAGEMENT}:root"},
            "Condition": {"ArnEquals": {"aws:PrincipalArn": ENFORCER_ROLE}}}]})})


def test_the_role_may_pause_and_resume_team_workloads_of_this_account_only(raw: dict[str, Any],
                                                                          config: FinOpsConfig) -> None:
    by_sid = statements(raw)
    pausable = [t.name for t in config.teams if not t.critical]
    assert set(by_sid) == {"ReadInventory", "DescribeSageMaker", "ReadJobQueueTags", "PauseAndResumeTeamWorkloads",
                           "MarkPausedWorkloads", "RecreateTeamEndpoints"}
    granted = {a for s in by_sid.values() for a in ([s["Action"]] if isinstance(s["Action"], str) else s["Action"])}
    declared = {p.action for p in PERMISSIONS if p.action != "sts:GetCallerIdentity"}
    locks = {p.action for p in PERMISSIONS if p.condition == "lock-table"}
    payer_only = {"budgets:ViewBudget", "sts:AssumeRole", *locks}
    assert granted == declared - payer_only  # budgets, the access roles and the lock are the payer role's alone
    for sid in ("DescribeSageMaker", "ReadJobQueueTags", "PauseAndResumeTeamWorkloads", "MarkPausedWorkloads",
                "RecreateTeamEndpoints"):
        resources = by_sid[sid]["Resource"]
        assert all(f":{MEMBER}:" in str(r) for r in ([resources] if isinstance(resources, str) else resources)), sid
    assert by_sid["PauseAndResumeTeamWorkloads"]["Condition"] == {
        "StringEquals": {"aws:ResourceTag/team": pausable},
        "StringNotEqualsIgnoreCase": {"aws:ResourceTag/aifinops:critical": "true"}}
    assert by_sid["MarkPausedWorkloads"]["Condition"] == {
        "StringEquals": {"aws:ResourceTag/team": pausable},
        "ForAllValues:StringLike": {"aws:TagKeys": ["aifinops:paused-by", "aifinops:paused-by:*"]}}
    assert by_sid["RecreateTeamEndpoints"]["Condition"] == {"StringEquals": {"aws:RequestTag/team": pausable}}
    assert [s for s, st in by_sid.items() if st["Resource"] == "*"] == ["ReadInventory"]
    documents = [r["Properties"]["PolicyDocument"] for r in raw["Resources"].values()
                 if r["Type"] == "AWS::IAM::Policy"]
    result = check_iam_names(actions_of(documents), condition_keys_of(documents), with_condition_keys=True)
    assert result.unknown_actions == () and result.unknown_condition_keys == ()


def test_the_same_statements_as_the_payer_role_for_its_own_account() -> None:
    stack = cdk.Stack(cdk.App(), "S", env=cdk.Environment(account=MEMBER, region="us-east-1"))
    kwargs: dict[str, Any] = {"pausable_teams": ["search"], "regions": ["us-east-1"]}
    payer = [s.to_json() for s in enforcer_statements(stack, **kwargs, access_role_arns=["arn:aws:iam::1:role/x"])]
    workload = [s.to_json() for s in workload_statements(stack.account, stack.partition, **kwargs)]
    assert [s for s in payer if s["Sid"] not in ("ReadBudgets", "AssumeAccessRoles")] == workload


def test_everything_is_tagged_managed(raw: dict[str, Any], template: Template) -> None:
    template.has_resource_properties("AWS::IAM::Role", {
        "Tags": Match.array_with([{"Key": MANAGED_TAG, "Value": "true"}])})
    tagged = [r for r in raw["Resources"].values() if "Tags" in r.get("Properties", {})]
    assert tagged and all({"Key": MANAGED_TAG, "Value": "true"} in r["Properties"]["Tags"] for r in tagged)


def test_the_payer_enforcer_role_has_the_name_the_access_roles_trust(reference_assembly: Assembly) -> None:
    raw = reference_assembly.template("aifinops-team-budgets")
    names = {r["Properties"].get("RoleName") for r in raw["Resources"].values() if r["Type"] == "AWS::IAM::Role"}
    assert "aifinops-budget-enforcer" in names


def test_a_bad_management_account_is_refused() -> None:
    stack = cdk.Stack(cdk.App(), "S", env=cdk.Environment(account=MEMBER, region="us-east-1"))
    with pytest.raises(ConstructPropError, match="management_account"):
        BudgetEnforcerAccess(stack, "Access", management_account="1111", pausable_teams=["search"],
                             regions=["us-east-1"])


def test_docstring_example_synthesizes(config: FinOpsConfig) -> None:
    app = cdk.App()
    stack = BudgetAccessStack(app, STACK, config=config,
                              env=cdk.Environment(account=MEMBER, region=config.organization.regions[0]))
    assert isinstance(stack.access, BudgetEnforcerAccess)
    Template.from_stack(stack).resource_count_is("AWS::IAM::Role", 1)
