"""The enforcer's runtime policy, written by aifinops.policies.budget_policy: the file POLICY_FILE bundled
next to this module in the deployed asset (a file, because Lambda allows 4 KB of environment variables and
the policy of 25 teams is already larger), or the environment variable AIFINOPS_BUDGET_POLICY, which takes
precedence (local runs, tests). Parsed and validated here; every problem is reported at once.

Besides the budgets and tag keys: `lock` ({table, region}: the DynamoDB table of the per-team locks, required)
and `costTags` (the cost tag keys, optional: their near misses are reported)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from aifinops_runtime import policy as runtime
from aifinops_runtime.policy import ACCOUNT_ID, check_version, object_entries, parse_document, tag_key

ENV_VAR = "AIFINOPS_BUDGET_POLICY"
POLICY_FILE = "aifinops_budget_policy.json"
SUPPORTED_VERSIONS = (1,)

ROLE_ARN = re.compile(r"arn:aws[a-z-]*:iam::(\d{12}):role/[\w+=,.@/-]{1,512}")
TABLE_NAME = re.compile(r"[A-Za-z0-9_.-]{3,255}")
REGION = re.compile(r"[a-z]{2}(-[a-z]+)+-\d")

__all__ = ["ACCOUNT_ID", "ENV_VAR", "POLICY_FILE", "AccountTarget", "BudgetTarget", "LockTable", "Policy",
           "PolicyError", "load_policy", "parse_policy"]


class PolicyError(runtime.PolicyError):
    """The policy is missing or invalid; `problems` lists every problem found."""

    SUBJECT = "budget enforcer policy"


@dataclass(frozen=True)
class BudgetTarget:
    """A budget of the deployment: whose workloads it pauses, and whether it may pause them automatically."""

    name: str
    team: str
    project: str | None
    pause: bool


@dataclass(frozen=True)
class AccountTarget:
    """A workload account the enforcer acts in, through the role it assumes there."""

    account: str
    role_arn: str


@dataclass(frozen=True)
class LockTable:
    """The DynamoDB table of the per-team locks (lock.py): in the enforcer's own (payer) account and region; the
    functions and `aifinops budget` take the same lock there."""

    table: str
    region: str


@dataclass(frozen=True)
class Policy:
    version: int
    team_tag: str
    project_tag: str
    critical_tag: str
    paused_tag: str
    action_percent: Decimal
    regions: tuple[str, ...]
    budgets: Mapping[str, BudgetTarget]
    lock: LockTable  # required: no run acts without its team's lock
    # The workload accounts to act in. Empty (no "accounts" in the policy, older policies): the home account only.
    accounts: tuple[AccountTarget, ...] = ()
    # The cost tag keys (finops.yaml tags.required): near misses of them are reported. Absent: team and project.
    cost_tags: tuple[str, ...] = ()

    def teams(self) -> list[str]:
        return sorted({b.team for b in self.budgets.values()})

    def team_budget(self, team: str) -> BudgetTarget | None:
        """The team-wide budget (no project) of `team`."""
        return next((b for b in self.budgets.values() if b.team == team and b.project is None), None)

    def known_cost_tags(self) -> tuple[str, ...]:
        """The cost tag keys, the team and project keys always among them."""
        return tuple(dict.fromkeys((self.team_tag, self.project_tag, *self.cost_tags)))


def parse_policy(text: str) -> Policy:
    doc = parse_document(text, PolicyError)
    problems: list[str] = []
    version = check_version(doc, SUPPORTED_VERSIONS, problems)
    tags = {key: tag_key(doc.get(key), key, problems) for key in ("teamTag", "projectTag", "criticalTag", "pausedTag")}
    percent = _percent(doc.get("actionPercent"), problems)
    regions = doc.get("regions")
    if not isinstance(regions, list) or not regions or not all(isinstance(r, str) and r for r in regions):
        problems.append(f"regions: expected a non-empty list of region names, got {regions!r}")
        regions = []
    budgets = _budgets(doc.get("budgets"), problems)
    accounts = _accounts(doc.get("accounts"), problems)
    lock = _lock(doc.get("lock"), problems)
    cost_tags = _cost_tags(doc.get("costTags"), problems)
    if problems:
        raise PolicyError(problems)
    return Policy(version=int(version), team_tag=tags["teamTag"], project_tag=tags["projectTag"],
                  critical_tag=tags["criticalTag"], paused_tag=tags["pausedTag"], action_percent=percent,
                  regions=tuple(regions), budgets=budgets, accounts=accounts, lock=lock, cost_tags=cost_tags)


# load_policy(environ=None, directory=None): the variable of `environ` (default os.environ), else the file in
# `directory` (default: this module's, i.e. the deployed asset).
load_policy = runtime.PolicySource(ENV_VAR, POLICY_FILE, Path(__file__).resolve().parent, parse_policy,
                                   PolicyError).load


def _percent(value: Any, problems: list[str]) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        problems.append(f"actionPercent: expected a number, got {value!r}")
        return Decimal(0)
    try:
        percent = Decimal(str(value))
    except InvalidOperation:
        percent = Decimal(-1)
    if not percent.is_finite() or percent <= 0:
        problems.append(f"actionPercent: expected a positive number, got {value!r}")
    return percent


def _budgets(value: Any, problems: list[str]) -> dict[str, BudgetTarget]:
    budgets: dict[str, BudgetTarget] = {}
    for name, where, entry in object_entries(value, "budgets", "budget name -> {team, project, pause}", problems):
        team: Any = entry.get("team")
        project: Any = entry.get("project")
        pause: Any = entry.get("pause")
        ok = True
        if not isinstance(team, str) or not team:
            problems.append(f"{where}.team: expected a team name, got {team!r}")
            ok = False
        if project is not None and (not isinstance(project, str) or not project):
            problems.append(f"{where}.project: expected a project name or null, got {project!r}")
            ok = False
        if not isinstance(pause, bool):
            problems.append(f"{where}.pause: expected true or false, got {pause!r}")
            ok = False
        if ok:
            budgets[name] = BudgetTarget(name=name, team=team, project=project, pause=pause)
    return budgets


def _accounts(value: Any, problems: list[str]) -> tuple[AccountTarget, ...]:
    """Optional: [{"account": "<12 digits>", "roleArn": "arn:aws:iam::<same account>:role/<name>"}, ...]."""
    if value is None:
        return ()
    if not isinstance(value, list) or not value:
        problems.append(f"accounts: expected a non-empty list of {{account, roleArn}} (or no key), got {value!r}")
        return ()
    accounts: list[AccountTarget] = []
    for i, entry in enumerate(value):
        where = f"accounts[{i}]"
        if not isinstance(entry, dict):
            problems.append(f"{where}: expected an object {{account, roleArn}}, got {entry!r}")
            continue
        account: Any = entry.get("account")
        role_arn: Any = entry.get("roleArn")
        if not isinstance(account, str) or not ACCOUNT_ID.fullmatch(account):
            problems.append(f"{where}.account: expected a 12-digit account id, got {account!r}")
            continue
        match = ROLE_ARN.fullmatch(role_arn) if isinstance(role_arn, str) else None
        if match is None or match.group(1) != account:
            problems.append(f"{where}.roleArn: expected the ARN of a role in account {account}, got {role_arn!r}")
            continue
        if any(a.account == account for a in accounts):
            problems.append(f"{where}.account: {account} is listed twice")
            continue
        accounts.append(AccountTarget(account=account, role_arn=role_arn))
    return tuple(accounts)


def _lock(value: Any, problems: list[str]) -> LockTable:
    """Required: {"table": "<DynamoDB table name>", "region": "<region>"}."""
    if not isinstance(value, dict):
        problems.append(f"lock: expected an object {{table, region}}, got {value!r}")
        return LockTable("", "")
    table: Any = value.get("table")
    region: Any = value.get("region")
    if not isinstance(table, str) or not TABLE_NAME.fullmatch(table):
        problems.append(f"lock.table: expected a DynamoDB table name, got {table!r}")
    if not isinstance(region, str) or not REGION.fullmatch(region):
        problems.append(f"lock.region: expected a region name, got {region!r}")
    return LockTable(str(table), str(region))


def _cost_tags(value: Any, problems: list[str]) -> tuple[str, ...]:
    """Optional: the list of cost tag keys."""
    if value is None:
        return ()
    if not isinstance(value, list):
        problems.append(f"costTags: expected a list of tag keys, got {value!r}")
        return ()
    return tuple(key for i, item in enumerate(value) if (key := tag_key(item, f"costTags[{i}]", problems)))
