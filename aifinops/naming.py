"""Names and tags that mark what aifinops deploys: guardrail SCPs protect resources carrying them, guards
and budgets carry them, and external checks read them. Pure; no aws_cdk import."""

import hashlib
import re

NAME_PREFIX = "aifinops"  # stacks, functions, roles, topics, schedules and budgets start with it
MANAGED_TAG = "aifinops:managed"  # value "true" on every resource of the guardrail stacks
CRITICAL_TAG = "aifinops:critical"  # "true" on a workload the budget enforcer must never pause
PAUSED_TAG = "aifinops:paused-by"  # set by the budget enforcer: budget and month; what resume restores
BUDGET_PREFIX = f"{NAME_PREFIX}-"  # every budget aifinops creates is named aifinops-<team>[-<project>]
BUDGET_ENFORCER_ROLE = f"{NAME_PREFIX}-budget-enforcer"  # the enforcer functions' role in the payer account
BUDGET_ACCESS_ROLE = f"{NAME_PREFIX}-budget-enforcer-access"  # what it assumes in each workload account
GUARD_NAME = f"{NAME_PREFIX}-gpu-guard"  # the GPU guard's function, topic, rules; its role: <GUARD_NAME>-<region>
# Stacks of the guardrails (the workload stacks, `aifinops-workloads-*`, are the teams'): the SCPs protect these.
GUARD_STACK_PREFIX = f"{NAME_PREFIX}-guard-"  # aifinops-guard-<account>-<region>
BUDGET_ACCESS_STACK_PREFIX = f"{NAME_PREFIX}-budget-access-"  # aifinops-budget-access-<account>
ORG_STACK_PREFIX = f"{NAME_PREFIX}-org-"  # aifinops-org-guardrails-<env>[-canary], aifinops-org-delegation
WORKLOAD_STACK_PREFIX = f"{NAME_PREFIX}-workloads-"  # aifinops-workloads-<env>-<team>[-<region>]
CANARY = "canary"  # names the canary copies of an environment's guardrail stack and policies
GUARDRAIL_STACK_PREFIXES = (GUARD_STACK_PREFIX, BUDGET_ACCESS_STACK_PREFIX, ORG_STACK_PREFIX,
                            f"{NAME_PREFIX}-cost-tags", f"{NAME_PREFIX}-team-budgets")
# The GPU guard's tags (aifinops/lambdas/guard reads the names from its JSON policy, never from here).
VIOLATION_TAG = "aifinops:violation"  # reason codes of an open finding (untagged: the grace period runs)
STOP_AFTER_TAG = "aifinops:stop-after"  # ISO-8601 UTC deadline of the grace period
EXEMPT_UNTIL_TAG = "aifinops:exempt-until"  # ISO 8601 date or date-time set by owners; <= guard.exemption_max_days
STOPPED_BY_TAG = "aifinops:stopped-by"  # audit: reason and time of a stop by the guard; never removed by it


# Stack names are construct ids: `aifinops validate` checks they are unique (config.checks), so they live here.
def org_guardrails_stack_name(environment: str, canary: bool = False) -> str:
    return f"{ORG_STACK_PREFIX}guardrails-{environment}" + (f"-{CANARY}" if canary else "")


def workload_stack_name(environment: str, team: str) -> str:
    return f"{WORKLOAD_STACK_PREFIX}{environment}-{team}"
PAYER_REGION = "us-east-1"  # the payer stacks: Budgets, Organizations and Cost Explorer live there
INFORM_NAME = f"{NAME_PREFIX}-inform"  # the spend collector and weekly report functions: <INFORM_NAME>-collect/-report
INFORM_STACK = f"{NAME_PREFIX}-inform"  # the stack of the collector, the reports and the dashboards (payer account)
REPORT_TOPIC_PREFIX = f"{NAME_PREFIX}-report-"  # aifinops-report-<team>: each team's weekly report
# aifinops-executive, aifinops-team-<team>, aifinops-engineering-<env>-<team>[-<region>]
DASHBOARD_PREFIX = f"{NAME_PREFIX}-"


def report_bucket_name(account: str, region: str) -> str:
    """The weekly reports' bucket: one a payer account and region, named so the functions' policy can say it."""
    return f"{NAME_PREFIX}-reports-{account}-{region}"


def bedrock_profile_name(team: str, project: str, environment: str, model_id: str) -> str:
    """The name of a model's application inference profile (BedrockModelAccess): 1-64 characters matching
    ^([0-9a-zA-Z][ _-]?)+$, unique per team, project, environment and model; a long name keeps its start and gets a
    short hash of the whole."""
    raw = f"{team}-{project}-{environment}-{model_id}"
    cleaned = re.sub(r"[^0-9a-zA-Z]+", "-", raw).strip("-")
    if len(cleaned) <= 64:
        return cleaned
    digest = hashlib.sha256(raw.encode()).hexdigest()[:8]
    return f"{cleaned[:55].rstrip('-')}-{digest}"
