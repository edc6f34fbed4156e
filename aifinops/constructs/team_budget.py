"""`TeamBudget`: a monthly AWS Budgets cost budget over one team's (or one project's) tagged spend, with
alerts, a forecast warning, the notification that triggers the budget enforcer, and optional budget
actions that stop new AI spend."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import aws_cdk as cdk
from aws_cdk import aws_budgets as budgets
from aws_cdk import aws_sns as sns
from constructs import Construct

from aifinops.constructs.budget_action import IamBudgetAction, ScpBudgetAction
from aifinops.constructs.errors import raise_if_any
from aifinops.constructs.team_budget_rules import (
    MAX_NOTIFICATIONS,
    BudgetStop,
    BudgetThresholds,
    Notification,
    budget_name,
    budget_problems,
    org_budget_problems,
    plan_notifications,
    plan_org_notifications,
    stop_problems,
)
from aifinops.constructs.team_budget_rules import ORG_BUDGET_NAME as DEFAULT_ORG_BUDGET_NAME
from aifinops.policies.scp_slots import account_of
from aifinops.template_metadata import BUDGET as BUDGET_METADATA

__all__ = ["MAX_NOTIFICATIONS", "BudgetThresholds", "OrgAiBudget", "TeamBudget", "plan_notifications", "tag_budget"]
DEFAULT_THRESHOLDS = BudgetThresholds()


class TeamBudget(Construct):
    """A monthly COST budget named ``aifinops-<team>[-<project>]`` over the spend tagged
    ``<tag_key>=<team>`` (and ``<project_tag_key>=<project>``), with:

    - ACTUAL ``alert_percent``: e-mail to the owners and the SNS topic;
    - FORECASTED ``forecast_percent``: e-mail to the owners;
    - ACTUAL ``action_percent``: e-mail to the owners and the SNS topic, where the budget enforcer pauses
      the team's (or project's) workloads; with ``stop``, budget actions deny new AI spend
      (see `aifinops.constructs.budget_action`).

    Deploy it in the payer (management) account to see spend of every account; the tag keys must be
    activated cost allocation tags. AWS Budgets refreshes spend up to three times a day, so alerts and
    actions can trail real spend by hours. Changing the notifications through CloudFormation can
    replace the budget (its history starts again). Template metadata ``aifinops:budget`` records what
    the budget does, for ``aifinops report``.

    Example::

        import aws_cdk as cdk
        from aifinops.constructs import BudgetStop, BudgetTopic, TeamBudget

        app = cdk.App()
        stack = cdk.Stack(app, "Budgets", env=cdk.Environment(account="111111111111", region="us-east-1"))
        topic = BudgetTopic(stack, "Topic")
        TeamBudget(stack, "Search", team="search", owners=["search-leads@example.com"],
                   monthly_limit_usd=20000, topic=topic.topic,
                   stop=BudgetStop(roles=("arn:aws:iam::111111111111:role/search-ml",)))
        TeamBudget(stack, "Ranker", team="search", project="ranker", owners=["search-leads@example.com"],
                   monthly_limit_usd=5000, topic=topic.topic)
        app.synth()
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        team: str,
        owners: Sequence[str],
        monthly_limit_usd: float,
        topic: sns.ITopic,
        project: str | None = None,
        tag_key: str = "team",
        project_tag_key: str = "project",
        thresholds: BudgetThresholds = DEFAULT_THRESHOLDS,
        stop: BudgetStop | None = None,
        enforcer_pauses: bool | None = None,
    ) -> None:
        """
        :param team: the team; the value of ``tag_key`` the budget counts, and part of its name.
        :param owners: e-mail addresses notified, 1 to 10 (the Budgets limit per notification).
        :param monthly_limit_usd: the monthly limit in USD, above 0.
        :param topic: the SNS topic of the alert and action notifications (a `BudgetTopic`).
        :param project: a project of the team: the budget counts only spend also tagged
            ``<project_tag_key>=<project>``. Default: none, the whole team.
        :param tag_key: the team cost tag key. Default: ``team``.
        :param project_tag_key: the project cost tag key. Default: ``project``.
        :param thresholds: alert, forecast and action percentages. Default: 80 / 100 / 100.
        :param stop: budget actions at ``action_percent``. Default: none (notifications only).
        :param enforcer_pauses: for the report only: whether the budget enforcer subscribed to ``topic``
            pauses this budget's workloads (False: it only notifies, e.g. a critical team). Default: None,
            no enforcer is known.
        """
        super().__init__(scope, construct_id)
        self.name = budget_name(team, project)
        self.notifications = plan_notifications(owners, thresholds)
        problems = budget_problems(self.name, owners, monthly_limit_usd, thresholds, self.notifications)
        problems += stop_problems(stop, cdk.Stack.of(self).account)
        raise_if_any(self, problems)
        expression = _tag_expression(tag_key, [team])
        if project:
            expression = budgets.CfnBudget.ExpressionProperty(and_=[
                expression, _tag_expression(project_tag_key, [project])])
        self.budget = tag_budget(self, name=self.name, expression=expression, limit_usd=monthly_limit_usd,
                                 notifications=self.notifications, topic=topic)
        self.actions = _stop_actions(self, stop, budget_name=self.budget.ref, owners=owners,
                                     threshold=thresholds.action_percent, label=self.name)
        at_limit: dict[str, Any] = {
            "enforcer": "unknown" if enforcer_pauses is None else "pause" if enforcer_pauses else "notify-only",
            "actions": [a.summary for a in self.actions]}
        if not self.actions:
            at_limit["noActionReason"] = "project budget: budget actions are on the team's budget" \
                if project else "no budget_action configured"
        self.budget.add_metadata(BUDGET_METADATA, {
            "name": self.name, "scope": "project" if project else "team", "team": team, "project": project,
            "limitUsd": monthly_limit_usd, "filter": {tag_key: team, **({project_tag_key: project} if project else {})},
            "thresholds": {"alertPercent": thresholds.alert_percent, "forecastPercent": thresholds.forecast_percent,
                           "actionPercent": thresholds.action_percent},
            "recipients": list(owners), "notifications": [n.summary() for n in self.notifications],
            "atLimit": at_limit})


