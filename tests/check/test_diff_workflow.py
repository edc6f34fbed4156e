"""The example diff workflow: safe to copy (pinned actions, no credentials kept, least permissions, untrusted values
only through the environment, zizmor finds nothing), and it does what the README says: synthesizes the head,
diffs against the base branch with --git-base, posts one comment found by the renderer's marker, then gates."""

from __future__ import annotations

import re
import tomllib
from typing import Any

import pytest
import yaml

from aifinops.cost_diff_render import MARKER
from tests.check.test_workflow import PINNED_USES, _zizmor_findings
from tests.conftest import ROOT

WORKFLOW = ROOT / ".github" / "workflows" / "aifinops-diff.yml"
CHECK_WORKFLOW = ROOT / ".github" / "workflows" / "aifinops-check.yml"


@pytest.fixture(scope="module")
def workflow() -> dict[str, Any]:
    document: dict[str, Any] = yaml.safe_load(WORKFLOW.read_text())
    return document


def test_pinned_like_the_check_workflow_and_no_credentials_kept(workflow: dict[str, Any]) -> None:
    uses = [line for line in WORKFLOW.read_text().splitlines() if re.match(r"^\s*(-\s+)?uses:", line)]
    assert uses and all(PINNED_USES.match(line) for line in uses)
    check_pins = {m.group("action"): m.group("sha") for line in CHECK_WORKFLOW.read_text().splitlines()
                  if (m := PINNED_USES.match(line))}
    for line in uses:
        found = PINNED_USES.match(line)
        assert found and check_pins[found.group("action")] == found.group("sha")
    [checkout] = [s for s in workflow["jobs"]["diff"]["steps"] if str(s.get("uses", "")).startswith("actions/checkout")]
    assert checkout["with"]["persist-credentials"] is False and checkout["with"]["fetch-depth"] == 0


def test_least_permissions_and_the_released_version(workflow: dict[str, Any]) -> None:
    assert workflow["permissions"] == {}
    assert workflow["jobs"]["diff"]["permissions"] == {"contents": "read", "pull-requests": "write"}
    version = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]
    assert workflow["env"]["AIFINOPS"] == f"aifinops=={version}"


def test_synthesize_diff_comment_then_gate(workflow: dict[str, Any]) -> None:
    steps = workflow["jobs"]["diff"]["steps"]
    runs = [s.get("run", "") for s in steps]
    synth = next(i for i, r in enumerate(runs) if "cdk synth" in r)
    diff = next(i for i, r in enumerate(runs) if "aifinops diff --git-base" in r)
    comment = next(i for i, r in enumerate(runs) if "gh api" in r)
    gate = next(i for i, s in enumerate(steps) if s.get("name") == "Budget gate")
    assert synth < diff < comment < gate
    assert "--fail-over-budget" in runs[diff] and "--format markdown" in runs[diff]
    assert f'startswith("{MARKER}")' in runs[comment]  # finds its own comment by the renderer's marker
    assert "${{" not in runs[diff] + runs[comment]  # untrusted values reach the shell only through env


def test_zizmor_finds_nothing() -> None:
    assert _zizmor_findings(WORKFLOW) == []
