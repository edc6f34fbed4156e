"""One checkov run per session over every fixture template of templates.py, with the AiFinOps checks and the
policy written from the reference finops.yaml; tests then look up each resource's results."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

import pytest

from aifinops.policies.checkov.aif_policy import ENV_VAR
from aifinops.policies.checkov_policy import write_checkov_policy
from aifinops.policies.resource_facts.aif_twins import TWINS
from tests.conftest import ROOT
from tests.policies.checkov.harness import CheckovRun
from tests.policies.checkov.templates import TEMPLATES

CHECKOV = ROOT / ".venv-checkov" / "bin" / "checkov"
CHECKS_DIR = ROOT / "aifinops" / "policies" / "checkov"
INSTALL = "python3 -m venv .venv-checkov && .venv-checkov/bin/pip install -r requirements/checkov.txt"


CHECK_IDS = ",".join(TWINS.values())


def write_templates(directory: Path, templates: dict[str, dict[str, Any]]) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    for name, resources in templates.items():
        document = {"AWSTemplateFormatVersion": "2010-09-09", "Resources": resources}
        (directory / name).write_text(json.dumps(document, indent=1), encoding="utf-8")
    return directory


def run_checkov(templates: Path, policy: Path | None) -> CheckovRun:
    """checkov with the AiFinOps checks only, on `templates`, with `policy` (None: the variable unset)."""
    if not CHECKOV.exists():
        pytest.fail(f"checkov is not installed at {CHECKOV}: `make test` builds it, or run: {INSTALL}")
    env = {k: v for k, v in os.environ.items() if k != ENV_VAR}
    if policy is not None:
        env[ENV_VAR] = str(policy)
    completed = subprocess.run(
        [str(CHECKOV), "-d", str(templates), "--framework", "cloudformation", "--external-checks-dir",
         str(CHECKS_DIR), "--skip-download", "-o", "json", "--check", CHECK_IDS],
        capture_output=True, text=True, env=env, check=False, timeout=300)
    assert completed.returncode in (0, 1), completed.stderr[-3000:]
    run = CheckovRun(json.loads(completed.stdout))
    assert run.results, f"checkov reported no AiFinOps result: did the checks load?\n{completed.stderr[-3000:]}"
    return run


@pytest.fixture(scope="session")
def checkov_run(tmp_path_factory: pytest.TempPathFactory, config: Any) -> CheckovRun:
    root = tmp_path_factory.mktemp("checkov")
    policy = write_checkov_policy(config, root / "policy.json")
    return run_checkov(write_templates(root / "templates", TEMPLATES), policy)
