"""The example workflow works for a user's repository: it installs aifinops (with cfn-lint), checkov (own venv) and
the CDK CLI itself, points `aifinops check` at that checkov, and uploads SARIF only where it may."""

from __future__ import annotations

import json
import re
import subprocess
from typing import Any

import pytest
import yaml

from aifinops.check.checkov_runner import ENV_BINARY
from tests.conftest import ROOT

WORKFLOW = ROOT / ".github" / "workflows" / "aifinops-check.yml"


@pytest.fixture(scope="module")
def workflow() -> dict[str, Any]:
    document: dict[str, Any] = yaml.safe_load(WORKFLOW.read_text())
    return document


def _steps(workflow: dict[str, Any]) -> list[dict[str, Any]]:
    steps: list[dict[str, Any]] = workflow["jobs"]["check"]["steps"]
    return steps


def _index(steps: list[dict[str, Any]], pattern: str) -> int:
    return next(i for i, s in enumerate(steps) if re.search(pattern, s.get("run", "")))


def test_permissions_are_what_code_scanning_needs_and_no_more(workflow: dict[str, Any]) -> None:
    assert workflow["permissions"] == {"contents": "read", "actions": "read", "security-events": "write"}


def test_everything_the_check_needs_is_installed_before_it_runs(workflow: dict[str, Any]) -> None:
    steps, env = _steps(workflow), workflow["env"]
    assert env["AIFINOPS"].startswith("aifinops @ git+https://")  # the stated assumption: from git, at a tag
    install = _index(steps, r'pip install .*"\$AIFINOPS"')
    checkov = _index(steps, r'-m venv "\$RUNNER_TEMP/checkov"')
    assert '"$CHECKOV"' in steps[checkov]["run"]
    assert f'echo "{ENV_BINARY}=$RUNNER_TEMP/checkov/bin/checkov" >> "$GITHUB_ENV"' in steps[checkov]["run"]
    cdk = _index(steps, r"npm ci")
    assert '"$CDK_CLI"' in steps[cdk]["run"]
    pinned = json.loads((ROOT / "package.json").read_text())["devDependencies"]["aws-cdk"]
    assert env["CDK_CLI"] == "aws-cdk@" + pinned.lstrip("~^").rsplit(".", 1)[0]  # the CLI version this repo pins
    review = _index(steps, r"^aifinops check ")
    assert max(install, checkov, cdk) < review
    assert "make" not in steps[review]["run"]


def test_sarif_is_uploaded_even_on_failure_but_never_from_a_fork(workflow: dict[str, Any]) -> None:
    upload = next(s for s in _steps(workflow) if str(s.get("uses", "")).startswith("github/codeql-action/upload-sarif"))
    condition = " ".join(upload["if"].split())
    assert "!cancelled()" in condition
    assert "github.event_name != 'pull_request' || github.event.pull_request.head.repo.full_name == " \
           "github.repository" in condition
    assert "GitHub Advanced Security" in WORKFLOW.read_text()  # private repositories need it for code scanning


def test_every_shell_step_parses(workflow: dict[str, Any]) -> None:
    for step in _steps(workflow):
        if "run" in step:
            completed = subprocess.run(["bash", "-n", "-c", step["run"]], capture_output=True, text=True, check=False)
            assert completed.returncode == 0, (step.get("name"), completed.stderr)
