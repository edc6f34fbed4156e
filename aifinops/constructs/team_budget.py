"""`TeamBudget`: a monthly AWS Budgets cost budget over one team's (or one project's) tagged spend, with
alerts, a forecast warning, the notification that triggers the budget enforcer, and optional budget
actions that stop new AI spend."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import aws_cdk as cdk
from aws_cdk import aws_budgets as budgets
from aws_cdk import aws_sns as sns
from constructs import Construct

from aifinops.constructs.budget_action import BudgetStop, IamBudgetAction, ScpBudgetAction
from aifinops.constructs.errors import PropProblem, raise_if_any
from aifinops.naming import BUDGET_PREFIX
from aifinops.policies.scp_slots import account_of
from aifinops.template_metadata import BUDGET as BUDGET_METADATA

# AWS Budgets quotas: the API allows 10 notifications a budget but CloudFormation documents 5, so stay at 5;
# each notification takes at most 10 e-mail and 1 SNS subscribers.
MAX_NOTIFICATIONS = 5
MAX_EMAIL_SUBSCRIBERS = 10
MAX_SNS_SUBSCRIBERS = 1
MAX_NAME_LENGTH = 100  # BudgetName: 1-100 characters, no ':' or '\', and not the substring '/action/'


@dataclass(frozen=True)
class BudgetThresholds:
    """Percentages of the monthly limit.

    :param alert_percent: ACTUAL spend: e-mail the owners and publish to the topic. Default: 80.
    :param forecast_percent: FORECASTED spend: e-mail the owners. Default: 100.
    :param action_percent: ACTUAL spend: e-mail the owners, publish to the topic (the budget enforcer
        pauses workloads) and run the budget actions. Default: 100.
    :param extra_alert_percents: more ACTUAL alerts to the owners (e.g. 50). Default: none.

    A budget holds at most 5 notifications; two at the same type and percentage become one.

    Example::

        from aifinops.constructs import BudgetThresholds

        thresholds = BudgetThresholds(alert_percent=80, forecast_percent=100, action_percent=100,
                                      extra_alert_percents=(50,))  # 4 notifications
    """

    alert_percent: float = 80
    forecast_percent: float = 100
    action_percent: float = 100
    extra_alert_percents: tuple[float, ...] = field(default=())


@dataclass
class _Notification:
    kind: str  # ACTUAL | FORECASTED
    percent: float
    emails: list[str]
    sns: bool

    def subscribers(self, topic_arn: str) -> list[budgets.CfnBudget.SubscriberProperty]:
        found = [budgets.CfnBudget.SubscriberProperty(subscription_type="EMAIL", address=e) for e in self.emails]
        if self.sns:
            found.append(budgets.CfnBudget.SubscriberProperty(subscription_type="SNS", address=topic_arn))
        return found

    def summary(self) -> dict[str, Any]:
        return {"type": self.kind, "percent": self.percent, "emails": self.emails, "sns": self.sns}


def plan_notifications(owners: Sequence[str], t: BudgetThresholds) -> list[_Notification]:
    """The budget's notifications; two at the same type and threshold become one with both audiences
    (Budgets refuses duplicates)."""
    wanted = [("ACTUAL", t.alert_percent, True), ("FORECASTED", t.forecast_percent, False),
              ("ACTUAL", t.action_percent, True), *(("ACTUAL", p, False) for p in t.extra_alert_percents)]
    merged: dict[tuple[str, float], _Notification] = {}
    for kind, percent, to_topic in wanted:
        found = merged.setdefault((kind, percent), _Notification(kind, percent, list(owners), False))
        found.sns = found.sns or to_topic
    return sorted(merged.values(), key=lambda n: (n.kind, n.percent))


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
        thresholds: BudgetThresholds = BudgetThresholds(),
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
        self.name = f"{BUDGET_PREFIX}{team}" + (f"-{project}" if project else "")
        self.notifications = plan_notifications(owners, thresholds)
        problems = budget_problems(self.name, owners, monthly_limit_usd, thresholds, self.notifications)
        problems += _stop_problems(self, stop)
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
               notifications: Sequence[_Notification], topic: sns.ITopic) -> budgets.CfnBudget:
    """The CfnBudget itself (COST, MONTHLY, USD)."""
    return budgets.CfnBudget(scope, "Budget", budget=budgets.CfnBudget.BudgetDataProperty(
        budget_name=name, budget_type="COST", time_unit="MONTHLY",
        budget_limit=budgets.CfnBudget.SpendProperty(amount=limit_usd, unit="USD"),
        filter_expression=expression),
        notifications_with_subscribers=[budgets.CfnBudget.NotificationWithSubscribersProperty(
            notification=budgets.CfnBudget.NotificationProperty(
                notification_type=n.kind, comparison_operator="GREATER_THAN", threshold=n.percent,
                threshold_type="PERCENTAGE"),
            subscribers=n.subscribers(topic.topic_arn)) for n in notifications])


def _tag_expression(key: str, values: Sequence[str]) -> budgets.CfnBudget.ExpressionProperty:
    return budgets.CfnBudget.ExpressionProperty(tags=budgets.CfnBudget.TagValuesProperty(
        key=key, values=list(values), match_options=["EQUALS"]))


def budget_problems(name: str, owners: Sequence[str], limit: float, t: BudgetThresholds,
                    notifications: Sequence[_Notification], *, require_owners: bool = True) -> list[PropProblem]:
    problems = []
    if any(c in name for c in ":\\") or "/action/" in name or not 0 < len(name) <= MAX_NAME_LENGTH:
        problems.append(PropProblem("AIF_BUDGET_NAME", "team/project", name,
                                    f"a budget name of 1-{MAX_NAME_LENGTH} characters without ':', '\\' "
                                    "or '/action/'"))
    # NaN never reaches jsii (it cannot cross it); a numeric token is a negative number that is unresolved.
    if not math.isfinite(limit) or (limit <= 0 and not cdk.Token.is_unresolved(limit)):
        problems.append(PropProblem("AIF_BUDGET_LIMIT", "monthly_limit_usd", limit, "a number above 0"))
    for prop, value in (("thresholds.alert_percent", t.alert_percent),
                        ("thresholds.forecast_percent", t.forecast_percent),
                        ("thresholds.action_percent", t.action_percent),
                        *(("thresholds.extra_alert_percents", p) for p in t.extra_alert_percents)):
        if not (math.isfinite(value) and value > 0):
            problems.append(PropProblem("AIF_BUDGET_THRESHOLD", prop, value, "a percentage above 0"))
    if (require_owners and not owners) or len(set(owners)) != len(owners):
        allowed = "1 or more distinct e-mail addresses" if require_owners else "distinct e-mail addresses"
        problems.append(PropProblem("AIF_BUDGET_OWNERS", "owners", list(owners), allowed))
    if len(notifications) > MAX_NOTIFICATIONS:
        problems.append(PropProblem("AIF_BUDGET_NOTIFICATIONS", "thresholds",
                                    [f"{n.kind} {n.percent:g}%" for n in notifications],
                                    f"at most {MAX_NOTIFICATIONS} distinct notifications a budget"))
    for n in notifications:
        if len(n.emails) > MAX_EMAIL_SUBSCRIBERS or int(n.sns) > MAX_SNS_SUBSCRIBERS:
            problems.append(PropProblem("AIF_BUDGET_SUBSCRIBERS", "owners", len(n.emails),
                                        f"at most {MAX_EMAIL_SUBSCRIBERS} e-mail and {MAX_SNS_SUBSCRIBERS} SNS "
                                        f"subscribers a notification ({n.kind} {n.percent:g}%)"))
            break
    return problems


def _stop_problems(scope: Construct, stop: BudgetStop | None) -> list[PropProblem]:
    if stop is None:
        return []
    problems = []
    if not stop.roles and not stop.accounts:
        problems.append(PropProblem("AIF_BUDGET_STOP_EMPTY", "stop", stop, "roles or accounts to stop"))
    if stop.approval not in ("automatic", "manual"):
        problems.append(PropProblem("AIF_BUDGET_STOP_APPROVAL", "stop.approval", stop.approval, "automatic, manual"))
    here = cdk.Stack.of(scope).account
    for arn in stop.roles:
        if not arn.startswith("arn:") or ":role/" not in arn or not account_of(arn):
            problems.append(PropProblem("AIF_BUDGET_STOP_ROLE", "stop.roles", arn, "IAM role ARNs"))
        elif cdk.Token.is_unresolved(here) and not stop.management_account:
            problems.append(PropProblem("AIF_BUDGET_STOP_ACCOUNT", "stop.roles", arn,
                                        "a stack with an explicit account (env=...), to tell local roles apart"))
        elif account_of(arn) != here and not stop.management_account:
            problems.append(PropProblem("AIF_BUDGET_STOP_ACCOUNT", "stop.roles", arn,
                                        f"roles of account {here}: IAM attaches policies only within an account; "
                                        "for other accounts deploy in the management account "
                                        "(management_account=True: a service control policy reaches them)"))
    if stop.accounts and not stop.management_account:
        problems.append(PropProblem("AIF_BUDGET_STOP_ACCOUNT", "stop.accounts", list(stop.accounts),
                                    "only with management_account=True (service control policies)"))
    return problems


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
                 thresholds: BudgetThresholds = BudgetThresholds(), name: str = f"{BUDGET_PREFIX}ai-total") -> None:
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
        self.notifications = plan_notifications(owners, thresholds)
        for n in self.notifications:
            n.sns = True
        problems = budget_problems(name, owners, monthly_limit_usd, thresholds, self.notifications,
                                   require_owners=False)
        if not teams:
            problems.append(PropProblem("AIF_BUDGET_TEAMS", "teams", list(teams), "1 or more team tag values"))
        raise_if_any(self, problems)
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
