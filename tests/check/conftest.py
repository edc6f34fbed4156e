"""The insecure sample app synthesized once, and checkov and cfn-lint run on it once, per session."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from aifinops.check.assembly import CloudAssembly, read_assembly
from aifinops.check.command import collect
from aifinops.check.findings import ToolResult
from aifinops.check.marker_key import SECURITY_CHECKS_KEY
from tests.conftest import ROOT

INSECURE_APP = ROOT / "tests" / "apps" / "insecure_app.py"
PACKS = ("AiFinOps", "AwsSolutions")


@dataclass(frozen=True)
class Checked:
    assembly: CloudAssembly
    results: dict[str, ToolResult]  # by tool name, in the order `aifinops check` runs them
    reports: Path  # where that run wrote its SARIF and JUnit


@pytest.fixture(scope="session")
def insecure_out(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Synthesized as a user would (a CDK app in its own process); AwsSolutions fails it, which is the point."""
    outdir = tmp_path_factory.mktemp("insecure") / "cdk.out"
    completed = subprocess.run([sys.executable, str(INSECURE_APP)], env={**os.environ, "CDK_OUTDIR": str(outdir)},
                               capture_output=True, text=True, check=False, cwd=ROOT)
    assert completed.returncode == 1, completed.stderr[-2000:]
    assert "ValidationFailed" in completed.stderr
    return outdir


@pytest.fixture(scope="session")
def insecure(insecure_out: Path, tmp_path_factory: pytest.TempPathFactory) -> Checked:
    """What `aifinops check --cdk-out` collects on it: every tool really runs, once per session."""
    reports = tmp_path_factory.mktemp("reports")
    results = collect(insecure_out, reports, None)
    return Checked(read_assembly(insecure_out), {r.tool: r for r in results}, reports)


def write_assembly(root: Path, resources: dict[str, object] | None = None, *,
                   packs: tuple[str, ...] | None = PACKS, report: bool = True) -> Path:
    """A minimal cloud assembly, as the CDK lays it out, with one stack "Clean" of the given resources (default:
    one WaitConditionHandle, which no tool flags). `resources={}` writes a manifest without any stack.

    By default it is what a synthesis with the packs attached leaves when they find nothing: the stack's template
    carries the marker of `aifinops.check.marker` and validation-report.json lists no plugin. `packs=None` drops
    the marker, `report=False` the report."""
    root.mkdir(parents=True, exist_ok=True)
    artifacts: dict[str, object] = {}
    if resources != {}:
        template: dict[str, object] = {
            "Resources": resources or {"Handle": {"Type": "AWS::CloudFormation::WaitConditionHandle"}}}
        if packs is not None:
            template["Metadata"] = {SECURITY_CHECKS_KEY: list(packs)}
        (root / "Clean.template.json").write_text(json.dumps(template, indent=1))
        (root / "Clean.metadata.json").write_text(json.dumps(
            {"/Clean/Handle": [{"type": "aws:cdk:logicalId", "data": "Handle"}]}))
        artifacts["Clean"] = {"type": "aws:cloudformation:stack", "environment": "aws://111111111111/us-east-1",
                              "properties": {"templateFile": "Clean.template.json"},
                              "additionalMetadataFile": "Clean.metadata.json", "displayName": "Clean"}
    (root / "manifest.json").write_text(json.dumps({"version": "55.0.0", "artifacts": artifacts}))
    if report:
        (root / "validation-report.json").write_text(json.dumps(
            {"version": "55.0.0", "title": "Validation Report", "pluginReports": []}))
    return root