def tag_budget(scope: Construct, *, name: str, expression: budgets.CfnBudget.ExpressionProperty, limit_usd: float,
               notifications: Sequence[Notification], topic: sns.ITopic) -> budgets.CfnBudget:
    """The CfnBudget itself (COST, MONTHLY, USD)."""
    return budgets.CfnBudget(scope, "Budget", budget=budgets.CfnBudget.BudgetDataProperty(
        budget_name=name, budget_type="COST", time_unit="MONTHLY",
        budget_limit=budgets.CfnBudget.SpendProperty(amount=limit_usd, unit="USD"),
        filter_expression=expression),
        notifications_with_subscribers=[budgets.CfnBudget.NotificationWithSubscribersProperty(
            notification=budgets.CfnBudget.NotificationProperty(
                notification_type=n.kind, comparison_operator="GREATER_THAN", threshold=n.percent,
                threshold_type="PERCENTAGE"),
            subscribers=_subscribers(n, topic.topic_arn)) for n in notifications])


def _subscribers(n: Notification, topic_arn: str) -> list[budgets.CfnBudget.SubscriberProperty]:
    found = [budgets.CfnBudget.SubscriberProperty(subscription_type="EMAIL", address=e) for e in n.emails]
    if n.sns:
        found.append(budgets.CfnBudget.SubscriberProperty(subscription_type="SNS", address=topic_arn))
    return found


def _tag_expression(key: str, values: Sequence[str]) -> budgets.CfnBudget.ExpressionProperty:
    return budgets.CfnBudget.ExpressionProperty(tags=budgets.CfnBudget.TagValuesProperty(
        key=key, values=list(values), match_options=["EQUALS"]))


