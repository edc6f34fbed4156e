"""Contract: the policy JSON that checkov_policy writes, read back by the checks' own loader (aif_policy, which
runs in checkov's environment without aifinops), judges tags and instance types as aifinops itself does."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from aifinops.catalog import accelerator_catalog, parse_instance_type
from aifinops.config import FinOpsConfig, load
from aifinops.policies.checkov import aif_policy
from aifinops.policies.checkov_policy import checkov_policy, write_checkov_policy
from aifinops.policies.cost_tags import MISSING, WRONG_VALUE, check_tags
from tests.conftest import REFERENCE_CONFIG

REFERENCE = load(REFERENCE_CONFIG)  # module level: hypothesis re-runs the test body many times
POLICY = aif_policy.parse_policy(json.loads(json.dumps(checkov_policy(REFERENCE))))

VALUES = {
    "team": ["search", "vision", "nobody", ""],
    "project": ["ranker", "defect-detect", "eval-harness", "anything", ""],
    "model": ["none", "llama-3-1-8b-custom", "anthropic.claude-opus-4-7", "eu.amazon.nova-lite-v1:0", "gpt-9",
              "us.unknown-model", ""],
    "environment": ["dev", "prod", "qa", ""],
    "task-type": ["training", "chat", ""],
}
tags_strategy = st.fixed_dictionaries({}, optional={
    key: st.one_of(st.sampled_from(values), st.none()) for key, values in VALUES.items()})


def _kinds_from_checkov(problems: list[str]) -> set[tuple[str, str]]:
    found = set()
    for problem in problems:
        match = re.match(r"(required )?cost tag '([^']+)' (is missing|has value)", problem)
        assert match, problem
        found.add((MISSING if match.group(1) else WRONG_VALUE, match.group(2)))
    return found


@given(tags_strategy)
def test_tag_verdicts_match_cost_tags(tags: dict[str, str | None]) -> None:
    expected = {(p.rule, p.key) for p in check_tags(tags, REFERENCE)}
    assert _kinds_from_checkov(POLICY.tag_problems(tags)) == expected


INSTANCE_TYPES = ["g5.xlarge", "g5", "g6e.2xlarge", "p5.48xlarge", "ml.g5.xlarge", "ml.g4dn.xlarge", "ml.g6.xlarge",
                  "ml.p5.48xlarge", "t3.micro", "ml.t3.medium", "trn1.32xlarge", "inf2", "optimal"]


@pytest.mark.parametrize("instance_type", INSTANCE_TYPES)
def test_allowed_types_match_the_config(config: FinOpsConfig, instance_type: str) -> None:
    for name, environment in config.environments.items():
        rules = POLICY.environments[name]
        assert aif_policy.allows(rules, instance_type) == environment.allows_instance_type(instance_type), name


@pytest.mark.parametrize("instance_type", INSTANCE_TYPES)
def test_accelerated_types_match_the_catalog(instance_type: str) -> None:
    parsed = parse_instance_type(instance_type)
    family = accelerator_catalog().family(parsed.family)
    expected = family is not None and (family.sagemaker or not parsed.sagemaker)
    assert POLICY.is_accelerated(instance_type) == expected


def test_environment_facts_round_trip(config: FinOpsConfig) -> None:
    assert {name: (rules.production, rules.max_training_hours) for name, rules in POLICY.environments.items()} == {
        name: (env.production, env.max_training_hours) for name, env in config.environments.items()}


def test_written_file_is_what_the_checks_load(config: FinOpsConfig, tmp_path: Path) -> None:
    path = write_checkov_policy(config, tmp_path / "nested" / "policy.json")
    assert aif_policy.load_policy(str(path)) == POLICY


def test_unset_variable_makes_the_policy_unavailable_and_says_what_to_do() -> None:
    with pytest.raises(aif_policy.PolicyUnavailable, match=f"{aif_policy.ENV_VAR} is not set.*aifinops check"):
        aif_policy.load_policy(None)


@pytest.mark.parametrize(("content", "message"), [
    ('{"version": 99}', "version 99 is not supported"),
    ('{"version": 1, "tags": {}}', "malformed AiFinOps policy"),
    ("not json", "cannot read the AiFinOps policy"),
])
def test_unusable_policy_files_are_refused(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "policy.json"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(aif_policy.PolicyUnavailable, match=message):
        aif_policy.load_policy(str(path))
