"""Bad input exits 2 with a message naming the file and field, before any tool runs; never a traceback, never
exit 1. Reports are written whole or not at all."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from typer.testing import CliRunner

from aifinops.check import command, output
from aifinops.check.assembly import CheckInputError
from aifinops.check.output import prepare_output, write_reports
from aifinops.cli import app
from tests.check.conftest import write_assembly

runner = CliRunner()
REPORTS = [command.SARIF_FILE, command.JUNIT_FILE]


@pytest.fixture
def no_tools(monkeypatch: pytest.MonkeyPatch) -> None:
    """Bad input must be found before checkov or cfn-lint start: running one fails the test."""
    def ran(*_: object, **__: object) -> None:
        raise AssertionError("a tool ran on bad input")

    monkeypatch.setattr(command, "run_checkov", ran)
    monkeypatch.setattr(command, "run_cfn_lint", ran)


def _break(cdk_out: Path, case: str) -> tuple[Path, str]:
    """Damage one file of a valid assembly; the file and the field the message must name."""
    if case == "manifest-json":
        (cdk_out / "manifest.json").write_text('{"artifacts": {')
        return cdk_out / "manifest.json", "not valid JSON (line 1"
    if case == "manifest-field":
        manifest = json.loads((cdk_out / "manifest.json").read_text())
        del manifest["artifacts"]["Clean"]["properties"]["templateFile"]
        (cdk_out / "manifest.json").write_text(json.dumps(manifest))
        return cdk_out / "manifest.json", "artifacts.Clean.properties.templateFile: expected a string"
    if case == "template-json":
        (cdk_out / "Clean.template.json").write_text('{"Resources": {"Handle": }')
        return cdk_out / "Clean.template.json", "not valid JSON"
    if case == "template-resources":
        (cdk_out / "Clean.template.json").write_text('{"Resources": []}')
        return cdk_out / "Clean.template.json", "Resources: expected an object, got list"
    if case == "metadata-json":
        (cdk_out / "Clean.metadata.json").write_text("[")
        return cdk_out / "Clean.metadata.json", "not valid JSON"
    if case == "report-json":
        (cdk_out / "validation-report.json").write_text("{")
        return cdk_out / "validation-report.json", "not valid JSON"
    if case == "report-field":
        (cdk_out / "validation-report.json").write_text(json.dumps(
            {"pluginReports": [{"pluginName": "AwsSolutions", "violations": {"ruleName": "x"}}]}))
        return cdk_out / "validation-report.json", "pluginReports[0].violations: expected a list, got dict"
    assert case == "plugin-crashed"
    (cdk_out / "validation-report.json").write_text(json.dumps({"pluginReports": [
        {"pluginName": "AwsSolutions", "conclusion": "failure", "violations": [],
         "metadata": {"error": "Validation plugin 'AwsSolutions' failed: boom"}}]}))
    return cdk_out / "validation-report.json", "AwsSolutions did not run to completion"


CASES = ["manifest-json", "manifest-field", "template-json", "template-resources", "metadata-json", "report-json",
         "report-field", "plugin-crashed"]


@pytest.mark.parametrize("case", CASES)
def test_a_malformed_assembly_is_bad_input_naming_file_and_field(tmp_path: Path, case: str, no_tools: None) -> None:
    cdk_out = write_assembly(tmp_path / "cdk.out")
    file, field = _break(cdk_out, case)
    result = runner.invoke(app, ["check", "--cdk-out", str(cdk_out), "--output", str(tmp_path / "reports")])
    assert result.exit_code == 2, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)  # no traceback
    message = " ".join(result.stderr.split())
    assert message.startswith(f"{file}: ") and field in message, message


@pytest.mark.parametrize("case", ["is-a-file", "under-a-file", "unwritable"])
def test_an_output_that_cannot_hold_reports_is_refused_before_the_tools_run(
        tmp_path: Path, case: str, no_tools: None) -> None:
    (tmp_path / "taken").write_text("not a folder")
    target = {"is-a-file": tmp_path / "taken", "under-a-file": tmp_path / "taken" / "reports",
              "unwritable": Path("/proc/aifinops-reports")}[case]  # /proc: unwritable even for root (Linux, as CI)
    result = runner.invoke(app, ["check", "--cdk-out", str(write_assembly(tmp_path / "cdk.out")),
                                 "--output", str(target)])
    assert result.exit_code == 2, result.output
    assert " ".join(result.stderr.split()).startswith(f"--output {target}: ")


def test_a_run_without_verdict_leaves_no_report_of_an_earlier_run(tmp_path: Path) -> None:
    reports = tmp_path / "reports"
    reports.mkdir()
    for name in REPORTS:
        (reports / name).write_text("an earlier run")
    (reports / "mine.txt").write_text("not ours")
    result = runner.invoke(app, ["check", "--cdk-out", str(tmp_path / "missing"), "--output", str(reports)])
    assert result.exit_code == 2
    assert sorted(p.name for p in reports.iterdir()) == ["mine.txt"]
    prepare_output(reports, REPORTS)  # a fine folder: no error, nothing created
    assert sorted(p.name for p in reports.iterdir()) == ["mine.txt"]


def test_a_failed_write_leaves_no_partial_report(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The first report is written, the second fails on rename: neither stays, nor any temporary file."""
    real_replace = os.replace

    def replace(source: str, target: str) -> None:
        if Path(target).name == REPORTS[1]:
            raise OSError(28, "No space left on device", target)
        real_replace(source, target)

    monkeypatch.setattr(output.os, "replace", replace)
    with pytest.raises(CheckInputError, match="No space left on device"):
        write_reports(tmp_path / "reports", {REPORTS[0]: b"{}", REPORTS[1]: b"<testsuites/>"})
    assert list((tmp_path / "reports").iterdir()) == []
