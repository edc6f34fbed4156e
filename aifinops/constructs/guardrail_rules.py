"""Prop rules of the guardrail constructs built from finops.yaml besides the budgets: `GpuGuard`,
`BudgetEnforcer`, `BudgetEnforcerAccess`, `CostAllocationTags` and `TeamAnomalyAlerts`. Each broken rule is one
`PropProblem` with a stable code. No aws_cdk import: `aifinops validate` runs these rules on the props the
stacks derive from finops.yaml. (Whether the Lambda packages exist is the constructs' own check: an
installation problem, not a prop.)"""

from __future__ import annotations

import math
from collections.abc import Sequence

from aifinops.constructs.errors import PropProblem
from aifinops.lambdas.budget_enforcer import policy as enforcer_policy
from aifinops.lambdas.guard import policy as guard_policy
from aifinops.schedule_expressions import schedule_problem

GUARD_MEMORY_RANGE = (128, 10240)  # MB: Lambda's range
GUARD_DEFAULT_MEMORY = 512  # MB; GpuGuard's default (finops.yaml does not set it)
GUARD_SCHEDULE_RANGE = (1, 1440)  # minutes between scans
COST_TAG_HOURS_RANGE = (1, 24)  # hours between activation passes
COST_TAG_DEFAULT_HOURS = 6  # CostAllocationTags' default (finops.yaml does not set it)
COST_TAG_DAYS_RANGE = (1, 30)  # days until a key still inactive raises the alarm
ANOMALY_FREQUENCIES = ("DAILY", "WEEKLY", "IMMEDIATE")
MAX_ANOMALY_EMAILS = 10  # the same cap as budgets


def guard_problems(*, policy_json: str, schedule_minutes: int, topic_owners: Sequence[str],
                   memory_size: int = GUARD_DEFAULT_MEMORY) -> list[PropProblem]:
    problems = []
    try:
        guard_policy.parse_policy(policy_json)  # what the function will read at start
    except guard_policy.PolicyError as exc:
        problems.append(PropProblem("AIF_GUARD_POLICY", "policy_json", policy_json[:60] + "...",
                                    f"the JSON of aifinops.policies.guard_policy ({exc})"))
    low, high = GUARD_SCHEDULE_RANGE
    if not low <= schedule_minutes <= high:
        problems.append(PropProblem("AIF_GUARD_SCHEDULE", "schedule_minutes", schedule_minutes,
                                    f"{low} to {high} minutes"))
    low, high = GUARD_MEMORY_RANGE
    if not low <= memory_size <= high:
        problems.append(PropProblem("AIF_GUARD_MEMORY", "memory_size", memory_size, f"{low} to {high} MB"))
    bad_owners = [o for o in topic_owners if "@" not in o]
    if bad_owners:
        problems.append(PropProblem("AIF_GUARD_OWNERS", "topic_owners", bad_owners, "e-mail addresses"))
    return problems


def enforcer_problems(*, policy_json: str, regions: Sequence[str], resume_schedule: str) -> list[PropProblem]:
    problems = []
    try:
        enforcer_policy.parse_policy(policy_json)  # what the functions will read at start
    except enforcer_policy.PolicyError as exc:
        problems.append(PropProblem("AIF_ENFORCER_POLICY", "policy_json", policy_json[:60] + "...",
                                    f"the JSON of aifinops.policies.budget_policy ({exc})"))
    if not regions:
        problems.append(PropProblem("AIF_ENFORCER_REGIONS", "regions", list(regions), "1 or more regions"))
    if problem := schedule_problem(resume_schedule):
        problems.append(PropProblem("AIF_ENFORCER_SCHEDULE", "resume_schedule", resume_schedule,
                                    f"an EventBridge schedule expression, cron(...) or rate(...) ({problem})"))
    return problems


def enforcer_access_problems(*, management_account: str, regions: Sequence[str]) -> list[PropProblem]:
    problems = []
    if not enforcer_policy.ACCOUNT_ID.fullmatch(management_account):
        problems.append(PropProblem("AIF_ACCESS_MANAGEMENT_ACCOUNT", "management_account", management_account,
                                    "a 12-digit account id"))
    if not regions:
        problems.append(PropProblem("AIF_ACCESS_REGIONS", "regions", list(regions), "1 or more regions"))
    return problems


def cost_allocation_tag_problems(*, keys: Sequence[str], overdue_days: int,
                                 every_hours: int = COST_TAG_DEFAULT_HOURS) -> list[PropProblem]:
    problems = []
    if not keys or len(set(keys)) != len(keys):
        problems.append(PropProblem("AIF_COST_TAG_KEYS", "keys", list(keys), "one or more distinct tag keys"))
    low, high = COST_TAG_HOURS_RANGE
    if not low <= every_hours <= high:
        problems.append(PropProblem("AIF_COST_TAG_SCHEDULE", "every_hours", every_hours, f"{low} to {high} hours"))
    low, high = COST_TAG_DAYS_RANGE
    if not low <= overdue_days <= high:
        problems.append(PropProblem("AIF_COST_TAG_OVERDUE", "overdue_days", overdue_days, f"{low} to {high} days"))
    return problems


def anomaly_problems(*, threshold_usd: float, threshold_percent: float, frequency: str, has_topic: bool,
                     owners: Sequence[str]) -> list[PropProblem]:
    problems = []
    for prop, value in (("threshold_usd", threshold_usd), ("threshold_percent", threshold_percent)):
        if not (math.isfinite(value) and value >= 0):
            problems.append(PropProblem("AIF_ANOMALY_THRESHOLD", prop, value, "a number of 0 or more"))
    if frequency not in ANOMALY_FREQUENCIES:
        problems.append(PropProblem("AIF_ANOMALY_FREQUENCY", "frequency", frequency, ", ".join(ANOMALY_FREQUENCIES)))
    if frequency == "IMMEDIATE" and not has_topic:
        problems.append(PropProblem("AIF_ANOMALY_TOPIC", "topic", None,
                                    "an SNS topic: IMMEDIATE anomaly alerts can only go to SNS"))
    if frequency != "IMMEDIATE" and not 0 < len(set(owners)) == len(owners) <= MAX_ANOMALY_EMAILS:
        problems.append(PropProblem("AIF_ANOMALY_OWNERS", "owners", list(owners),
                                    f"1 to {MAX_ANOMALY_EMAILS} distinct e-mail addresses"))
    return problems
