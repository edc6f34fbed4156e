"""Near misses on a budget's resources (pure): which resources they make uncertain or critical, and what is
reported. The inventory pass and the summary are covered end to end in tests/e2e/test_budget_enforcer_races.py."""

from __future__ import annotations

import pytest

from aifinops.config import FinOpsConfig
from aifinops.lambdas.budget_enforcer.near_miss import CRITICAL, REPORTED, TEAM_UNCERTAIN, critical_by, tag_reading
from aifinops.lambdas.budget_enforcer.policy import Policy, parse_policy
from aifinops.policies.budget_policy import enforcer_policy_json

TEAM = {"team": "search"}
PROJECT = {"team": "search", "project": "ranker"}


@pytest.fixture(scope="module")
def policy(config: FinOpsConfig) -> Policy:
    return parse_policy(enforcer_policy_json(config))


def misses(tags: dict[str, str], policy: Policy, wanted: dict[str, str] = TEAM) -> set[tuple[str, str, str]]:
    reading = tag_reading(tags, wanted, policy)
    assert reading is not None
    return {(m.tag, m.looks_like, m.effect) for m in reading.misses}


def test_the_teams_resource_without_near_misses(policy: Policy) -> None:
    reading = tag_reading({**PROJECT, "owner": "x"}, TEAM, policy)
    assert reading is not None and not reading.uncertain and reading.critical is None and reading.misses == ()


@pytest.mark.parametrize("tags", [{"team": "vision"}, {"owner": "x"}, {"Team": "vision"}, {"team": "Search"},
                                  {"team": "search", "Team": "search", "teams": "x"} | {"team": "vision"}])
def test_other_teams_and_untagged_resources_are_not_read(policy: Policy, tags: dict[str, str]) -> None:
    assert tag_reading(tags, TEAM, policy) is None


@pytest.mark.parametrize("key", ["Team", "TEAM", "team ", "_team"])
def test_a_near_miss_of_the_team_key_with_the_team_makes_it_uncertain(policy: Policy, key: str) -> None:
    reading = tag_reading({key: " Search"}, TEAM, policy)
    assert reading is not None and reading.uncertain
    assert {(m.tag, m.looks_like, m.effect) for m in reading.misses} == {(key, "team", TEAM_UNCERTAIN)}


def test_a_project_budget_reads_the_project_key_the_same_way(policy: Policy) -> None:
    reading = tag_reading({"team": "search", "Project": "ranker"}, PROJECT, policy)
    assert reading is not None and reading.uncertain
    assert tag_reading({"team": "search", "Project": "other"}, PROJECT, policy) is None
    assert misses({**PROJECT, "Project": "other"}, policy, PROJECT) == {("Project", "project", REPORTED)}


@pytest.mark.parametrize(("key", "value", "critical"), [
    ("aifinops:Critical", "true", True), ("aifinops:critcal", "TRUE", True), ("critical", "true", True),
    ("AIFINOPS_CRITICAL", " true ", True), ("aifinops:Critical", "false", False), ("aifinops:critcal", "yes", False),
])
def test_a_near_miss_of_the_criticality_key(policy: Policy, key: str, value: str, critical: bool) -> None:
    tags = {**TEAM, key: value}
    assert critical_by(tags, policy) == (key if critical else None)
    assert misses(tags, policy) == {(key, "aifinops:critical", CRITICAL if critical else REPORTED)}


def test_any_true_wins_and_the_exact_key_is_not_a_near_miss(policy: Policy) -> None:
    assert critical_by({"aifinops:critical": "false", "aifinops:Critical": "true"}, policy) == "aifinops:Critical"
    exact = {**TEAM, "aifinops:critical": "true", "aifinops:Critical": "true"}
    assert critical_by(exact, policy) == "aifinops:critical"
    assert misses(exact, policy) == {("aifinops:Critical", "aifinops:critical", REPORTED)}


def test_other_keys_are_reported_only(policy: Policy) -> None:
    tags = {**TEAM, "Model": "x", "enviroment": "dev", "Task_Type": "x", "aifinops:Paused-By": "x", "Team": "y"}
    assert misses(tags, policy) == {("Model", "model", REPORTED), ("enviroment", "environment", REPORTED),
                                    ("Task_Type", "task-type", REPORTED), ("aifinops:Paused-By", "aifinops:paused-by",
                                                                          REPORTED), ("Team", "team", REPORTED)}
