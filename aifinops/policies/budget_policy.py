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
from aifinops.naming import CRITICAL_TAG, PAUSED_TAG

POLICY_VERSION = 1


def enforcer_policy(config: FinOpsConfig) -> dict[str, Any]:
    """Which budget belongs to which team (and project), and the tags the enforcer reads and writes.
    Project budgets pause only that project's workloads; critical teams are never paused automatically."""
    teams = {t.name: t for t in config.teams}
    budgets = {}
    for name, (team, project) in sorted(budget_names(config).items()):
        budgets[name] = {"team": team, "project": project, "pause": not teams[team].critical}
    return {
        "version": POLICY_VERSION,
        "teamTag": TEAM,
        "projectTag": "project",
        "criticalTag": CRITICAL_TAG,
        "pausedTag": PAUSED_TAG,
        "actionPercent": config.budgets.action_percent,
        "regions": list(config.organization.regions),
        "budgets": budgets,
    }


__all__ = ["ENV_VAR", "POLICY_FILE", "POLICY_VERSION", "enforcer_policy", "enforcer_policy_json"]


def enforcer_policy_json(config: FinOpsConfig) -> str:
    return json.dumps(enforcer_policy(config), separators=(",", ":"), sort_keys=True)
