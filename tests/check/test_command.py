"""`aifinops check`: its exit codes, and that its output names every violation of the insecure sample app."""

from __future__ import annotations

import json
import shutil
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from aifinops.check import command
from aifinops.check.assembly import CheckInputError
from aifinops.check.checkov_runner import ENV_BINARY, INSTALL_HINT, find_checkov
from aifinops.check.findings import ToolResult
from aifinops.check.synth import SynthError, synthesize
from aifinops.cli import app
from tests.apps.insecure_app import EXPECTED
from tests.check.conftest import INSECURE_APP, PACKS, Checked, write_assembly
from tests.conftest import ROOT

runner = CliRunner()


@pytest.fixture
def insecure_run(insecure: Checked, insecure_out: Path, monkeypatch: pytest.MonkeyPatch) -> Result:
    """The CLI on the insecure app; the tools' run is the session's (test_clean_assembly_passes runs them
    through the CLI for real), so each test pays for checkov once."""
    calls: list[tuple[Path | None, Path, Path | None, command.CheckOptions]] = []

    def collected(cdk_out: Path | None, output: Path, config: Path | None,
                  options: command.CheckOptions) -> list[ToolResult]:
        calls.append((cdk_out, output, config, options))
        return list(insecure.results.values())

    monkeypatch.setattr(command, "collect", collected)
    result = runner.invoke(app, ["check", "--cdk-out", str(insecure_out), "--output", "out"])
    assert calls == [(insecure_out, Path("out"), None, command.CheckOptions())]
    return result


def test_insecure_app_fails_and_every_violation_is_named(insecure_run: Result) -> None:
    result = insecure_run
    assert result.exit_code == 1, result.output
    failed = [line for line in result.stdout.splitlines() if line.startswith("FAILED ")]
    for tool, rule_id, path in EXPECTED:
        assert any(line.startswith(f"FAILED {tool} {rule_id} ") and f" {path}" in line for line in failed), \
            (tool, rule_id, path)
    assert "FAILED:" in result.stdout and "unacknowledged finding(s)" in result.stdout
    # checkov's own reason, not only the check's name
    assert any(line.startswith("FAILED checkov CKV_AIF_2 ") and "p5.48xlarge is not allowed in environment 'dev'"
               in line for line in failed)


def test_reports_are_written_to_the_output_folder(insecure: Checked) -> None:
    output = insecure.reports
    sarif = json.loads((output / "aifinops-check.sarif").read_text())
    assert sarif["version"] == "2.1.0"
    assert ET.parse(output / "aifinops-check.junit.xml").getroot().tag == "testsuites"


def test_clean_assembly_passes_and_says_what_ran(tmp_path: Path) -> None:
    """Packs attached (marker) and nothing found (no report entry): a pass, with the packs named."""
    result = runner.invoke(app, ["check", "--cdk-out", str(write_assembly(tmp_path / "cdk.out")),
                                 "--output", str(tmp_path / "reports")])
    assert result.exit_code == 0, result.output
    assert "PASSED: no unacknowledged finding;" in result.stdout
    assert "WARNING" not in result.stdout
    assert "AiFinOps, AwsSolutions" in result.stdout and "CKV_AIF custom checks" in result.stdout
    assert (tmp_path / "reports" / "aifinops-check.sarif").is_file()


@pytest.mark.parametrize("packs_report", [(None, True), (PACKS, False)], ids=["no-marker", "no-report"])
def test_no_evidence_that_the_packs_ran_is_bad_input(
        tmp_path: Path, packs_report: tuple[tuple[str, ...] | None, bool]) -> None:
    packs, report = packs_report
    cdk_out = write_assembly(tmp_path / "cdk.out", packs=packs, report=report)
    result = runner.invoke(app, ["check", "--cdk-out", str(cdk_out), "--output", str(tmp_path / "reports")])
    assert result.exit_code == 2, result.output
    message = " ".join(result.stderr.split())
    assert ": Clean." in message  # the stack, by name
    assert "aifinops.infra.attach_security_checks(app, config)" in message
    assert "Validations.of(app).add_plugins(" in message and "--allow-missing-validation" in message
    assert not (tmp_path / "reports").exists()


