"""finops.yaml -> the Inform functions' runtime policy (JSON for the collector and the weekly report). Pure; no
aws_cdk. Names it contains (the report bucket, the team topics, the anomaly monitors, the budgets) are the
deterministic names the stacks give those resources, so the document is known before deployment and bundled into
the functions' asset (aifinops/lambdas/inform/policy.py reads it; a contract test round-trips it)."""

from __future__ import annotations

import json
from typing import Any

from aifinops.config import ENVIRONMENT, MODEL, PROJECT, TEAM, FinOpsConfig
from aifinops.lambdas.inform.policy import VERSION as POLICY_VERSION
from aifinops.naming import BUDGET_PREFIX, NAME_PREFIX, PAYER_REGION, REPORT_TOPIC_PREFIX, report_bucket_name
from aifinops.policies.budget_policy import workload_accounts

INFORM_REGION = PAYER_REGION


def report_topic_arn(account: str, region: str, team: str, partition: str = "aws") -> str:
    return f"arn:{partition}:sns:{region}:{account}:{REPORT_TOPIC_PREFIX}{team}"


def inform_policy(config: FinOpsConfig, *, region: str = INFORM_REGION) -> dict[str, Any]:
    account = config.organization.management_account
    settings = config.inform
    return {
        "version": POLICY_VERSION,
        "tagKeys": {"team": TEAM, "project": PROJECT, "model": MODEL, "environment": ENVIRONMENT},
        "teams": [{"name": t.name, "monthlyBudgetUsd": t.monthly_budget_usd, "budgetName": f"{BUDGET_PREFIX}{t.name}",
                   "anomalyMonitor": f"{NAME_PREFIX}-{t.name}", "projects": sorted(t.projects),
                   "topicArn": report_topic_arn(account, region, t.name)} for t in config.teams],
        "orgBudgetUsd": config.budgets.org_ai_monthly_usd,
        "aiServices": list(settings.ai_services),
        "maxCostExplorerRequests": settings.max_cost_explorer_requests,
        "account": account,
        "regions": list(config.organization.regions),
        "outcomes": [{"team": o.team, "project": o.project, "namespace": o.namespace, "metric": o.metric,
                      "dimensions": dict(sorted(o.dimensions.items())), "statistic": o.statistic, "unit": o.unit,
                      "account": o.account} for o in settings.outcomes],
        "report": {"weeks": settings.report_weeks, "bucket": report_bucket_name(account, region),
                   "prefix": "team-reports/", "guardAccounts": workload_accounts(config)},
    }


def inform_policy_json(config: FinOpsConfig, *, region: str = INFORM_REGION) -> str:
    return json.dumps(inform_policy(config, region=region), separators=(",", ":"), sort_keys=True)


__all__ = ["INFORM_REGION", "POLICY_VERSION", "inform_policy", "inform_policy_json", "report_topic_arn"]
