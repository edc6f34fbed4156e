"""Each reader on real tool output (the insecure sample app): every violation found, located in the template
(line of the resource) and at its construct path; acknowledgements carry their reason."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from aifinops.check.assembly import CheckInputError, read_assembly
from aifinops.check.checkov_runner import ENV_BINARY, find_checkov
from aifinops.check.findings import Finding, Status
from aifinops.check.nag import acknowledgement_id, read_validation_report
from tests.apps.insecure_app import ACKNOWLEDGED, EXPECTED, STACK
from tests.check.conftest import Checked, write_assembly


def findings(checked: Checked, tool: str, rule_id: str, path: str) -> list[Finding]:
    return [f for f in checked.results[tool].findings
            if f.rule_id == rule_id and f.construct_path is not None and f.construct_path.startswith(path)]


@pytest.mark.parametrize(("tool", "rule_id", "path"), EXPECTED, ids=[f"{t}:{r}" for t, r, _ in EXPECTED])
def test_every_violation_is_a_blocking_finding_located_in_the_template(
        insecure: Checked, tool: str, rule_id: str, path: str) -> None:
    found = findings(insecure, tool, rule_id, path)
    assert found, f"{tool} did not report {rule_id} on {path}"
    for finding in found:
        assert finding.status is Status.FAILED and finding.blocking
        assert finding.stack == STACK
        assert finding.template is not None and finding.line is not None and finding.logical_id
        lines = Path(finding.template).read_text().splitlines()
        # The line is the resource's own key (nag, checkov) or a line inside its body (cfn-lint).
        opening = insecure.assembly.line_of(Path(finding.template), finding.logical_id)
        assert opening is not None and opening <= finding.line <= len(lines)
        assert f'"{finding.logical_id}"' in lines[opening - 1]


@pytest.mark.parametrize(("tool", "rule_id", "path", "reason"), ACKNOWLEDGED,
                         ids=[f"{t}:{r}" for t, r, _, _ in ACKNOWLEDGED])
def test_acknowledged_findings_keep_their_reason_and_do_not_block(
        insecure: Checked, tool: str, rule_id: str, path: str, reason: str) -> None:
    found = findings(insecure, tool, rule_id, path)
    assert found
    for finding in found:
        assert finding.status is Status.ACKNOWLEDGED and not finding.blocking
        assert finding.reason is not None and finding.reason.startswith(reason)


def test_checkov_counts_passed_checks_and_the_others_say_they_cannot(insecure: Checked) -> None:
    checkov = insecure.results["checkov"]
    assert checkov.count(Status.PASSED) > 0
    assert checkov.checks == sum(checkov.count(s) for s in Status)
    assert insecure.results["cdk validation"].checks is None
    assert insecure.results["cfn-lint"].checks is None


def test_every_reported_rule_has_help_text(insecure: Checked) -> None:
    for result in insecure.results.values():
        for finding in result.findings:
            rule = result.rules[finding.rule_id]
            assert rule.summary and rule.help, finding.rule_id


def test_no_validation_report_means_no_plugin_finding(tmp_path: Path) -> None:
    result = read_validation_report(read_assembly(write_assembly(tmp_path / "cdk.out")))
    assert result.findings == []
    assert any("absent" in note for note in result.notes)


def test_an_assembly_is_checked_by_its_manifest_not_by_stray_templates(tmp_path: Path) -> None:
    with pytest.raises(CheckInputError, match="no such directory"):
        read_assembly(tmp_path / "missing")
    with pytest.raises(CheckInputError, match="no CloudFormation templates"):
        out = write_assembly(tmp_path / "empty", resources={})
        (out / "Stale.template.json").write_text('{"Resources": {}}')
        read_assembly(out)


def test_missing_checkov_names_the_command_that_installs_it(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv(ENV_BINARY, str(tmp_path / "no-checkov"))
    with pytest.raises(CheckInputError, match=r"make \.venv-checkov/\.installed"):
        find_checkov()


@pytest.mark.parametrize(("plugin", "rule", "expected"), [
    ("AwsSolutions", "AwsSolutions-IAM4[Policy::arn:aws:iam::aws:policy/X]",
     "AwsSolutions::AwsSolutions-IAM4[Policy::arn:aws:iam::aws:policy/X]"),
    ("CloudFormation Validate", "E2531", "CloudFormation-Validate::E2531"),
    ("Construct Annotations", "Annotation::info-annotation", "Annotation::info-annotation"),
])
def test_rule_ids_are_the_ids_acknowledgments_take(plugin: str, rule: str, expected: str) -> None:
    # As the CDK prints them after "Acknowledge with" (read from a real synth of the insecure app).
    assert acknowledgement_id(plugin, rule) == expected


def test_warnings_block_info_does_not_and_stack_level_findings_point_at_the_template(tmp_path: Path) -> None:
    """The report shape of aws-cdk-lib 2.275 (annotations included with @aws-cdk/core:annotationsInValidationReport):
    nag WARN findings fail synthesis, so warnings block here too; informational annotations never do."""
    out = write_assembly(tmp_path / "cdk.out")
    construct = {"constructPath": "Clean/Handle", "constructFqn": "aws-cdk-lib.CfnWaitConditionHandle"}
    (out / "validation-report.json").write_text(json.dumps({"version": "55.0.0", "pluginReports": [
        {"pluginName": "Construct Annotations", "conclusion": "success", "violations": [
            {"ruleName": "Annotation::info-annotation", "description": "deploy in the payer account",
             "severity": "info", "violatingConstructs": [{"constructPath": "Clean"}]},
            {"ruleName": "Annotation::probe:warn", "description": "a warning", "severity": "warning",
             "violatingConstructs": [construct]}]},
        {"pluginName": "AiFinOps", "conclusion": "success", "violations": [], "suppressedViolations": [
            {"ruleName": "AiFinOps-T1", "description": "tags", "severity": "error", "violatingConstructs": [construct],
             "acknowledgedId": "AiFinOps::AiFinOps-T1", "reason": "tagged by the pipeline"}]}]}))
    result = read_validation_report(read_assembly(out))
    by_rule = {f.rule_id: f for f in result.findings}
    info, warning, acked = (by_rule["Annotation::info-annotation"], by_rule["Annotation::probe:warn"],
                            by_rule["AiFinOps::AiFinOps-T1"])
    assert not info.blocking and info.logical_id is None and info.template == out / "Clean.template.json"
    assert warning.blocking and warning.logical_id == "Handle" and warning.line is not None
    assert acked.status is Status.ACKNOWLEDGED and acked.reason == "tagged by the pipeline"