def test_without_packs_or_custom_checks_a_pass_needs_flags_and_says_so(tmp_path: Path,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    """No marker, no report, no finops.yaml: the missing config is refused (exit 2) even when the packs are let
    off; with both flags the run passes and says so in the verdict, the summary and the SARIF notifications."""
    write_assembly(tmp_path / "cdk.out", packs=None, report=False)
    monkeypatch.setenv(ENV_BINARY, str(find_checkov().resolve()))
    monkeypatch.chdir(tmp_path)  # no finops.yaml here
    refused = runner.invoke(app, ["check", "--cdk-out", "cdk.out", "--allow-missing-validation"])
    assert refused.exit_code == 2
    assert "--skip-custom-checks" in refused.stderr and "CKV_AIF" in refused.stderr
    result = runner.invoke(app, ["check", "--cdk-out", "cdk.out", "--output", "reports",
                                 "--allow-missing-validation", "--skip-custom-checks"])
    assert result.exit_code == 0, result.output
    stdout = " ".join(result.stdout.split())
    assert "PASSED: no unacknowledged finding (with 2 warning(s) above" in stdout
    assert "WARNING cdk validation: --allow-missing-validation: the CDK validation packs (cdk-nag) were NOT " \
           "verified on Clean" in stdout
    assert "WARNING checkov: --skip-custom-checks: the AiFinOps CKV_AIF custom checks" in stdout
    sarif = json.loads((tmp_path / "reports" / "aifinops-check.sarif").read_text())
    warnings = {run["tool"]["driver"]["name"]: [n["message"]["text"] for n in
                                                run["invocations"][0]["toolExecutionNotifications"]
                                                if n["level"] == "warning"]
                for run in sarif["runs"] if "invocations" in run}
    assert "--allow-missing-validation" in warnings["cdk validation"][0]
    assert "--skip-custom-checks" in warnings["checkov"][0]
    assert "CKV_AIF_1" not in (tmp_path / "reports" / "aifinops-check.junit.xml").read_text()


@pytest.mark.parametrize("case", ["missing", "no-templates"])
def test_bad_cdk_out_is_bad_input(tmp_path: Path, case: str) -> None:
    cdk_out = tmp_path / "cdk.out"
    if case == "no-templates":
        write_assembly(cdk_out, resources={})
    result = runner.invoke(app, ["check", "--cdk-out", str(cdk_out), "--output", str(tmp_path / "reports")])
    assert result.exit_code == 2
    assert str(cdk_out) in result.stderr
    assert not (tmp_path / "reports").exists()


def test_missing_checkov_is_bad_input_and_names_the_fix(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(ENV_BINARY, str(tmp_path / "nowhere" / "checkov"))
    result = runner.invoke(app, ["check", "--cdk-out", str(write_assembly(tmp_path / "cdk.out"))])
    assert result.exit_code == 2
    assert INSTALL_HINT in " ".join(result.stderr.split())


def test_bad_config_is_bad_input_with_the_field(tmp_path: Path) -> None:
    bad = ROOT / "tests" / "config_corpus" / "bad_region.yaml"
    result = runner.invoke(app, ["check", "--config", str(bad), "--output", str(tmp_path / "reports")])
    assert result.exit_code == 2
    assert result.stderr.startswith(str(bad))


@pytest.mark.cli
def test_synth_collects_a_failed_validation_and_rejects_a_broken_app(tmp_path: Path) -> None:
    """The CDK CLI exits 1 on validation findings but writes the assembly: collected. An app that fails for
    another reason raises SynthError with the app's own message."""
    project = tmp_path / "project"
    project.mkdir()
    shutil.copy(INSECURE_APP, project / "app.py")
    shutil.copy(ROOT / "finops.yaml", project / "finops.yaml")
    (project / "cdk.json").write_text(json.dumps({"app": f"{sys.executable} app.py"}))
    assert synthesize(project / "cdk.out", Path("unused.yaml"), project) is False
    assert (project / "cdk.out" / "validation-report.json").is_file()
    assert (project / "cdk.out" / "aifinops-insecure.template.json").is_file()

    (project / "app.py").write_text("import sys\nsys.exit('finops.yaml: teams.0.name: field required')\n")
    with pytest.raises(SynthError, match=r"teams\.0\.name: field required"):
        synthesize(project / "cdk.out", Path("unused.yaml"), project)


def test_synth_needs_a_cdk_app(tmp_path: Path) -> None:
    with pytest.raises(CheckInputError, match=r"no cdk\.json"):
        synthesize(tmp_path / "cdk.out", Path("finops.yaml"), tmp_path)
