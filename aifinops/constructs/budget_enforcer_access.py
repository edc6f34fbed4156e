"""`BudgetEnforcerAccess`: the role the budget enforcer (in the payer account) assumes in a workload account to
pause and resume the teams' workloads there.

Trust: only the enforcer's role ``arn:<partition>:iam::<management>:role/aifinops-budget-enforcer``, as the
account principal of the management account narrowed by ``aws:PrincipalArn`` (a role ARN as principal would
have to exist when this stack deploys, and would turn into an unusable principal id if the enforcer's role
were ever recreated). Permissions: what `workload_statements` derives from the enforcer's permission table,
scoped to this account and the regions given; never budgets or sts:AssumeRole (the payer role's alone).
"""

from __future__ import annotations

from collections.abc import Sequence

import aws_cdk as cdk
from aws_cdk import aws_iam as iam
from constructs import Construct

from aifinops.constructs import nag_acks
from aifinops.constructs.budget_enforcer import workload_statements
from aifinops.constructs.errors import raise_if_any
from aifinops.constructs.guardrail_rules import enforcer_access_problems
from aifinops.naming import BUDGET_ACCESS_ROLE, BUDGET_ENFORCER_ROLE, MANAGED_TAG

__all__ = ["BudgetEnforcerAccess"]


class BudgetEnforcerAccess(Construct):
    """The role ``aifinops-budget-enforcer-access`` (tagged ``aifinops:managed=true``), assumable only by the
    budget enforcer's role in `management_account`, allowed to pause and resume the workloads of
    `pausable_teams` in this account (not those tagged ``aifinops:critical=true``) and to mark them.

    Example::

        import aws_cdk as cdk
        from aifinops.constructs.budget_enforcer_access import BudgetEnforcerAccess

        app = cdk.App()
        stack = cdk.Stack(app, "Access", env=cdk.Environment(account="222222222222", region="us-east-1"))
        BudgetEnforcerAccess(stack, "Access", management_account="111111111111", pausable_teams=["search"],
                             regions=["us-east-1"])
        app.synth()
    """

    def __init__(self, scope: Construct, construct_id: str, *, management_account: str,
                 pausable_teams: Sequence[str], regions: Sequence[str], tag_key: str = "team") -> None:
        """
        :param management_account: the payer (management) account id, where the enforcer runs.
        :param pausable_teams: team tag values whose workloads may be paused (not the critical teams).
        :param regions: regions the enforcer acts in (resource ARNs are scoped to them).
        :param tag_key: the team cost tag key. Default: ``team``.
        """
        super().__init__(scope, construct_id)
        raise_if_any(self, enforcer_access_problems(management_account=management_account, regions=regions))
        stack = cdk.Stack.of(self)
        self.enforcer_role_arn = f"arn:{stack.partition}:iam::{management_account}:role/{BUDGET_ENFORCER_ROLE}"
        self.role = iam.Role(
            self, "Role", role_name=BUDGET_ACCESS_ROLE,
            description="aifinops budget enforcer (payer account): pause and resume team workloads here",
            assumed_by=iam.AccountPrincipal(management_account).with_conditions(
                {"ArnEquals": {"aws:PrincipalArn": self.enforcer_role_arn}}))
        statements = workload_statements(stack.account, stack.partition, pausable_teams=pausable_teams,
                                         regions=regions, tag_key=tag_key)
        for statement in statements:
            self.role.add_to_principal_policy(statement)
        nag_acks.acknowledge_wildcards(self.role, statements, nag_acks.ENFORCER)
        cdk.Tags.of(self.role).add(MANAGED_TAG, "true")
