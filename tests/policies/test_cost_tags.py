"""The pure cost tag rules: required keys, closed value sets, unresolved values."""

from __future__ import annotations

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from aifinops.config import ConfigError, FinOpsConfig, load, parse
from aifinops.policies.checkov.aif_policy import parse_policy
from aifinops.policies.checkov_policy import checkov_policy
from aifinops.policies.cost_tags import MISSING, WRONG_VALUE, check_tags
from tests.conftest import REFERENCE_CONFIG

REFERENCE = load(REFERENCE_CONFIG)  # module level: hypothesis re-runs the test body many times

GOOD = {"team": "search", "project": "ranker", "model": "anthropic.claude-haiku-4-5-20251001-v1:0",
        "environment": "dev", "task-type": "generation"}


def test_complete_and_allowed_tags_pass(config: FinOpsConfig) -> None:
    assert check_tags(GOOD, config) == []


def test_explicit_none_and_multiple_are_allowed_models(config: FinOpsConfig) -> None:
    assert check_tags({**GOOD, "model": "none"}, config) == []
    assert check_tags({**GOOD, "model": "multiple"}, config) == []


def test_missing_key_names_key_and_allowed_values(config: FinOpsConfig) -> None:
    tags = {k: v for k, v in GOOD.items() if k != "team"}
    [problem] = check_tags(tags, config)
    assert problem.rule == MISSING and problem.key == "team"
    assert "search, vision, assistant, research" in problem.message


def test_empty_value_counts_as_missing(config: FinOpsConfig) -> None:
    [problem] = check_tags({**GOOD, "project": ""}, config)
    assert problem.rule == MISSING and problem.key == "project"


def test_wrong_values_are_named(config: FinOpsConfig) -> None:
    problems = check_tags({**GOOD, "environment": "qa", "task-type": "chat", "model": "gpt-9"}, config)
    assert {(p.rule, p.key) for p in problems} == {(WRONG_VALUE, "environment"), (WRONG_VALUE, "task-type"),
                                                  (WRONG_VALUE, "model")}
    assert any("'qa'" in p.message and "dev, staging, prod" in p.message for p in problems)


def test_project_must_belong_to_the_team(config: FinOpsConfig) -> None:
    [problem] = check_tags({**GOOD, "project": "captioning"}, config)  # a vision project
    assert problem.key == "project" and "ranker, query-rewrite" in problem.message


def test_unresolved_value_counts_as_present(config: FinOpsConfig) -> None:
    assert check_tags({**GOOD, "project": None}, config) == []


@given(st.sets(st.sampled_from(sorted(GOOD))))
def test_exactly_the_removed_keys_are_reported(removed: set[str]) -> None:
    tags = {k: v for k, v in GOOD.items() if k not in removed}
    problems = check_tags(tags, REFERENCE)
    assert {p.key for p in problems} == removed
    assert all(p.rule == MISSING for p in problems)


def test_template_tags_read_like_the_checkov_checks_and_nag_rules() -> None:
    """A conditional tag item (Fn::If) names its key: present, value not judged; AWS::NoValue adds nothing."""
    from aifinops.policies.cost_tags import read_template_tags

    tags = [{"Key": "team", "Value": "search"},
            {"Fn::If": ["IsProd", {"Key": "environment", "Value": "prod"}, {"Key": "environment", "Value": "dev"}]},
            {"Fn::If": ["HasOwner", {"Key": "owner", "Value": {"Ref": "Owner"}}, {"Ref": "AWS::NoValue"}]}]
    assert read_template_tags(tags) == {"team": "search", "environment": None, "owner": None}
    assert read_template_tags({"Ref": "Tags"}) == {} and read_template_tags(None) == {}
    assert read_template_tags({"team": "search", "project": {"Ref": "P"}}) == {"team": "search", "project": None}


def test_shared_infrastructure_values_pass_every_check() -> None:
    """`tags.shared`: a resource owned by no team (a shared VPC) passes the cost tag check and the checkov
    policy with the shared values; a shared team takes only shared.project; the environment cannot be shared."""
    data = yaml.safe_load(REFERENCE_CONFIG.read_text())
    data["tags"]["shared"] = {"team": ["platform"], "project": ["shared"], "task-type": ["infrastructure"]}
    shared = parse(data)
    tags = {"team": "platform", "project": "shared", "model": "none", "environment": "dev",
            "task-type": "infrastructure"}
    assert check_tags(tags, shared) == []
    assert [p.key for p in check_tags({**tags, "project": "ranker"}, shared)] == ["project"]
    assert [p.key for p in check_tags({**tags, "team": "platfrom"}, shared)] == ["team"]
    policy = parse_policy(checkov_policy(shared))
    assert policy.tag_problems(tags) == []
    assert policy.tag_problems({**tags, "project": "ranker"}) != []
    data["tags"]["shared"] = {"environment": ["shared"]}
    with pytest.raises(ConfigError, match=r"tags\.shared\.environment: the environment cannot be shared"):
        parse(data)
