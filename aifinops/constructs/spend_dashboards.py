"""The executive and team dashboards: CloudWatch dashboards over the metrics the spend collector publishes
(`aifinops.lambdas.inform.metrics`, the one list of their names and dimensions). Deploy them where the collector
runs (the payer account, us-east-1). Values are Cost Explorer's unblended cost as of the last collection (daily):
widgets show each day's latest value (statistic Maximum over a day)."""

from __future__ import annotations

from collections.abc import Sequence

import aws_cdk as cdk
from aws_cdk import aws_cloudwatch as cloudwatch
from constructs import Construct

from aifinops.lambdas.inform import metrics as m
from aifinops.naming import DASHBOARD_PREFIX

DAY = cdk.Duration.days(1)
EXECUTIVE_NAME = f"{DASHBOARD_PREFIX}executive"
TOP = 10  # series a "top" widget shows


def spend_metric(name: str, label: str, **dimensions: str) -> cloudwatch.Metric:
    """One of the collector's metrics (refused when it does not publish it with these dimensions)."""
    if name not in m.PUBLISHED or tuple(dimensions) not in m.PUBLISHED[name]:
        raise ValueError(f"the collector publishes no {name} with dimensions {tuple(dimensions)}")
    return cloudwatch.Metric(namespace=m.NAMESPACE, metric_name=name, dimensions_map=dimensions or None,
                             statistic="Maximum", period=DAY, label=label)


def spend_search(name: str, dimensions: Sequence[str], label: str, **equal: str) -> cloudwatch.MathExpression:
    """Every series of `name` with these dimension names (e.g. every model of a team), largest first: the values
    (models, projects, services) are only known once spend is collected."""
    if tuple(dimensions) not in m.PUBLISHED.get(name, ()):
        raise ValueError(f"the collector publishes no {name} with dimensions {tuple(dimensions)}")
    where = "".join(f' {k}="{v}"' for k, v in equal.items())
    schema = ",".join((m.NAMESPACE, *dimensions))
    return cloudwatch.MathExpression(
        expression=f"SORT(SEARCH('{{{schema}}} MetricName=\"{name}\"{where}', 'Maximum', 86400), MAX, DESC, {TOP})",
        using_metrics={}, label=label, period=DAY)


def _graph(title: str, metrics: Sequence[cloudwatch.IMetric], *, width: int = 12, bar: bool = False,
           annotations: Sequence[cloudwatch.HorizontalAnnotation] = (), unit: str = "USD") -> cloudwatch.GraphWidget:
    return cloudwatch.GraphWidget(
        title=title, left=list(metrics), width=width, height=6, left_annotations=list(annotations) or None,
        view=cloudwatch.GraphWidgetView.BAR if bar else cloudwatch.GraphWidgetView.TIME_SERIES,
        left_y_axis=cloudwatch.YAxisProps(label=unit, min=0, show_units=False))


class ExecutiveDashboard(Construct):
    """``aifinops-executive``: total AI spend month to date, previous month and forecast against the org-wide
    AI budget; spend and budget use by team; the untagged remainder by service; cost per business outcome.

    Example::

        import aws_cdk as cdk
        from aifinops.constructs.spend_dashboards import ExecutiveDashboard

        app = cdk.App()
        stack = cdk.Stack(app, "Inform", env=cdk.Environment(account="111111111111", region="us-east-1"))
        ExecutiveDashboard(stack, "Executive", teams=["search", "vision"], org_budget_usd=150000,
                           outcomes=[("assistant", "support-bot", "resolved ticket")])
        app.synth()
    """

    def __init__(self, scope: Construct, construct_id: str, *, teams: Sequence[str], org_budget_usd: float | None,
                 outcomes: Sequence[tuple[str, str, str]] = (), alert_percent: float = 80) -> None:
        """
        :param teams: the teams shown one by one.
        :param org_budget_usd: the org-wide AI budget (its line on the forecast). None: no such budget.
        :param outcomes: (team, project, unit) of each project with an outcome metric.
        :param alert_percent: where the budget-use widgets draw their alert line. Default: 80.
        """
        super().__init__(scope, construct_id)
        total = [spend_metric(m.SPEND_MTD, "month to date"), spend_metric(m.SPEND_PREVIOUS_MONTH, "previous month"),
                 spend_metric(m.SPEND_FORECAST, "forecast this month"),
                 spend_metric(m.UNTAGGED_MTD, "untagged remainder")]
        if org_budget_usd is not None:
            total.append(spend_metric(m.BUDGET, "org AI budget"))
        limits = [cloudwatch.HorizontalAnnotation(value=alert_percent, label=f"alert {alert_percent:g} %"),
                  cloudwatch.HorizontalAnnotation(value=100, label="budget", color="#d62728")]
        rows: list[cloudwatch.IWidget] = [
            cloudwatch.TextWidget(markdown=(
                "# AI spend\nCost Explorer's unblended cost, collected daily by `aifinops-inform-collect` "
                "(namespace `AiFinOps`). Spend without a `team` tag is the *untagged remainder* (AI services only): "
                "the gap in attribution."), width=24, height=2),
            cloudwatch.SingleValueWidget(title="All AI spend", metrics=total, width=24, height=4),
            _graph("Forecast against budget (all AI)", total[:1] + total[2:3] + total[4:]),
            _graph("Untagged AI spend by service (month to date)",
                   [spend_search(m.UNTAGGED_MTD, (m.SERVICE,), "")], bar=True),
            _graph("Month to date by team", [spend_metric(m.SPEND_MTD, t, Team=t) for t in teams], bar=True),
            _graph("Previous month by team", [spend_metric(m.SPEND_PREVIOUS_MONTH, t, Team=t) for t in teams],
                   bar=True),
            _graph("Budget used by team (month to date, %)", [spend_metric(m.BUDGET_USED, t, Team=t) for t in teams],
                   annotations=limits, unit="%"),
            _graph("Forecast by team", [spend_metric(m.SPEND_FORECAST, t, Team=t) for t in teams], bar=True),
        ]
        if outcomes:
            rows += [_graph(f"Cost per {unit}: {team} / {project}",
                            [spend_metric(m.COST_PER_OUTCOME, f"USD per {unit}", Team=team, Project=project)],
                            width=8, unit=f"USD per {unit}") for team, project, unit in outcomes]
        else:
            rows.append(cloudwatch.TextWidget(markdown=(
                "**Cost per outcome**: name a project's outcome metric in finops.yaml (`inform.outcomes`) to see "
                "its cost per resolved ticket, per document, per order here."), width=24, height=2))
        self.dashboard = cloudwatch.Dashboard(self, "Dashboard", dashboard_name=EXECUTIVE_NAME,
                                              default_interval=cdk.Duration.days(90), widgets=[rows])


