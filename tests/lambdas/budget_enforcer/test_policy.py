"""The enforcer's policy: the contract with aifinops.policies.budget_policy, and every problem reported."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import pytest

from aifinops.config import FinOpsConfig, budget_names
from aifinops.lambdas.budget_enforcer.policy import (
    ENV_VAR,
    BudgetTarget,
    LockTable,
    PolicyError,
    load_policy,
    parse_policy,
)
from aifinops.policies import budget_policy
from aifinops.policies.budget_policy import enforcer_policy, enforcer_policy_json


def test_round_trip_of_the_reference_policy(config: FinOpsConfig) -> None:
    assert ENV_VAR == budget_policy.ENV_VAR
    policy = parse_policy(enforcer_policy_json(config))
    assert set(policy.budgets) == set(budget_names(config))
    assert policy.budgets["aifinops-search-ranker"] == BudgetTarget("aifinops-search-ranker", "search", "ranker", True)
    assert policy.budgets["aifinops-assistant"].pause is False  # critical team: notify only
    assert policy.team_budget("search") == BudgetTarget("aifinops-search", "search", None, True)
    assert policy.team_budget("nobody") is None
    assert policy.teams() == sorted(t.name for t in config.teams)
    assert (policy.team_tag, policy.project_tag, policy.critical_tag, policy.paused_tag) == (
        "team", "project", "aifinops:critical", "aifinops:paused-by")
    assert policy.action_percent == Decimal(config.budgets.action_percent)
    assert policy.regions == tuple(config.organization.regions)
    assert policy.lock == LockTable("aifinops-budget-locks", "us-east-1")
    assert policy.cost_tags == tuple(config.tags.required) == policy.known_cost_tags()


def test_the_lock_is_required_and_checked(config: FinOpsConfig) -> None:
    doc: dict[str, Any] = enforcer_policy(config)
    del doc["lock"]
    with pytest.raises(PolicyError, match=r"lock: expected an object \{table, region\}"):
        parse_policy(json.dumps(doc))
    doc["lock"] = {"table": "a b", "region": "mars"}
    with pytest.raises(PolicyError) as raised:
        parse_policy(json.dumps(doc))
    assert [p.split(":")[0] for p in raised.value.problems] == ["lock.table", "lock.region"]
    assert parse_policy(enforcer_policy_json(config, lock_region="eu-west-1")).lock.region == "eu-west-1"


def test_cost_tags_are_optional_and_the_team_and_project_keys_always_known(config: FinOpsConfig) -> None:
    doc: dict[str, Any] = enforcer_policy(config)
    del doc["costTags"]
    assert parse_policy(json.dumps(doc)).known_cost_tags() == ("team", "project")
    doc["costTags"] = ["team", ""]
    with pytest.raises(PolicyError, match=r"costTags\[1\]: expected a tag key"):
        parse_policy(json.dumps(doc))


def test_every_problem_is_reported_at_once(config: FinOpsConfig) -> None:
    doc: dict[str, Any] = enforcer_policy(config)
    doc.update(version=2, teamTag="", actionPercent=0, regions=[])
    doc["budgets"]["aifinops-search"] = {"team": "", "project": 3, "pause": "yes"}
    with pytest.raises(PolicyError) as raised:
        parse_policy(json.dumps(doc))
    problems = raised.value.problems
    assert [p.split(":")[0] for p in problems] == [
        "version", "teamTag", "actionPercent", "regions", "budgets.aifinops-search.team",
        "budgets.aifinops-search.project", "budgets.aifinops-search.pause"]


@pytest.mark.parametrize(("text", "problem"), [
    ("", "not JSON"),
    ("[]", "expected a JSON object"),
    ('{"version": 1}', "budgets: expected a non-empty object"),
    ('{"version": 1, "actionPercent": true}', "actionPercent: expected a number"),
])
def test_malformed(text: str, problem: str) -> None:
    with pytest.raises(PolicyError, match=problem):
        parse_policy(text)


def test_load_policy_reads_the_environment(config: FinOpsConfig) -> None:
    assert load_policy({ENV_VAR: enforcer_policy_json(config)}).budgets
    with pytest.raises(PolicyError, match=f"{ENV_VAR} is not set"):
        load_policy({})
