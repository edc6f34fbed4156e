"""`BudgetAccessStack`: in one workload account, the role the budget enforcer assumes to pause and resume the
teams' workloads there (`BudgetEnforcerAccess`)."""

from __future__ import annotations

from typing import Any

import aws_cdk as cdk
from constructs import Construct

from aifinops.config import TEAM, FinOpsConfig
from aifinops.constructs.budget_enforcer_access import BudgetEnforcerAccess
from aifinops.naming import MANAGED_TAG

__all__ = ["BudgetAccessStack"]


class BudgetAccessStack(cdk.Stack):
    """The role ``aifinops-budget-enforcer-access`` of one workload account, trusted only by the enforcer's role
    ``aifinops-budget-enforcer`` in the management account. Deploy one per account of finops.yaml
    ``environments.*.accounts`` (``aifinops-budget-access-<account>``), in any region: IAM is global, the role's
    permissions cover every configured region. Until it is deployed, the enforcer reports an AssumeRole error
    for that account and pauses nothing there.

    Example::

        import aws_cdk as cdk
        from aifinops.config import load
        from aifinops.infra.budget_access_stack import BudgetAccessStack

        config = load("finops.yaml")
        app = cdk.App()
        BudgetAccessStack(app, "aifinops-budget-access-222222222222", config=config,
                          env=cdk.Environment(account="222222222222", region=config.organization.regions[0]))
        app.synth()
    """

    def __init__(self, scope: Construct, construct_id: str, *, config: FinOpsConfig, **kwargs: Any) -> None:
        super().__init__(scope, construct_id, **kwargs)
        cdk.Tags.of(self).add(MANAGED_TAG, "true")
        self.access = BudgetEnforcerAccess(
            self, "BudgetEnforcerAccess", management_account=config.organization.management_account,
            pausable_teams=[t.name for t in config.teams if not t.critical], regions=config.organization.regions,
            tag_key=TEAM)
