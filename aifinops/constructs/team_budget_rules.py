"""Prop rules of `TeamBudget` and `OrgAiBudget` (thresholds, notifications, budget stop): each broken rule is
one `PropProblem` with a stable code. No aws_cdk import: `aifinops validate` runs these rules on the budgets
of finops.yaml."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from aifinops.config import FinOpsConfig
from aifinops.constructs.errors import PropProblem
from aifinops.constructs.tokens import is_token
from aifinops.naming import BUDGET_PREFIX
from aifinops.policies.scp_slots import account_of, slot_problems
from aifinops.policies.scp_types import ScpDocument

Approval = Literal["automatic", "manual"]
# AWS Budgets quotas: the API allows 10 notifications a budget but CloudFormation documents 5, so stay at 5;
# each notification takes at most 10 e-mail and 1 SNS subscribers.
MAX_NOTIFICATIONS = 5
MAX_EMAIL_SUBSCRIBERS = 10
MAX_SNS_SUBSCRIBERS = 1
MAX_NAME_LENGTH = 100  # BudgetName: 1-100 characters, no ':' or '\', and not the substring '/action/'
ORG_BUDGET_NAME = f"{BUDGET_PREFIX}ai-total"


def budget_name(team: str, project: str | None = None) -> str:
    """`aifinops-<team>[-<project>]`: the name of a team's or a project's budget."""
    return f"{BUDGET_PREFIX}{team}" + (f"-{project}" if project else "")


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
class Notification:
    kind: str  # ACTUAL | FORECASTED
    percent: float
    emails: list[str]
    sns: bool

    def summary(self) -> dict[str, Any]:
        return {"type": self.kind, "percent": self.percent, "emails": self.emails, "sns": self.sns}


def plan_notifications(owners: Sequence[str], t: BudgetThresholds) -> list[Notification]:
    """The budget's notifications; two at the same type and threshold become one with both audiences
    (Budgets refuses duplicates)."""
    wanted = [("ACTUAL", t.alert_percent, True), ("FORECASTED", t.forecast_percent, False),
              ("ACTUAL", t.action_percent, True), *(("ACTUAL", p, False) for p in t.extra_alert_percents)]
    merged: dict[tuple[str, float], Notification] = {}
    for kind, percent, to_topic in wanted:
        found = merged.setdefault((kind, percent), Notification(kind, percent, list(owners), False))
        found.sns = found.sns or to_topic
    return sorted(merged.values(), key=lambda n: (n.kind, n.percent))


def plan_org_notifications(owners: Sequence[str], t: BudgetThresholds) -> list[Notification]:
    """The org-wide budget's notifications: every one also goes to the topic (finance subscribes there)."""
    found = plan_notifications(owners, t)
    for n in found:
        n.sns = True
    return found


@dataclass(frozen=True)
class BudgetStop:
    """What a team budget does at its action threshold besides notifying.

    :param roles: IAM role ARNs the team works with; each is denied new AI spend.
    :param accounts: accounts the team owns outright; denied new AI spend for every principal but `exempt`.
    :param approval: ``automatic`` (applied when spend reaches the threshold) or ``manual`` (waits for
        someone to approve it in the Budgets console). Default: automatic.
    :param exempt: principal ARN patterns the account-wide SCP spares (break-glass). Default: none.
    :param management_account: the budget's stack deploys in the organization's management account, so
        service control policies can reach roles and accounts elsewhere. Default: False, and then a role
        of another account (or any `accounts`) is a prop error, because nothing could reach it.

    Example::

        from aifinops.constructs import BudgetStop

        # in the management account: an IAM action for its own roles, SCP actions for the rest
        stop = BudgetStop(roles=("arn:aws:iam::222222222222:role/search-ml",), approval="manual",
                          management_account=True)
        assert stop.approval == "manual"
    """

    roles: tuple[str, ...] = ()
    accounts: tuple[str, ...] = ()
    approval: Approval = "automatic"
    exempt: tuple[str, ...] = ()
    management_account: bool = False


def budget_problems(name: str, owners: Sequence[str], limit: float, t: BudgetThresholds,
                    notifications: Sequence[Notification], *, require_owners: bool = True) -> list[PropProblem]:
    problems = []
    if any(c in name for c in ":\\") or "/action/" in name or not 0 < len(name) <= MAX_NAME_LENGTH:
        problems.append(PropProblem("AIF_BUDGET_NAME", "team/project", name,
                                    f"a budget name of 1-{MAX_NAME_LENGTH} characters without ':', '\\' "
                                    "or '/action/'"))
    # NaN never reaches jsii (it cannot cross it); a numeric token is a negative number that is unresolved.
    if not math.isfinite(limit) or (limit <= 0 and not is_token(limit)):
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


def stop_problems(stop: BudgetStop | None, here: str) -> list[PropProblem]:
    """`here`: the account of the budget's stack (a token when the stack has none)."""
    if stop is None:
        return []
    problems = []
    if not stop.roles and not stop.accounts:
        problems.append(PropProblem("AIF_BUDGET_STOP_EMPTY", "stop", stop, "roles or accounts to stop"))
    if stop.approval not in ("automatic", "manual"):
        problems.append(PropProblem("AIF_BUDGET_STOP_APPROVAL", "stop.approval", stop.approval, "automatic, manual"))
    for index, arn in enumerate(stop.roles):
        if not arn.startswith("arn:") or ":role/" not in arn or not account_of(arn):
            problems.append(PropProblem("AIF_BUDGET_STOP_ROLE", "stop.roles", arn, "IAM role ARNs", index))
        elif is_token(here) and not stop.management_account:
            problems.append(PropProblem("AIF_BUDGET_STOP_ACCOUNT", "stop.roles", arn,
                                        "a stack with an explicit account (env=...), to tell local roles apart", index))
        elif account_of(arn) != here and not stop.management_account:
            problems.append(PropProblem("AIF_BUDGET_STOP_ACCOUNT", "stop.roles", arn,
                                        f"roles of account {here}: IAM attaches policies only within an account; "
                                        "for other accounts deploy in the management account "
                                        "(management_account=True: a service control policy reaches them)", index))
    if stop.accounts and not stop.management_account:
        problems.append(PropProblem("AIF_BUDGET_STOP_ACCOUNT", "stop.accounts", list(stop.accounts),
                                    "only with management_account=True (service control policies)"))
    return problems


def org_budget_problems(name: str, teams: Sequence[str], owners: Sequence[str], limit: float, t: BudgetThresholds,
                        notifications: Sequence[Notification]) -> list[PropProblem]:
    problems = budget_problems(name, owners, limit, t, notifications, require_owners=False)
    if not teams:
        problems.append(PropProblem("AIF_BUDGET_TEAMS", "teams", list(teams), "1 or more team tag values"))
    return problems


def scp_slot_problems(config: FinOpsConfig, scps: Mapping[str, Sequence[ScpDocument]]) -> list[PropProblem]:
    """`TeamBudgetsStack`'s rule: when every team's budget action has fired, each account still within
    `max_per_target` (`scp_slots`, the computation `aifinops validate` runs too)."""
    return [PropProblem("AIF_BUDGET_SCP_SLOTS", "teams.budget_action", account, message)
            for account, message in slot_problems(config, scps)]
