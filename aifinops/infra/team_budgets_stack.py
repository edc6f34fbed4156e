"""`TeamBudgetsStack`: budgets per team and project, the org-wide AI budget, budget actions, the budget
enforcer, cost anomaly alerts per team and the team cost category, deployed once in the payer
(management) account, us-east-1."""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

import aws_cdk as cdk
from aws_cdk import aws_ce as ce
from aws_cdk import aws_lambda as lambda_
from constructs import Construct

from aifinops.config import PROJECT, TEAM, FinOpsConfig
from aifinops.constructs.budget_action import BudgetStop, ScpBudgetAction
from aifinops.constructs.budget_enforcer import BudgetEnforcer
from aifinops.constructs.budget_topic import BudgetTopic
from aifinops.constructs.cost_anomaly import TeamAnomalyAlerts
from aifinops.constructs.errors import PropProblem, raise_if_any
from aifinops.constructs.team_budget import BudgetThresholds, OrgAiBudget, TeamBudget
from aifinops.constructs.team_budget_rules import scp_slot_problems as budget_scp_slot_problems
from aifinops.naming import MANAGED_TAG, NAME_PREFIX
from aifinops.policies.budget_policy import enforcer_policy_json
from aifinops.policies.scp import build_scps
from aifinops.policies.scp_slots import budget_scp_targets

COST_CATEGORY_NAME = f"{NAME_PREFIX}-team"
COST_CATEGORY_DEFAULT = "no-team"  # spend without a configured team tag value
MAX_ORG_RECIPIENTS = 10


