"""What the spend collector publishes: the one list of its metric names and dimension sets, which the dashboards
(`aifinops.constructs.spend_dashboards`) read, and a test holds against what a run on moto writes.

Namespace `AiFinOps`, unit None (US dollars, or counts where named). Dimension values are the cost tag values;
a project, model or environment tag missing on a resource is the value UNTAGGED. Spend without a team tag is
never in a Team dimension: it is the untagged remainder (`UntaggedSpendMonthToDate`, AI services only).
"""

from __future__ import annotations

NAMESPACE = "AiFinOps"
UNTAGGED = "untagged"

SPEND_MTD = "SpendMonthToDate"  # unblended USD since the 1st of the month (UTC), as Cost Explorer knows it
SPEND_PREVIOUS_MONTH = "SpendPreviousMonth"
SPEND_FORECAST = "SpendForecastMonth"  # month to date + Cost Explorer's forecast of the rest of the month
SPEND_DAILY = "SpendDaily"  # the last complete day (UTC), timestamped at its start
UNTAGGED_MTD = "UntaggedSpendMonthToDate"  # AI services' spend without a team tag
BUDGET = "BudgetUsd"  # the team's monthly budget (no dimension: the org-wide AI budget)
BUDGET_USED = "BudgetUsedPercent"  # month to date / budget x 100
OUTCOMES_MTD = "OutcomesMonthToDate"  # the project's outcome metric summed since the 1st
COST_PER_OUTCOME = "CostPerOutcome"  # the project's month-to-date spend / its outcomes
CE_REQUESTS = "CostExplorerRequests"  # billed requests of the run
ERRORS = "CollectorErrors"  # queries that failed or were skipped at the request bound

TEAM, PROJECT, MODEL, ENVIRONMENT, SERVICE = "Team", "Project", "Model", "Environment", "Service"

# metric -> the dimension sets it is published with (() = no dimension)
PUBLISHED: dict[str, tuple[tuple[str, ...], ...]] = {
    SPEND_MTD: ((), (TEAM,), (TEAM, PROJECT), (TEAM, MODEL), (TEAM, ENVIRONMENT)),
    SPEND_PREVIOUS_MONTH: ((), (TEAM,)),
    SPEND_FORECAST: ((), (TEAM,)),
    SPEND_DAILY: ((), (TEAM,)),
    UNTAGGED_MTD: ((), (SERVICE,)),
    BUDGET: ((), (TEAM,)),
    BUDGET_USED: ((), (TEAM,)),
    OUTCOMES_MTD: ((TEAM, PROJECT),),
    COST_PER_OUTCOME: ((TEAM, PROJECT),),
    CE_REQUESTS: ((),),
    ERRORS: ((),),
}
COUNTS = frozenset({OUTCOMES_MTD, CE_REQUESTS, ERRORS})  # published with unit Count; the rest are USD (None)
