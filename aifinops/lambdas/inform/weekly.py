"""A team's weekly AI spend report: the engine of the weekly report function and of `aifinops cost report`.

It reads the team's daily unblended cost for the last `weeks` complete weeks (Monday to Sunday, UTC; the current
week left out, its days are not final) grouped by the project and model cost tags, with a filter on the team tag
(one GetCostAndUsage per page); the anomalies of the team's Cost Anomaly Detection monitor in those weeks (one
GetAnomalyMonitors and one GetAnomalies per page); the team's budget (one Budgets DescribeBudget); and what the GPU
guard stopped of the team's resources last week (the guard's per-team metrics, read by `guard_reader`). It gives
the spend per week, week over week, by project and by model, and the top movers (project x model with the
largest change). Spend without a team tag is not attributable and is not here (the collector's untagged remainder
shows it).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from aifinops_runtime.clients import API_ERRORS, describe_error

from .ce import METRIC, CostExplorer, CostExplorerError, RequestBoundReached, amount, tag_value
from .policy import InformPolicy

TOP_MOVERS = 5
MAX_ANOMALIES = 10

GuardReader = Callable[[str, datetime, datetime], dict[str, float]]  # team, start, end -> stopped, hourlyUsd


@dataclass
class TeamWeeklyReport:
    team: str
    weeks: list[tuple[date, date]]  # (Monday, Sunday) oldest first
    totals: list[float]  # per week, USD
    by_project: dict[str, list[float]] = field(default_factory=dict)
    by_model: dict[str, list[float]] = field(default_factory=dict)
    movers: list[tuple[str, str, float, float]] = field(default_factory=list)  # project, model, before, last
    budget: dict[str, Any] | None = None  # name, limit, actual and forecast month to date
    anomalies: list[dict[str, Any]] | None = None  # None: not read (see notes)
    guard: dict[str, Any] | None = None  # resourcesStopped, hourlyUsdStopped last week; None: not read
    notes: list[str] = field(default_factory=list)  # what could not be read, and why
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
            "budget": self.budget, "anomalies": self.anomalies, "guard": self.guard, "notes": self.notes,
            "costExplorerRequests": self.requests,
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
        if self.anomalies is not None:
            lines.append(f"Cost anomalies in these weeks: {len(self.anomalies) or 'none'}")
            lines += [f"  {a['start']}: impact {a['impactUsd']:,.2f} USD ({a['cause']})" for a in self.anomalies]
        if self.guard is not None:
            lines.append(f"GPU guard last week: {self.guard['resourcesStopped']:g} resources stopped, "
                         f"{self.guard['hourlyUsdStopped']:,.2f} USD an hour of running cost stopped")
        if self.budget:
            b = self.budget
            lines.append(f"Budget {b['name']}: {b['actualUsd']:,.2f} of {b['limitUsd']:,.2f} this month"
                         + (f", forecast {b['forecastUsd']:,.2f}" if b.get("forecastUsd") is not None else ""))
        lines += [f"Note: {n}" for n in self.notes]
        return "\n".join(lines) + "\n"


def full_weeks(today: date, weeks: int) -> list[tuple[date, date]]:
    """The last `weeks` complete Monday-Sunday weeks before `today`, oldest first."""
    this_monday = today - timedelta(days=today.weekday())
    return [(this_monday - timedelta(weeks=n), this_monday - timedelta(weeks=n) + timedelta(days=6))
            for n in range(weeks, 0, -1)]


def team_weekly_report(ce: CostExplorer, policy: InformPolicy, team: str, *, today: date, weeks: int | None = None,
                       budgets: Any = None, guard_reader: GuardReader | None = None) -> TeamWeeklyReport:
    """The report of `team`. Spend comes first: a refused GetCostAndUsage raises `CostExplorerError`; anomalies,
    the budget and the guard are extras, and a failure there is a note in the report."""
    member = policy.team(team)
    weeks = policy.report_weeks if weeks is None else weeks
    if not 2 <= weeks <= 26:
        raise ValueError(f"weeks must be 2 to 26, got {weeks}")
    periods = full_weeks(today, weeks)
    report = TeamWeeklyReport(team, periods, [0.0] * weeks)
    cells: dict[tuple[str, str], list[float]] = defaultdict(lambda: [0.0] * weeks)
    for day in ce.cost_and_usage(
            TimePeriod={"Start": periods[0][0].isoformat(), "End": (periods[-1][1] + timedelta(days=1)).isoformat()},
            Granularity="DAILY", Metrics=[METRIC],
            Filter={"Tags": {"Key": policy.team_tag, "Values": [team], "MatchOptions": ["EQUALS"]}},
            GroupBy=[{"Type": "TAG", "Key": policy.project_tag}, {"Type": "TAG", "Key": policy.model_tag}]):
        index = _week_of(date.fromisoformat(day["TimePeriod"]["Start"]), periods)
        if index is None:
            continue
        for group in day.get("Groups", []):
            project, model = (tag_value(k) for k in [*group.get("Keys", []), "", ""][:2])
            cells[(project, model)][index] += amount(group)
    for (project, model), values in cells.items():
        for i, usd in enumerate(values):
            report.totals[i] += usd
            report.by_project.setdefault(project, [0.0] * weeks)[i] += usd
            report.by_model.setdefault(model, [0.0] * weeks)[i] += usd
    changes = sorted(((p, m, v[-2], v[-1]) for (p, m), v in cells.items() if v[-1] != v[-2]),
                     key=lambda row: (-abs(row[3] - row[2]), row[0], row[1]))
    report.movers = changes[:TOP_MOVERS]
    try:
        report.anomalies = _anomalies(ce, member.anomaly_monitor, periods[0][0], periods[-1][1])
    except (CostExplorerError, RequestBoundReached) as exc:
        report.notes.append(f"anomalies not read: {exc}")
    if budgets is not None:
        try:
            report.budget = _budget(budgets, policy.account, member.budget_name)
        except API_ERRORS as exc:
            code, message = describe_error(exc)
            report.notes.append(f"budget {member.budget_name} not read: {code}: {message}")
    if guard_reader is not None:
        start = datetime.combine(periods[-1][0], time(), UTC)
        try:
            report.guard = guard_reader(team, start, start + timedelta(days=7))
        except API_ERRORS as exc:
            code, message = describe_error(exc)
            report.notes.append(f"GPU guard metrics not read: {code}: {message}")
    report.requests = ce.requests
    return report


def _week_of(day: date, periods: list[tuple[date, date]]) -> int | None:
    return next((i for i, (start, end) in enumerate(periods) if start <= day <= end), None)


def _anomalies(ce: CostExplorer, monitor_name: str, start: date, end: date) -> list[dict[str, Any]]:
    arn = next((m["MonitorArn"] for m in ce.anomaly_monitors() if m.get("MonitorName") == monitor_name), None)
    if arn is None:
        raise CostExplorerError("GetAnomalyMonitors", "NotFound", f"no monitor named {monitor_name}")
    found: list[dict[str, Any]] = []
    for anomaly in ce.anomalies(MonitorArn=arn, DateInterval={"StartDate": start.isoformat(),
                                                              "EndDate": end.isoformat()}):
        causes = [", ".join(v for v in (c.get("Service"), c.get("Region"), c.get("UsageType")) if v)
                  for c in anomaly.get("RootCauses", [])]
        found.append({"start": str(anomaly.get("AnomalyStartDate", ""))[:10],
                      "impactUsd": round(float(anomaly.get("Impact", {}).get("TotalImpact", 0) or 0), 2),
                      "cause": "; ".join(c for c in causes if c) or "no root cause given"})
    found.sort(key=lambda a: (-float(a["impactUsd"]), str(a["start"])))
    return found[:MAX_ANOMALIES]


def _budget(budgets: Any, account: str, name: str) -> dict[str, Any] | None:
    try:
        found = budgets.describe_budget(AccountId=account, BudgetName=name)["Budget"]
    except API_ERRORS as exc:  # a missing budget is no budget, not a failure
        if "NotFound" in describe_error(exc)[0]:
            return None
        raise
    spend = found.get("CalculatedSpend", {})
    forecast = spend.get("ForecastedSpend", {}).get("Amount")
    return {"name": name, "limitUsd": float(found["BudgetLimit"]["Amount"]),
            "actualUsd": float(spend.get("ActualSpend", {}).get("Amount", 0)),
            "forecastUsd": None if forecast is None else float(forecast)}


def cloudwatch_guard_reader(cloudwatch_by_region: dict[str, Any], accounts: tuple[str, ...], home_account: str,
                            namespace: str = "aifinops/GpuGuard") -> GuardReader:
    """The guard's per-team metrics summed over the accounts and regions: one GetMetricData (up to 500 queries) a
    region. Accounts other than the home one are read through CloudWatch cross-account observability
    (`AccountId`): the management account must be a monitoring account those accounts share with."""

    def read(team: str, start: datetime, end: datetime) -> dict[str, float]:
        totals = {"resourcesStopped": 0.0, "hourlyUsdStopped": 0.0}
        names = {"ResourcesStopped": "resourcesStopped", "HourlyDollarsSaved": "hourlyUsdStopped"}
        for _, cloudwatch in sorted(cloudwatch_by_region.items()):
            queries: list[dict[str, Any]] = []
            for i, account in enumerate(accounts or (home_account,)):
                for j, metric in enumerate(names):
                    query: dict[str, Any] = {"Id": f"q{i}_{j}", "Label": metric, "ReturnData": True, "MetricStat": {
                        "Metric": {"Namespace": namespace, "MetricName": metric,
                                   "Dimensions": [{"Name": "Team", "Value": team}]},
                        "Period": int((end - start).total_seconds()), "Stat": "Sum"}}
                    if account != home_account:
                        query["AccountId"] = account
                    queries.append(query)
            for chunk in range(0, len(queries), 500):
                request: dict[str, Any] = {"MetricDataQueries": queries[chunk:chunk + 500], "StartTime": start,
                                           "EndTime": end}
                while True:
                    page = cloudwatch.get_metric_data(**request)
                    for result in page.get("MetricDataResults", []):
                        metric = next(q for q in queries if q["Id"] == result["Id"])["Label"]
                        totals[names[metric]] += sum(result.get("Values", []))
                    if not page.get("NextToken"):
                        break
                    request["NextToken"] = page["NextToken"]
        return {k: round(v, 2) for k, v in totals.items()}

    return read
