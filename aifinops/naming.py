"""Names and tags that mark what aifinops deploys: guardrail SCPs protect resources carrying them, guards
and budgets carry them, and external checks read them. Pure; no aws_cdk import."""

NAME_PREFIX = "aifinops"  # stacks, functions, roles, topics, schedules and budgets start with it
MANAGED_TAG = "aifinops:managed"  # value "true" on every resource of the guardrail stacks
CRITICAL_TAG = "aifinops:critical"  # "true" on a workload the budget enforcer must never pause
PAUSED_TAG = "aifinops:paused-by"  # set by the budget enforcer: budget and month; what resume restores
BUDGET_PREFIX = f"{NAME_PREFIX}-"  # every budget aifinops creates is named aifinops-<team>[-<project>]
BUDGET_ENFORCER_ROLE = f"{NAME_PREFIX}-budget-enforcer"  # the enforcer functions' role in the payer account
BUDGET_ACCESS_ROLE = f"{NAME_PREFIX}-budget-enforcer-access"  # what it assumes in each workload account
