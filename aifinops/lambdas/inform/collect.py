"""The daily spend collection: Cost Explorer -> the AiFinOps metrics (names in `metrics`).

Requests, in priority order (a run stops asking at the policy's bound, `max_cost_explorer_requests`, and reports
what it skipped), each GetCostAndUsage over the previous month and this month to date, MONTHLY:
  1. by team and project tag      -> spend per team (all) and per team x project
  2. by service and team tag      -> the untagged remainder of the AI services, per service
  3. by team and model tag        4. by team and environment tag
  5. DAILY, the last complete day, by team tag
  6. GetCostForecast of all AI spend (tagged teams or AI services), the rest of the month
  7. GetCostForecast per configured team
So a run makes 6 + teams requests, plus one per extra page of a query (a page holds thousands of groups).
Outcomes: one CloudWatch GetMetricData per outcome (not billed by Cost Explorer).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from aifinops_runtime.clients import API_ERRORS, describe_error

from . import metrics as m
from .ce import METRIC, CostExplorer, CostExplorerError, RequestBoundReached, amount, tag_value
from .policy import InformPolicy, OutcomePolicy

NOT_ENOUGH_HISTORY = "DataUnavailableException"  # a forecast needs some history; not an error of the run

Dimensions = tuple[tuple[str, str], ...]
OutcomeReader = Callable[[OutcomePolicy, datetime, datetime], float]  # outcome, start, end -> its sum


@dataclass(frozen=True)
class Point:
    metric: str
    dimensions: Dimensions
    value: float
    timestamp: datetime


@dataclass
class Collection:
    day: date  # the collection date (UTC); month to date ends the day before
    points: list[Point] = field(default_factory=list)
    errors: list[dict[str, str]] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    requests: int = 0
    bound_skips: int = 0  # queries not sent: the request bound was reached

    def add(self, metric: str, value: float, timestamp: datetime, **dimensions: str) -> None:
        clean = tuple((k, dimension_value(v)) for k, v in dimensions.items())
        self.points.append(Point(metric, clean, round(value, 6), timestamp))

    def value(self, metric: str, **dimensions: str) -> float | None:
        wanted = tuple((k, dimension_value(v)) for k, v in dimensions.items())
        return next((p.value for p in self.points if p.metric == metric and p.dimensions == wanted), None)

    def summary(self, bound: int, calls: int) -> dict[str, Any]:
        return {"day": self.day.isoformat(), "costExplorerRequests": self.requests, "requestBound": bound,
                "metricsPublished": len(self.points), "putMetricDataCalls": calls, "skipped": self.skipped,
                "errors": self.errors}


def dimension_value(value: str) -> str:
    """A tag value as CloudWatch accepts a dimension value (printable ASCII, not blank, at most 1,024 characters): one
    odd tag value must not make PutMetricData refuse the whole batch. Other characters are escaped (\\u00e9)."""
    text = "".join(c if " " <= c <= "~" else c.encode("unicode_escape").decode("ascii") for c in value).strip()
    return text[:1024] or m.UNTAGGED


def month_bounds(day: date) -> tuple[date, date, date]:
    """(the 1st of the previous month, the 1st of this month, the 1st of the next)."""
    this = day.replace(day=1)
    return (this - timedelta(days=1)).replace(day=1), this, (this + timedelta(days=32)).replace(day=1)


def collect(ce: CostExplorer, policy: InformPolicy, now: datetime,
            outcome_reader: OutcomeReader | None = None) -> Collection:
    today = now.astimezone(UTC).date()
    previous, this_month, next_month = month_bounds(today)
    result = Collection(today)
    stamp = now.astimezone(UTC)
    period = {"Start": previous.isoformat(), "End": today.isoformat()}
    team_tag = {"Type": "TAG", "Key": policy.team_tag}

    def monthly(*group_by: dict[str, str]) -> Iterable[dict[str, Any]]:
        return ce.cost_and_usage(TimePeriod=period, Granularity="MONTHLY", Metrics=[METRIC], GroupBy=list(group_by))

    mtd: dict[str, float] = defaultdict(float)
    before: dict[str, float] = defaultdict(float)
    untagged_mtd: dict[str, float] = defaultdict(float)
    untagged_before = 0.0
    ai_services: set[str] = set()

    def run(query: str, body: Callable[[], None]) -> None:
        try:
            body()
        except RequestBoundReached as exc:
            result.skipped.append(f"{query}: {exc}")
            result.bound_skips += 1
        except CostExplorerError as exc:
            if exc.code == NOT_ENOUGH_HISTORY:
                result.skipped.append(f"{query}: {exc}")
            else:
                result.errors.append({"query": query, "error": str(exc)})

    def by_tag(dimension: str, key: str) -> Callable[[], None]:
        def body() -> None:
            cells: dict[tuple[str, str], float] = defaultdict(float)
            for period_result in monthly(team_tag, {"Type": "TAG", "Key": key}):
                month = date.fromisoformat(period_result["TimePeriod"]["Start"])
                for group in period_result.get("Groups", []):
                    team, value = (tag_value(k) for k in [*group.get("Keys", []), "", ""][:2])
                    if not team:
                        continue  # no team: in the untagged remainder (AI services) or not AI spend at all
                    if month == this_month:
                        cells[(team, value or m.UNTAGGED)] += amount(group)
                    elif dimension == m.PROJECT and month == previous:
                        before[team] += amount(group)
            for (team, value), usd in sorted(cells.items()):
                result.add(m.SPEND_MTD, usd, stamp, **{m.TEAM: team, dimension: value})
                if dimension == m.PROJECT:
                    mtd[team] += usd
        return body

    def by_service() -> None:
        nonlocal untagged_before
        for period_result in monthly({"Type": "DIMENSION", "Key": "SERVICE"}, team_tag):
            month = date.fromisoformat(period_result["TimePeriod"]["Start"])
            for group in period_result.get("Groups", []):
                service, team = [*group.get("Keys", []), "", ""][:2]
                if not policy.is_ai_service(service):
                    continue
                ai_services.add(service)
                if tag_value(team):
                    continue
                if month == this_month:
                    untagged_mtd[service] += amount(group)
                elif month == previous:
                    untagged_before += amount(group)

    def daily() -> None:
        yesterday = today - timedelta(days=1)
        start = datetime.combine(yesterday, time(), UTC)
        total = 0.0
        for day_result in ce.cost_and_usage(TimePeriod={"Start": yesterday.isoformat(), "End": today.isoformat()},
                                            Granularity="DAILY", Metrics=[METRIC], GroupBy=[team_tag]):
            for group in day_result.get("Groups", []):
                team = tag_value(group.get("Keys", [""])[0])
                if team:
                    result.add(m.SPEND_DAILY, amount(group), start, **{m.TEAM: team})
                    total += amount(group)
        result.add(m.SPEND_DAILY, total, start)

    rest = {"Start": today.isoformat(), "End": next_month.isoformat()}

    def forecast_all() -> None:
        tagged = {"Tags": {"Key": policy.team_tag, "Values": [t.name for t in policy.teams],
                           "MatchOptions": ["EQUALS"]}}
        services = {"Dimensions": {"Key": "SERVICE", "Values": sorted(ai_services)}}
        expression = {"Or": [tagged, services]} if ai_services else tagged
        remaining = ce.forecast(TimePeriod=rest, Metric="UNBLENDED_COST", Granularity="MONTHLY", Filter=expression)
        result.add(m.SPEND_FORECAST, total_mtd + remaining, stamp)

    def forecast_team(team: str) -> Callable[[], None]:
        def body() -> None:
            remaining = ce.forecast(TimePeriod=rest, Metric="UNBLENDED_COST", Granularity="MONTHLY", Filter={
                "Tags": {"Key": policy.team_tag, "Values": [team], "MatchOptions": ["EQUALS"]}})
            result.add(m.SPEND_FORECAST, mtd.get(team, 0.0) + remaining, stamp, **{m.TEAM: team})
        return body

    run("spend by team and project", by_tag(m.PROJECT, policy.project_tag))
    run("untagged AI spend by service", by_service)
    run("spend by team and model", by_tag(m.MODEL, policy.model_tag))
    run("spend by team and environment", by_tag(m.ENVIRONMENT, policy.environment_tag))
    run("spend of the last day by team", daily)

    for team in sorted({*(t.name for t in policy.teams), *mtd}):
        result.add(m.SPEND_MTD, mtd.get(team, 0.0), stamp, **{m.TEAM: team})
        result.add(m.SPEND_PREVIOUS_MONTH, before.get(team, 0.0), stamp, **{m.TEAM: team})
    for service, usd in sorted(untagged_mtd.items()):
        result.add(m.UNTAGGED_MTD, usd, stamp, **{m.SERVICE: service})
    untagged_total = sum(untagged_mtd.values())
    result.add(m.UNTAGGED_MTD, untagged_total, stamp)
    total_mtd = sum(mtd.values()) + untagged_total
    result.add(m.SPEND_MTD, total_mtd, stamp)
    result.add(m.SPEND_PREVIOUS_MONTH, sum(before.values()) + untagged_before, stamp)
    if today == this_month:  # nothing of this month is known yet: the month to date is 0, no forecast base
        result.skipped.append("forecasts: the month has no complete day yet")
    else:
        run("forecast of all AI spend", forecast_all)
        for member in policy.teams:
            run(f"forecast of team {member.name}", forecast_team(member.name))
    for member in policy.teams:
        result.add(m.BUDGET, member.monthly_budget_usd, stamp, **{m.TEAM: member.name})
        result.add(m.BUDGET_USED, 100 * mtd.get(member.name, 0.0) / member.monthly_budget_usd, stamp,
                   **{m.TEAM: member.name})
    if policy.org_budget_usd:
        result.add(m.BUDGET, policy.org_budget_usd, stamp)
        result.add(m.BUDGET_USED, 100 * total_mtd / policy.org_budget_usd, stamp)
    if outcome_reader is not None:
        month_start = datetime.combine(this_month, time(), UTC)
        for outcome in policy.outcomes:
            _outcome(result, outcome, outcome_reader, month_start, stamp)
    result.requests = ce.requests
    result.add(m.CE_REQUESTS, ce.requests, stamp)
    result.add(m.ERRORS, len(result.errors) + result.bound_skips, stamp)
    return result


def _outcome(result: Collection, outcome: OutcomePolicy, reader: OutcomeReader, start: datetime, now: datetime) -> None:
    where = {m.TEAM: outcome.team, m.PROJECT: outcome.project}
    try:
        count = reader(outcome, start, now)
    except API_ERRORS as exc:
        code, message = describe_error(exc)
        result.errors.append({"query": f"outcome {outcome.namespace}/{outcome.metric}", "error": f"{code}: {message}"})
        return
    result.add(m.OUTCOMES_MTD, count, now, **where)
    spend = result.value(m.SPEND_MTD, **where)
    if count > 0 and spend is not None:
        result.add(m.COST_PER_OUTCOME, spend / count, now, **where)


def cloudwatch_outcome_reader(cloudwatch: Any, home_account: str) -> OutcomeReader:
    """Reads an outcome metric's sum over [start, end) in daily periods: one GetMetricData (its pages) a call. An
    outcome of another account is read through cross-account observability (`AccountId`)."""

    def read(outcome: OutcomePolicy, start: datetime, end: datetime) -> float:
        if end <= start:
            return 0.0
        query: dict[str, Any] = {"Id": "outcome", "ReturnData": True, "MetricStat": {
            "Metric": {"Namespace": outcome.namespace, "MetricName": outcome.metric,
                       "Dimensions": [{"Name": k, "Value": v} for k, v in sorted(outcome.dimensions.items())]},
            "Period": 86400, "Stat": outcome.statistic}}
        if outcome.account and outcome.account != home_account:
            query["AccountId"] = outcome.account
        total, request = 0.0, {"MetricDataQueries": [query], "StartTime": start, "EndTime": end}
        while True:
            page = cloudwatch.get_metric_data(**request)
            total += sum(sum(r.get("Values", [])) for r in page.get("MetricDataResults", []))
            if not page.get("NextToken"):
                return total
            request["NextToken"] = page["NextToken"]

    return read


def publish(cloudwatch: Any, collection: Collection, batch: int = 1000) -> int:
    """PutMetricData of every point, `batch` a call (CloudWatch takes 1,000); returns the number of calls."""
    data = [{"MetricName": p.metric, "Timestamp": p.timestamp, "Value": p.value,
             "Unit": "Count" if p.metric in m.COUNTS else "None",
             "Dimensions": [{"Name": k, "Value": v} for k, v in p.dimensions]} for p in collection.points]
    calls = 0
    for start in range(0, len(data), batch):
        cloudwatch.put_metric_data(Namespace=m.NAMESPACE, MetricData=data[start:start + batch])
        calls += 1
    return calls
