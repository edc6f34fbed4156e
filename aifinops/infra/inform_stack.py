"""`InformStack`: AI spend people can see, in the payer (management) account, us-east-1: the daily spend collector
and the weekly team reports (`InformFunctions`), the executive dashboard and one dashboard per team. The
engineering dashboards live in the workload stacks, beside the profiles and endpoints they show."""

from __future__ import annotations

from typing import Any

import aws_cdk as cdk
from constructs import Construct

from aifinops.config import FinOpsConfig
from aifinops.constructs.inform_functions import InformFunctions
from aifinops.constructs.spend_dashboards import ExecutiveDashboard, TeamDashboard
from aifinops.naming import MANAGED_TAG
from aifinops.policies.inform_policy import inform_policy_json


class InformStack(cdk.Stack):
    """Deploy it where Cost Explorer answers for the whole organisation: the payer account (us-east-1). Its
    collector reads the teams' spend by the cost tags, which Cost Explorer knows only once `CostTagsStack` has
    activated them; outcome metrics of other accounts and the guard's per-team metrics need CloudWatch
    cross-account observability with this account as monitoring account (README, "Inform")."""

    def __init__(self, scope: Construct, construct_id: str, *, config: FinOpsConfig, **kwargs: Any) -> None:
        super().__init__(scope, construct_id, **kwargs)
        cdk.Tags.of(self).add(MANAGED_TAG, "true")
        settings = config.inform
        self.functions = InformFunctions(
            self, "Functions", policy_json=inform_policy_json(config, region=self.region),
            owners={t.name: list(t.owners) for t in config.teams}, collector_schedule=settings.collector_cron,
            report_schedule=settings.report_cron, retention_days=settings.report_retention_days)
        self.executive = ExecutiveDashboard(
            self, "ExecutiveDashboard", teams=[t.name for t in config.teams],
            org_budget_usd=config.budgets.org_ai_monthly_usd, alert_percent=config.budgets.alert_percent,
            outcomes=[(o.team, o.project, o.unit) for o in settings.outcomes])
        self.team_dashboards = {t.name: TeamDashboard(
            self, f"TeamDashboard-{t.name}", team=t.name, alert_percent=config.budgets.alert_percent,
            outcomes=[(o.project, o.unit) for o in settings.outcomes if o.team == t.name]) for t in config.teams}
