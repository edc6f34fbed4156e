"""The cdk-nag rules and the checkov checks cover the same resource types: the checks, loaded the way checkov
loads them (top-level modules, in checkov's own environment), report the types each nag rule reads."""

from __future__ import annotations

import json
import subprocess

import pytest

from aifinops.policies.nag.rules import accelerator_types, cost_tags, endpoint_scaling, job_time_limit
from tests.conftest import ROOT

CHECKOV_PYTHON = ROOT / ".venv-checkov" / "bin" / "python"
CHECKS_DIR = ROOT / "aifinops" / "policies" / "checkov"
PAIRS = {"CKV_AIF_1": cost_tags.RULE, "CKV_AIF_2": accelerator_types.RULE, "CKV_AIF_3": endpoint_scaling.RULE,
         "CKV_AIF_4": job_time_limit.RULE}
# Prints {check id: resource types} of every check module, imported as checkov imports them.
PROBE = """
import importlib, json, pathlib, sys
sys.path.insert(0, sys.argv[1])
found = {}
for path in sorted(pathlib.Path(sys.argv[1]).glob("ckv_aif_*.py")):
    module = importlib.import_module(path.stem)
    check = getattr(module, "check", None) or module.EndpointScaling()
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
