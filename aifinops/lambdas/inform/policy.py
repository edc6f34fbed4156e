"""The Inform functions' policy: the JSON `aifinops.policies.inform_policy` writes, parsed and checked.

Bundled into the asset as POLICY_FILE (the environment variable ENV_VAR overrides it: tests and the CLI).
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

POLICY_FILE = "inform_policy.json"
ENV_VAR = "AIFINOPS_INFORM_POLICY"
VERSION = 1


class PolicyError(ValueError):
    """The policy is missing or malformed: a misconfigured function must fail loudly."""


@dataclass(frozen=True)
class TeamPolicy:
    name: str
    monthly_budget_usd: float
    budget_name: str
    anomaly_monitor: str  # the name of the team's Cost Anomaly Detection monitor
    topic_arn: str | None = None  # the weekly report's text goes here
    projects: tuple[str, ...] = ()


@dataclass(frozen=True)
class OutcomePolicy:
    team: str
    project: str
    namespace: str
    metric: str
    dimensions: dict[str, str]
    statistic: str
    unit: str
    account: str | None = None


@dataclass(frozen=True)
class InformPolicy:
    team_tag: str
    project_tag: str
    model_tag: str
    environment_tag: str
    teams: tuple[TeamPolicy, ...]
    ai_services: tuple[str, ...]
    max_cost_explorer_requests: int
    account: str  # the management (payer) account: budgets live there
    org_budget_usd: float | None = None
    outcomes: tuple[OutcomePolicy, ...] = ()
    report_weeks: int = 4
    report_bucket: str | None = None
    report_prefix: str = "team-reports/"
    guard_accounts: tuple[str, ...] = ()  # workload accounts whose guard metrics the report reads
    regions: tuple[str, ...] = ()

    def team(self, name: str) -> TeamPolicy:
        found = next((t for t in self.teams if t.name == name), None)
        if found is None:
            raise PolicyError(f"unknown team {name!r}; teams: {', '.join(t.name for t in self.teams)}")
        return found

    def is_ai_service(self, service: str) -> bool:
        lowered = service.lower()
        return any(part.lower() in lowered for part in self.ai_services)


def parse_policy(text: str) -> InformPolicy:
    try:
        raw = json.loads(text)
        if raw.get("version") != VERSION:
            raise PolicyError(f"policy version {raw.get('version')!r}, this code reads {VERSION}")
        tags = raw["tagKeys"]
        report = raw.get("report", {})
        return InformPolicy(
            team_tag=tags["team"], project_tag=tags["project"], model_tag=tags["model"],
            environment_tag=tags["environment"],
            teams=tuple(TeamPolicy(name=t["name"], monthly_budget_usd=float(t["monthlyBudgetUsd"]),
                                   budget_name=t["budgetName"], anomaly_monitor=t["anomalyMonitor"],
                                   topic_arn=t.get("topicArn"), projects=tuple(t.get("projects", ())))
                        for t in raw["teams"]),
            ai_services=tuple(raw["aiServices"]), max_cost_explorer_requests=int(raw["maxCostExplorerRequests"]),
            account=str(raw["account"]), org_budget_usd=raw.get("orgBudgetUsd"),
            outcomes=tuple(OutcomePolicy(team=o["team"], project=o["project"], namespace=o["namespace"],
                                         metric=o["metric"], dimensions=dict(o.get("dimensions", {})),
                                         statistic=o.get("statistic", "Sum"), unit=o["unit"],
                                         account=o.get("account"))
                           for o in raw.get("outcomes", ())),
            report_weeks=int(report.get("weeks", 4)), report_bucket=report.get("bucket"),
            report_prefix=report.get("prefix", "team-reports/"),
            guard_accounts=tuple(report.get("guardAccounts", ())), regions=tuple(raw.get("regions", ())))
    except PolicyError:
        raise
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise PolicyError(f"inform policy is malformed: {type(exc).__name__}: {exc}") from None


def load_policy() -> InformPolicy:
    """From ENV_VAR when set, else POLICY_FILE beside this module."""
    text = os.environ.get(ENV_VAR)
    if text is None:
        path = Path(__file__).resolve().parent / POLICY_FILE
        if not path.is_file():
            raise PolicyError(f"no inform policy: set {ENV_VAR} or bundle {POLICY_FILE}")
        text = path.read_text(encoding="utf-8")
    return parse_policy(text)