def _stop_actions(scope: Construct, stop: BudgetStop | None, *, budget_name: str, owners: Sequence[str],
                  threshold: float, label: str) -> list[IamBudgetAction | ScpBudgetAction]:
    if stop is None:
        return []
    here = cdk.Stack.of(scope).account
    local = [r for r in stop.roles if account_of(r) == here]
    remote = [r for r in stop.roles if account_of(r) != here and account_of(r) not in stop.accounts]
    common: dict[str, Any] = {"budget_name": budget_name, "threshold_percent": threshold,
                              "approval": stop.approval, "owners": owners}
    actions: list[IamBudgetAction | ScpBudgetAction] = []
    if local:
        actions.append(IamBudgetAction(scope, "StopRoles", policy_name=f"{label}-budget-stop", role_arns=local,
                                       **common))
    if remote:
        accounts = sorted({account_of(r) for r in remote})
        actions.append(ScpBudgetAction(scope, "StopRolesScp", policy_name=f"{label}-budget-stop-roles",
                                       accounts=accounts, principals=remote, **common))
    if stop.accounts:
        actions.append(ScpBudgetAction(scope, "StopAccountsScp", policy_name=f"{label}-budget-stop-accounts",
                                       accounts=list(stop.accounts), exempt=stop.exempt, **common))
    return actions


class OrgAiBudget(Construct):
    """One monthly COST budget over the spend of every team: resources whose ``tag_key`` is any of
    ``teams`` (the tag policy allows no other value). Notifications only: every notification goes to the
    SNS topic (subscribe finance there) and e-mails ``owners`` (at most 10; none is fine).

    Example::

        import aws_cdk as cdk
        from aifinops.constructs import BudgetTopic, OrgAiBudget

        app = cdk.App()
        stack = cdk.Stack(app, "Budgets", env=cdk.Environment(account="111111111111", region="us-east-1"))
        OrgAiBudget(stack, "AiTotal", teams=["search", "vision"], owners=["finops@example.com"],
                    monthly_limit_usd=150000, topic=BudgetTopic(stack, "Topic").topic)
        app.synth()
    """

    def __init__(self, scope: Construct, construct_id: str, *, teams: Sequence[str], owners: Sequence[str],
                 monthly_limit_usd: float, topic: sns.ITopic, tag_key: str = "team",
                 thresholds: BudgetThresholds = DEFAULT_THRESHOLDS, name: str = DEFAULT_ORG_BUDGET_NAME) -> None:
        """
        :param teams: the team tag values counted, 1 or more.
        :param owners: e-mail addresses notified, at most 10. Every notification also goes to ``topic``.
        :param monthly_limit_usd: the monthly limit in USD, above 0.
        :param topic: the SNS topic (a `BudgetTopic`).
        :param tag_key: the team cost tag key. Default: ``team``.
        :param thresholds: alert, forecast and action percentages. Default: 80 / 100 / 100.
        :param name: the budget name. Default: ``aifinops-ai-total``.
        """
        super().__init__(scope, construct_id)
        self.name = name
        self.notifications = plan_org_notifications(owners, thresholds)
        raise_if_any(self, org_budget_problems(name, teams, owners, monthly_limit_usd, thresholds,
                                               self.notifications))
        self.budget = tag_budget(self, name=name, expression=_tag_expression(tag_key, teams),
                                 limit_usd=monthly_limit_usd, notifications=self.notifications, topic=topic)
        self.budget.add_metadata(BUDGET_METADATA, {
            "name": name, "scope": "organization", "team": None, "project": None, "limitUsd": monthly_limit_usd,
            "filter": {tag_key: list(teams)},
            "thresholds": {"alertPercent": thresholds.alert_percent, "forecastPercent": thresholds.forecast_percent,
                           "actionPercent": thresholds.action_percent},
            "recipients": list(owners), "notifications": [n.summary() for n in self.notifications],
            "atLimit": {"enforcer": "notify-only", "actions": [],
                        "noActionReason": "organization budget: notifications only"}})
