"""The cdk-nag rules and the checkov checks cover the same resource types: the checks, loaded the way checkov
loads them (top-level modules, in checkov's own environment), report the types each nag rule reads."""

from __future__ import annotations

import json
import subprocess

import pytest
from cdk_nag import NagMessageLevel

from aifinops.naming import NAME_PREFIX
from aifinops.policies.nag.pack import RULES
from aifinops.policies.nag.rules_doc import rules_markdown
from aifinops.policies.resource_facts import aif_topics
from aifinops.policies.resource_facts.aif_twins import TWINS
from tests.conftest import ROOT

CHECKOV_PYTHON = ROOT / ".venv-checkov" / "bin" / "python"
CHECKS_DIR = ROOT / "aifinops" / "policies" / "checkov"
BY_ID = {rule.rule_id: rule for rule in RULES}
PAIRS = {check: BY_ID[rule] for rule, check in TWINS.items()}
# Prints {check id: resource types} of every check module, imported as checkov imports them.
PROBE = """
import importlib, json, pathlib, sys
sys.path.insert(0, sys.argv[1])
from checkov.common.checks_infra.registry import get_graph_checks_registry
found = {}
for path in sorted(pathlib.Path(sys.argv[1]).glob("ckv_aif_*.py")):
    module = importlib.import_module(path.stem)
    graph = {c.id: c for c in get_graph_checks_registry("cloudformation").checks}
    check = getattr(module, "check", None) or graph[module.CHECK_ID]
    found[check.id] = sorted(getattr(check, "supported_resources", None) or check.resource_types)
print(json.dumps(found))
"""


@pytest.fixture(scope="module")
def checkov_types() -> dict[str, list[str]]:
    if not CHECKOV_PYTHON.exists():
        pytest.fail(f"checkov's environment is missing at {CHECKOV_PYTHON}: `make test` builds it")
    completed = subprocess.run([str(CHECKOV_PYTHON), "-c", PROBE, str(CHECKS_DIR)], capture_output=True, text=True,
                               check=False, timeout=120, cwd="/")
    assert completed.returncode == 0, completed.stderr[-3000:]
    return dict(json.loads(completed.stdout))


def test_every_check_has_a_nag_rule(checkov_types: dict[str, list[str]]) -> None:
    assert set(checkov_types) == set(PAIRS)


@pytest.mark.parametrize("check_id", sorted(PAIRS))
def test_each_rule_reads_the_types_of_its_check(checkov_types: dict[str, list[str]], check_id: str) -> None:
    assert sorted(PAIRS[check_id].resource_types) == checkov_types[check_id]


@pytest.mark.parametrize("check_id", sorted(PAIRS))
def test_twins_have_one_level_and_one_section(check_id: str) -> None:
    """checkov reports the custom checks at error level (it has no severity offline): so do their nag twins;
    RULES.md documents both, the rule naming its twin."""
    rule = PAIRS[check_id]
    assert rule.level == NagMessageLevel.ERROR
    text = rules_markdown()
    section = text.split(f"## {rule.rule_id} ")[1].split("\n## ")[0]
    assert f"[{check_id}](#{check_id.lower()})" in section
    assert f"\n## {check_id} " in text


def test_the_pack_topic_prefix_is_the_pack_name_prefix() -> None:
    assert f"{NAME_PREFIX}-" == aif_topics.NAME_PREFIX
