"""Budget actions that stop a team from starting new AI spend once its budget is spent.

Which kind of action can reach a role depends on where the role lives (IAM attaches a policy only to a
role of the policy's own account, and a budget action's execution role must be in the budget's account):

- roles in the budget's account: `IamBudgetAction`, APPLY_IAM_POLICY of a customer managed deny policy;
- roles in other accounts of the organization: `ScpBudgetAction` of the management account,
  APPLY_SCP_POLICY of a service control policy attached to those accounts whose statements apply only
  to those roles (`aws:PrincipalARN`);
- accounts a team owns outright: `ScpBudgetAction` attaching an account-wide SCP (break-glass spared).

The statements are `aifinops.policies.budget_stop`. Budgets applies an action when actual spend
reaches the threshold (AUTOMATIC) or when someone approves it (MANUAL); reverse it in the Budgets console
or with `aws budgets execute-budget-action --execution-type REVERSE_BUDGET_ACTION`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import aws_cdk as cdk
from aws_cdk import aws_budgets as budgets
from aws_cdk import aws_iam as iam
from aws_cdk import aws_organizations as organizations
from constructs import Construct

from aifinops.constructs import nag_acks
from aifinops.constructs.team_budget_rules import Approval, BudgetStop
from aifinops.policies.budget_stop import budget_stop_document, budget_stop_statements
from aifinops.policies.scp_types import Statement

__all__ = ["Approval", "BudgetStop", "IamBudgetAction", "ScpBudgetAction"]
BUDGETS_PRINCIPAL = "budgets.amazonaws.com"
IAM_ACTION = "APPLY_IAM_POLICY"
SCP_ACTION = "APPLY_SCP_POLICY"


def _execution_role(scope: Construct, statement: iam.PolicyStatement, description: str) -> iam.Role:
    """A role only Budgets may assume, only for this account, with one inline statement."""
    stack = cdk.Stack.of(scope)
    return iam.Role(scope, "ExecutionRole", description=description,
                    assumed_by=iam.ServicePrincipal(BUDGETS_PRINCIPAL, conditions={
                        "StringEquals": {"aws:SourceAccount": stack.account}}),
                    inline_policies={"BudgetAction": iam.PolicyDocument(statements=[statement])})


def _action(scope: Construct, *, budget_name: str, action_type: str, threshold_percent: float,
            approval: Approval, definition: budgets.CfnBudgetsAction.DefinitionProperty, role: iam.IRole,
            owners: Sequence[str]) -> budgets.CfnBudgetsAction:
    return budgets.CfnBudgetsAction(
        scope, "Action", budget_name=budget_name, action_type=action_type, notification_type="ACTUAL",
        action_threshold=budgets.CfnBudgetsAction.ActionThresholdProperty(type="PERCENTAGE",
                                                                          value=threshold_percent),
        approval_model=approval.upper(), definition=definition, execution_role_arn=role.role_arn,
        subscribers=[budgets.CfnBudgetsAction.SubscriberProperty(type="EMAIL", address=o) for o in owners])


class IamBudgetAction(Construct):
    """APPLY_IAM_POLICY: attach a customer managed deny policy to roles of this account.

    The execution role may attach and detach exactly that policy (`iam:PolicyARN`) to exactly those roles.
    """

    def __init__(self, scope: Construct, construct_id: str, *, budget_name: str, policy_name: str,
                 role_arns: Sequence[str], threshold_percent: float, approval: Approval,
                 owners: Sequence[str]) -> None:
        super().__init__(scope, construct_id)
        self.statements: tuple[Statement, ...] = budget_stop_statements()
        self.policy = iam.ManagedPolicy(
            self, "StopPolicy", managed_policy_name=policy_name,
            description="aifinops budget action: no new GPU, SageMaker, Batch or premium-model spend",
            document=iam.PolicyDocument.from_json(budget_stop_document(self.statements)))
        names = [iam.Role.from_role_arn(self, f"Role{i}", arn, mutable=False).role_name
                 for i, arn in enumerate(role_arns)]
        self.role = _execution_role(self, iam.PolicyStatement(
            actions=["iam:AttachRolePolicy", "iam:DetachRolePolicy"], resources=list(role_arns),
            conditions={"ArnEquals": {"iam:PolicyARN": self.policy.managed_policy_arn}}),
            f"Budgets applies {policy_name} to the team's roles")
        self.action = _action(
            self, budget_name=budget_name, action_type=IAM_ACTION, threshold_percent=threshold_percent,
            approval=approval, role=self.role, owners=owners,
            definition=budgets.CfnBudgetsAction.DefinitionProperty(
                iam_action_definition=budgets.CfnBudgetsAction.IamActionDefinitionProperty(
                    policy_arn=self.policy.managed_policy_arn, roles=names)))
        self.summary: dict[str, Any] = {"type": IAM_ACTION, "approval": approval.upper(), "policy": policy_name,
                                        "roles": list(role_arns)}


class ScpBudgetAction(Construct):
    """APPLY_SCP_POLICY (management account only): attach a service control policy, created unattached, to
    accounts. With `principals` its statements apply only to those principals; without, to every
    principal of the accounts but `exempt`.

    The execution role may attach and detach only that policy, only to those accounts.
    """

    def __init__(self, scope: Construct, construct_id: str, *, budget_name: str, policy_name: str,
                 accounts: Sequence[str], threshold_percent: float, approval: Approval, owners: Sequence[str],
                 principals: Sequence[str] = (), exempt: Sequence[str] = ()) -> None:
        super().__init__(scope, construct_id)
        stack = cdk.Stack.of(self)
        self.statements = budget_stop_statements(principals=principals, exempt=exempt)
        whom = "the team's roles" if principals else "every principal but break-glass"
        self.policy = organizations.CfnPolicy(
            self, "StopScp", name=policy_name, type="SERVICE_CONTROL_POLICY",
            content=budget_stop_document(self.statements),
            description=f"aifinops budget action: no new AI spend for {whom} (attached by AWS Budgets)")
        account_arns = [f"arn:{stack.partition}:organizations::{stack.account}:account/o-*/{a}" for a in accounts]
        attach = iam.PolicyStatement(
            actions=["organizations:AttachPolicy", "organizations:DetachPolicy"],
            resources=[self.policy.attr_arn, *account_arns],
            conditions={"StringEquals": {"organizations:PolicyType": "SERVICE_CONTROL_POLICY"}})
        self.role = _execution_role(self, attach, f"Budgets attaches {policy_name} to the team's accounts")
        nag_acks.acknowledge_wildcards(self.role, [attach], {None: nag_acks.BUDGET_SCP_ACCOUNTS})
        self.action = _action(
            self, budget_name=budget_name, action_type=SCP_ACTION, threshold_percent=threshold_percent,
            approval=approval, role=self.role, owners=owners,
            definition=budgets.CfnBudgetsAction.DefinitionProperty(
                scp_action_definition=budgets.CfnBudgetsAction.ScpActionDefinitionProperty(
                    policy_id=self.policy.attr_id, target_ids=list(accounts))))
        self.summary: dict[str, Any] = {"type": SCP_ACTION, "approval": approval.upper(), "policy": policy_name,
                                        "targets": list(accounts),
                                        **({"roles": list(principals)} if principals else {"scope": "account"})}
