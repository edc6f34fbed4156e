"""A team's weekly AI spend from Cost Explorer: the engine of `aifinops cost report` (issue 16, first part).

One report reads the team's daily unblended cost for the last `weeks` full weeks (Monday to Sunday, UTC, the
current week left out: its days are not final) grouped by the `project` and `model` cost tags, with a filter on
the `team` tag: one GetCostAndUsage request per page of results (Cost Explorer bills each request; a team's
weeks x projects x models fit one page unless they run to thousands of rows), and, when the team has a budget,
one DescribeBudget. It gives the spend per week, week over week, by project and by model for the last week, and
the top movers (project x model with the largest change). Spend without a `team` tag cannot be attributed and
is not here (`aifinops report` and the collector of issue 16 show the untagged remainder).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from aifinops.config import MODEL, PROJECT, TEAM, FinOpsConfig
from aifinops.naming import BUDGET_PREFIX

METRIC = "UnblendedCost"
TOP_MOVERS = 5


class CostReportError(Exception):
    """Cost Explorer or Budgets refused or could not be reached: the message says which and why."""


@dataclass
class TeamWeeklyReport:
    team: str
    weeks: list[tuple[date, date]]  # (Monday, Sunday) oldest first
    totals: list[float]  # per week, USD
    by_project: dict[str, list[float]] = field(default_factory=dict)
    by_model: dict[str, list[float]] = field(default_factory=dict)
    movers: list[tuple[str, str, float, float]] = field(default_factory=list)  # project, model, before, last
    budget: dict[str, Any] | None = None  # name, limit, actual and forecast month to date
    requests: int = 0  # Cost Explorer requests this report made (each is billed)

    @property
    def week_over_week(self) -> float | None:
        if len(self.totals) < 2 or self.totals[-2] == 0:
            return None
        return (self.totals[-1] - self.totals[-2]) / self.totals[-2]

    def to_json(self) -> dict[str, Any]:
        return {
            "team": self.team, "metric": METRIC,
            "weeks": [{"start": s.isoformat(), "end": e.isoformat(), "usd": round(t, 2)}
                      for (s, e), t in zip(self.weeks, self.totals, strict=True)],
            "weekOverWeek": None if self.week_over_week is None else round(self.week_over_week, 4),
            "byProject": {k: [round(v, 2) for v in vs] for k, vs in sorted(self.by_project.items())},
            "byModel": {k: [round(v, 2) for v in vs] for k, vs in sorted(self.by_model.items())},
            "topMovers": [{"project": p, "model": m, "previousUsd": round(b, 2), "lastUsd": round(a, 2),
                           "changeUsd": round(a - b, 2)} for p, m, b, a in self.movers],
            "budget": self.budget, "costExplorerRequests": self.requests,
        }

    def to_text(self) -> str:
        lines = [f"AI spend of team {self.team}, week by week ({METRIC}, USD, Monday-Sunday UTC)"]
        lines += [f"  {s.isoformat()} .. {e.isoformat()}: {t:>12,.2f}" for (s, e), t in zip(
            self.weeks, self.totals, strict=True)]
        wow = self.week_over_week
        lines.append("  week over week: " + ("n/a (no spend the week before)" if wow is None else f"{wow:+.1%}"))
        for title, table in (("by project", self.by_project), ("by model", self.by_model)):
            lines.append(f"Last week {title}:")
            lines += [f"  {name or '(untagged)'}: {values[-1]:,.2f} (week before {values[-2]:,.2f})"
                      if len(values) > 1 else f"  {name or '(untagged)'}: {values[-1]:,.2f}"
                      for name, values in sorted(table.items(), key=lambda kv: -kv[1][-1])]
        if self.movers:
            lines.append("Top movers (project / model):")
            lines += [f"  {p or '(untagged)'} / {m or '(untagged)'}: {b:,.2f} -> {a:,.2f} ({a - b:+,.2f})"
                      for p, m, b, a in self.movers]
        if self.budget:
            b = self.budget
            lines.append(f"Budget {b['name']}: {b['actualUsd']:,.2f} of {b['limitUsd']:,.2f} this month"
                         + (f", forecast {b['forecastUsd']:,.2f}" if b.get("forecastUsd") is not None else ""))
        return "\n".join(lines) + "\n"


def full_weeks(today: date, weeks: int) -> list[tuple[date, date]]:
    """The last `weeks` complete Monday-Sunday weeks before `today`, oldest first."""
    this_monday = today - timedelta(days=today.weekday())
    return [(this_monday - timedelta(weeks=n), this_monday - timedelta(weeks=n) + timedelta(days=6))
            for n in range(weeks, 0, -1)]


def team_weekly_report(ce: Any, config: FinOpsConfig, team: str, *, today: date, weeks: int = 4,
                       budgets: Any = None, account: str | None = None) -> TeamWeeklyReport:
    if team not in {t.name for t in config.teams}:
        raise ValueError(f"unknown team {team!r}; teams: {', '.join(sorted(t.name for t in config.teams))}")
    if not 2 <= weeks <= 26:
        raise ValueError(f"weeks must be 2 to 26, got {weeks}")
    periods = full_weeks(today, weeks)
    report = TeamWeeklyReport(team, periods, [0.0] * weeks)
    cells: dict[tuple[str, str], list[float]] = defaultdict(lambda: [0.0] * weeks)
    request: dict[str, Any] = {
        "TimePeriod": {"Start": periods[0][0].isoformat(), "End": (periods[-1][1] + timedelta(days=1)).isoformat()},
        "Granularity": "DAILY", "Metrics": [METRIC],
        "Filter": {"Tags": {"Key": TEAM, "Values": [team], "MatchOptions": ["EQUALS"]}},
        "GroupBy": [{"Type": "TAG", "Key": PROJECT}, {"Type": "TAG", "Key": MODEL}],
    }
    while True:
        response = _call("Cost Explorer GetCostAndUsage", ce.get_cost_and_usage, **request)
        report.requests += 1
        for day in response.get("ResultsByTime", []):
            index = _week_of(date.fromisoformat(day["TimePeriod"]["Start"]), periods)
            if index is None:
                continue
            for group in day.get("Groups", []):
                project, model = (_tag_value(k) for k in [*group.get("Keys", []), "", ""][:2])
                usd = float(group.get("Metrics", {}).get(METRIC, {}).get("Amount", 0) or 0)
                cells[(project, model)][index] += usd
        token = response.get("NextPageToken")
        if not token:
            break
        request["NextPageToken"] = token
    for (project, model), values in cells.items():
        for i, usd in enumerate(values):
            report.totals[i] += usd
            report.by_project.setdefault(project, [0.0] * weeks)[i] += usd
            report.by_model.setdefault(model, [0.0] * weeks)[i] += usd
    changes = sorted(((p, m, v[-2], v[-1]) for (p, m), v in cells.items() if v[-1] != v[-2]),
                     key=lambda row: -abs(row[3] - row[2]))
    report.movers = changes[:TOP_MOVERS]
    if budgets is not None and account:
        report.budget = _budget(budgets, account, f"{BUDGET_PREFIX}{team}")
    return report


def _week_of(day: date, periods: list[tuple[date, date]]) -> int | None:
    return next((i for i, (start, end) in enumerate(periods) if start <= day <= end), None)


def _tag_value(key: str) -> str:
    """Cost Explorer writes a tag group as `key$value` (`key$` for untagged)."""
    return key.split("$", 1)[1] if "$" in key else key


def _budget(budgets: Any, account: str, name: str) -> dict[str, Any] | None:
    try:
        found = budgets.describe_budget(AccountId=account, BudgetName=name)["Budget"]
    except Exception as exc:  # a missing budget is reported, never fatal to the spend report
        if "NotFound" in type(exc).__name__ or "NotFound" in str(exc):
            return None
        raise CostReportError(f"Budgets DescribeBudget {name}: {exc}") from exc
    spend = found.get("CalculatedSpend", {})
    forecast = spend.get("ForecastedSpend", {}).get("Amount")
    return {"name": name, "limitUsd": float(found["BudgetLimit"]["Amount"]),
            "actualUsd": float(spend.get("ActualSpend", {}).get("Amount", 0)),
            "forecastUsd": None if forecast is None else float(forecast)}


def _call(what: str, function: Any, **kwargs: Any) -> Any:
    from botocore.exceptions import BotoCoreError, ClientError, NoCredentialsError

    try:
        return function(**kwargs)
    except NoCredentialsError:
        raise CostReportError(f"{what}: no AWS credentials (set a profile or AWS_* variables for the payer "
                              "account, which Cost Explorer answers for the whole organisation)") from None
    except ClientError as exc:
        error = exc.response.get("Error", {})
        raise CostReportError(f"{what}: {error.get('Code', 'error')}: {error.get('Message', str(exc))} "
                              "(needs ce:GetCostAndUsage, in the payer account)") from None
    except BotoCoreError as exc:
        raise CostReportError(f"{what}: {exc}") from None
