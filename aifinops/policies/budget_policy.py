"""finops.yaml -> the budget enforcer's runtime policy (JSON for the Lambda). Pure; no aws_cdk.

The enforcer (aifinops/lambdas/budget_enforcer) imports nothing from aifinops: this document is its only
input, bundled into its asset as the file POLICY_FILE (or, locally, the environment variable ENV_VAR; both
names are the enforcer's own). A contract test round-trips it.
"""

from __future__ import annotations

import json
from typing import Any

from aifinops.config import TEAM, FinOpsConfig, budget_names
from aifinops.lambdas.budget_enforcer.policy import ENV_VAR, POLICY_FILE
from aifinops.naming import BUDGET_ACCESS_ROLE, CRITICAL_TAG, NAME_PREFIX, PAUSED_TAG

POLICY_VERSION = 1
# The per-team locks of the enforcer (aifinops/lambdas/budget_enforcer/lock.py): a DynamoDB table of the
# `BudgetEnforcer` construct, in the payer account and the region of its stack. The reference deployment puts the
# payer stacks in us-east-1 (aifinops.infra.build: the Budgets, Organizations and Cost Explorer APIs live there);
# the construct refuses a policy whose lock region is not its stack's.
LOCK_TABLE = f"{NAME_PREFIX}-budget-locks"
LOCK_REGION = "us-east-1"


def enforcer_policy(config: FinOpsConfig, *, lock_region: str = LOCK_REGION) -> dict[str, Any]:
    """Which budget belongs to which team (and project), and the tags the enforcer reads and writes.
    Project budgets pause only that project's workloads; critical teams are never paused automatically.
    `lock`: the table of the per-team locks, `LOCK_TABLE` in `lock_region` (the enforcer stack's region).
    `costTags`: the cost tag keys (their near misses are reported).
    `accounts`: every account of every environment, each with the role the enforcer assumes there
    (`access_role_arn`, deployed by `aifinops.infra.budget_access_stack.BudgetAccessStack`)."""
    teams = {t.name: t for t in config.teams}
    budgets = {}
    for name, (team, project) in sorted(budget_names(config).items()):
        budgets[name] = {"team": team, "project": project, "pause": not teams[team].critical}
    policy: dict[str, Any] = {
        "version": POLICY_VERSION,
        "teamTag": TEAM,
        "projectTag": "project",
        "criticalTag": CRITICAL_TAG,
        "pausedTag": PAUSED_TAG,
        "actionPercent": config.budgets.action_percent,
        "regions": list(config.organization.regions),
        "budgets": budgets,
        "lock": {"table": LOCK_TABLE, "region": lock_region},
        "costTags": list(config.tags.required),
    }
    accounts = workload_accounts(config)
    if accounts:  # else (environments by OU only): no key, the enforcer acts in its own account only
        policy["accounts"] = [{"account": account, "roleArn": access_role_arn(account)} for account in accounts]
    return policy


def workload_accounts(config: FinOpsConfig) -> list[str]:
    """Every account of every environment, sorted and unique."""
    return sorted({account for env in config.environments.values() for account in env.accounts})


def access_role_arn(account: str, partition: str = "aws") -> str:
    """The role the enforcer assumes in a workload account."""
    return f"arn:{partition}:iam::{account}:role/{BUDGET_ACCESS_ROLE}"


__all__ = ["ENV_VAR", "LOCK_REGION", "LOCK_TABLE", "POLICY_FILE", "POLICY_VERSION", "access_role_arn",
           "enforcer_policy", "enforcer_policy_json", "workload_accounts"]


def enforcer_policy_json(config: FinOpsConfig, *, lock_region: str = LOCK_REGION) -> str:
    return json.dumps(enforcer_policy(config, lock_region=lock_region), separators=(",", ":"), sort_keys=True)