class TeamDashboard(Construct):
    """``aifinops-team-<team>``: the team's spend by model, project and environment, its budget use and
    forecast, the daily spend, and its cost per outcome.

    Example::

        import aws_cdk as cdk
        from aifinops.constructs.spend_dashboards import TeamDashboard

        app = cdk.App()
        stack = cdk.Stack(app, "Inform", env=cdk.Environment(account="111111111111", region="us-east-1"))
        TeamDashboard(stack, "Search", team="search")
        app.synth()
    """

    def __init__(self, scope: Construct, construct_id: str, *, team: str,
                 outcomes: Sequence[tuple[str, str]] = (), alert_percent: float = 80) -> None:
        """
        :param team: the team.
        :param outcomes: (project, unit) of each of its projects with an outcome metric.
        :param alert_percent: where the budget-use widget draws its alert line. Default: 80.
        """
        super().__init__(scope, construct_id)
        self.name = f"{DASHBOARD_PREFIX}team-{team}"
        rows: list[cloudwatch.IWidget] = [
            cloudwatch.SingleValueWidget(title=f"AI spend of team {team}", width=24, height=4, metrics=[
                spend_metric(m.SPEND_MTD, "month to date", Team=team),
                spend_metric(m.SPEND_PREVIOUS_MONTH, "previous month", Team=team),
                spend_metric(m.SPEND_FORECAST, "forecast this month", Team=team),
                spend_metric(m.BUDGET, "monthly budget", Team=team),
                spend_metric(m.BUDGET_USED, "budget used (%)", Team=team)]),
            _graph("Budget burn (month to date, %)", [spend_metric(m.BUDGET_USED, team, Team=team)], unit="%",
                   annotations=[cloudwatch.HorizontalAnnotation(value=alert_percent,
                                                                label=f"alert {alert_percent:g} %"),
                                cloudwatch.HorizontalAnnotation(value=100, label="budget", color="#d62728")]),
            _graph("Daily spend", [spend_metric(m.SPEND_DAILY, team, Team=team)], bar=True),
            _graph("Top models (month to date)", [spend_search(m.SPEND_MTD, (m.TEAM, m.MODEL), "", Team=team)],
                   bar=True),
            _graph("Top projects (month to date)", [spend_search(m.SPEND_MTD, (m.TEAM, m.PROJECT), "", Team=team)],
                   bar=True),
            _graph("By environment (month to date)",
                   [spend_search(m.SPEND_MTD, (m.TEAM, m.ENVIRONMENT), "", Team=team)], bar=True),
            *(_graph(f"Cost per {unit}: {project}",
                     [spend_metric(m.COST_PER_OUTCOME, f"USD per {unit}", Team=team, Project=project)],
                     unit=f"USD per {unit}") for project, unit in outcomes),
        ]
        self.dashboard = cloudwatch.Dashboard(self, "Dashboard", dashboard_name=self.name,
                                              default_interval=cdk.Duration.days(90), widgets=[rows])
