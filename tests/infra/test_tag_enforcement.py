"""A missing or wrong cost tag fails synthesis, for `python app.py` and for `cdk synth` alike,
naming the construct path, the key and the allowed values."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT

APP = ROOT / "tests" / "apps" / "tag_violation_app.py"
MISSING_PATH = "aifinops-workloads-dev-search/search-rewrite-dev/Profile0"
WRONG_PATH = "aifinops-workloads-staging-vision/vision-caption-stg/Profile0"


def assert_names_both_violations(output: str, outdir: Path) -> None:
    assert "required cost tag 'project' is missing; allowed values: ranker, query-rewrite" in output
    assert MISSING_PATH in output
    assert "cost tag 'team' has value 'nobody', which is not allowed; allowed values: search, vision, " \
           "assistant, research" in output
    assert WRONG_PATH in output
    reports = json.loads((outdir / "validation-report.json").read_text())["pluginReports"]
    [plugin] = [r for r in reports if r["pluginName"] == "AiFinOpsCostTags"]  # cdk-nag's packs report too
    assert plugin["conclusion"] == "failure"
    flagged = {(v["ruleName"], c["constructPath"]) for v in plugin["violations"] for c in v["violatingConstructs"]}
    assert ("cost-tag-missing", MISSING_PATH) in flagged
    assert ("cost-tag-value", WRONG_PATH) in flagged


def test_python_app_fails(tmp_path: Path) -> None:
    env = {**os.environ, "CDK_OUTDIR": str(tmp_path)}
    result = subprocess.run([sys.executable, str(APP)], cwd=ROOT, env=env, capture_output=True, text=True,
                            timeout=300)
    assert result.returncode == 1
    assert_names_both_violations(result.stdout + result.stderr, tmp_path)


@pytest.mark.cli
def test_cdk_synth_fails(tmp_path: Path) -> None:
    command = ["cdk", "synth", "--quiet", "--app", f"{sys.executable} {APP}", "--output", str(tmp_path)]
    result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert result.returncode == 1
    assert_names_both_violations(result.stdout + result.stderr, tmp_path)