class TeamBudgetsStack(cdk.Stack):
    """Budgets of every team from finops.yaml. Deploy it in the payer (management) account: only there do
    budgets see the spend of every account, only there can service control policies reach the teams'
    roles in workload accounts, and the tag keys must be active cost allocation tags there.

    - ``aifinops-<team>`` and ``aifinops-<team>-<project>`` (projects with an amount) `TeamBudget` budgets,
      thresholds from ``budgets``; teams with ``budget_action`` get the budget actions at
      ``action_percent`` (APPLY_SCP_POLICY for roles of workload accounts and for the team's ``accounts``,
      APPLY_IAM_POLICY for roles of this account), approval from ``Team.approval``;
    - ``aifinops-ai-total`` (`OrgAiBudget`) when ``org_ai_monthly_usd`` is set, over every team's spend;
    - the budget topic and the budget enforcer (pause on notification, resume on ``resume_day_cron``);
      it acts in every account of ``environments.*.accounts`` through the role ``aifinops-budget-enforcer-access``
      of the ``aifinops-budget-access-<account>`` stacks (`BudgetAccessStack`), which must be deployed there;
    - a Cost Anomaly Detection monitor and subscription per team, and the ``aifinops-team`` cost category.
    Budgets filter by the cost tags: they see spend only once `CostTagsStack` has activated them.
    """

    def __init__(self, scope: Construct, construct_id: str, *, config: FinOpsConfig,
                 enforcer_code: lambda_.Code | None = None, **kwargs: Any) -> None:
        """
        :param config: the finops.yaml configuration.
        :param enforcer_code: the enforcer functions' code. Default: the asset aifinops/lambdas/budget_enforcer.
        """
        super().__init__(scope, construct_id, **kwargs)
        cdk.Tags.of(self).add(MANAGED_TAG, "true")
        settings = config.budgets
        thresholds = BudgetThresholds(alert_percent=settings.alert_percent,
                                      forecast_percent=settings.forecast_percent,
                                      action_percent=settings.action_percent)
        immediate = settings.anomaly.frequency == "IMMEDIATE"
        self.topic = BudgetTopic(self, "Topic", anomaly_alerts=immediate)
        topic = self.topic.topic
        self.team_budgets: dict[str, TeamBudget] = {}
        for team in config.teams:
            stop = None if team.budget_action is None else BudgetStop(
                roles=team.budget_action.roles, accounts=team.accounts, approval=team.approval,
                exempt=config.organization.break_glass, management_account=True)
            common: dict[str, Any] = {"team": team.name, "owners": team.owners, "topic": topic, "tag_key": TEAM,
                                      "project_tag_key": PROJECT, "thresholds": thresholds,
                                      "enforcer_pauses": not team.critical}
            budget = TeamBudget(self, f"Budget-{team.name}", monthly_limit_usd=team.monthly_budget_usd, stop=stop,
                                **common)
            self.team_budgets[budget.name] = budget
            for project, amount in team.projects.items():
                if amount is not None:
                    budget = TeamBudget(self, f"Budget-{team.name}-{project}", project=project,
                                        monthly_limit_usd=amount, **common)
                    self.team_budgets[budget.name] = budget
            TeamAnomalyAlerts(self, f"Anomaly-{team.name}", team=team.name, owners=team.owners, tag_key=TEAM,
                              threshold_usd=settings.anomaly.threshold_usd,
                              threshold_percent=settings.anomaly.threshold_percent,
                              frequency=settings.anomaly.frequency, topic=topic if immediate else None)
        self.org_budget: OrgAiBudget | None = None
        if settings.org_ai_monthly_usd is not None:
            owners = list(dict.fromkeys(o for t in config.teams for o in t.owners))
            # More owners than a notification can e-mail: the topic only (subscribe finance there).
            self.org_budget = OrgAiBudget(
                self, "Budget-ai-total", teams=[t.name for t in config.teams], tag_key=TEAM,
                owners=owners if len(owners) <= MAX_ORG_RECIPIENTS else [],
                monthly_limit_usd=settings.org_ai_monthly_usd, topic=topic, thresholds=thresholds)
        raise_if_any(self, scp_slot_problems(config, [a for b in self.team_budgets.values() for a in b.actions
                                                      if isinstance(a, ScpBudgetAction)]))
        self.cost_category = ce.CfnCostCategory(
            self, "TeamCostCategory", name=COST_CATEGORY_NAME, rule_version="CostCategoryExpression.v1",
            rules=team_cost_category_rules(config), default_value=COST_CATEGORY_DEFAULT)
        self.enforcer = BudgetEnforcer(
            self, "Enforcer", topic=topic, policy_json=enforcer_policy_json(config),
            resume_schedule=settings.resume_day_cron, pausable_teams=[t.name for t in config.teams if not t.critical],
            regions=config.organization.regions, code=enforcer_code, tag_key=TEAM)
        cdk.Annotations.of(self).add_info(
            "the budget enforcer pauses workloads in the workload accounts through the role "
            "aifinops-budget-enforcer-access: deploy the aifinops-budget-access-<account> stacks there")


def team_cost_category_rules(config: FinOpsConfig) -> str:
    """One rule per team: spend tagged team=<name> is the cost category value <name>."""
    return json.dumps([{"Value": t.name,
                        "Rule": {"Tags": {"Key": TEAM, "Values": [t.name], "MatchOptions": ["EQUALS"]}}}
                       for t in config.teams])


def scp_slot_problems(config: FinOpsConfig, actions: list[ScpBudgetAction]) -> list[PropProblem]:
    """Budget SCPs attach to accounts directly, next to the environment's guardrail SCPs: when every
    team's action has fired at once, each account must still be within `max_per_target` (`scp_slots`, the
    computation `aifinops validate` runs too; the actions built here must target what it counted)."""
    counted = budget_scp_targets(config)
    built = Counter(target for action in actions for target in action.summary["targets"])
    if built != counted:  # pragma: no cover - pinned by tests/infra/test_team_budgets_stack.py
        raise AssertionError(f"budget SCP targets {dict(built)} differ from scp_slots' {dict(counted)}")
    return budget_scp_slot_problems(config, build_scps(config))
