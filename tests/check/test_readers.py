"""Each reader on real tool output (the insecure sample app): every violation found, located in the template
(line of the resource) and at its construct path; acknowledgements carry their reason."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from aifinops.check.assembly import CheckInputError, read_assembly
from aifinops.check.cfn_lint_runner import REQUIREMENT as CFN_LINT
from aifinops.check.checkov_runner import BUILT_IN, CHECKOV_VERSION, CUSTOM, ENV_BINARY, INSTALL_HINT, find_checkov
from aifinops.check.findings import Finding, Status
from aifinops.check.marker_key import SECURITY_CHECKS_KEY
from aifinops.check.nag import acknowledgement_id, read_validation_report
from tests.apps.insecure_app import ACKNOWLEDGED, ENDPOINT_CONFIG, EXPECTED, STACK, TRAINER
from tests.check.conftest import Checked, write_assembly
from tests.conftest import ROOT


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


def test_checkov_counts_passed_results_and_the_others_say_they_cannot(insecure: Checked) -> None:
    checkov = insecure.results["checkov"]
    assert checkov.count(Status.PASSED) > 0
    assert checkov.result_count == sum(checkov.count(s) for s in Status)
    assert insecure.results["cdk validation"].result_count is None
    assert insecure.results["cfn-lint"].result_count is None


def test_checkov_findings_say_why_they_failed(insecure: Checked) -> None:
    """The CKV_AIF checks put each problem in check_result.details: the message carries it."""
    trainer = findings(insecure, "checkov", "CKV_AIF_2", TRAINER)
    assert trainer and all(f.message.startswith("Accelerated instance types are allowed") for f in trainer)
    assert all("instance type p5.48xlarge is not allowed in environment 'dev'" in f.message for f in trainer)
    untagged = findings(insecure, "checkov", "CKV_AIF_1", ENDPOINT_CONFIG)
    assert untagged and all("required cost tag 'team' is missing" in f.message for f in untagged)


def test_aifinops_findings_say_why_they_failed(insecure: Checked) -> None:
    """cdk-nag reports the rule's summary only; the rule, run again on the synthesized resource, adds its reason."""
    findings = {(f.rule_id, f.construct_path): f.message for f in insecure.results["cdk validation"].findings
                if f.rule_id.startswith("AiFinOps::")}
    assert "Here: p5.48xlarge not allowed in dev" in findings[("AiFinOps::AiFinOps-ACC1", TRAINER)]
    assert "required cost tag 'team' is missing" in findings[("AiFinOps::AiFinOps-TAG1", ENDPOINT_CONFIG)]
    assert all("Here: " in message for message in findings.values()), findings


def test_the_rows_say_which_packs_and_check_sets_ran(insecure: Checked) -> None:
    # The insecure app attaches its packs without the marker: those with findings show.
    assert insecure.results["cdk validation"].ran == ["AiFinOps", "AwsSolutions"]
    assert insecure.results["checkov"].ran == [BUILT_IN, CUSTOM]
    assert not any(r.warnings for r in insecure.results.values())


def test_every_reported_rule_has_help_text(insecure: Checked) -> None:
    for result in insecure.results.values():
        for finding in result.findings:
            rule = result.rules[finding.rule_id]
            assert rule.summary and rule.help, finding.rule_id


def test_no_validation_report_is_no_evidence_unless_allowed(tmp_path: Path) -> None:
    assembly = read_assembly(write_assembly(tmp_path / "cdk.out", report=False))
    with pytest.raises(CheckInputError, match=r"validation-report\.json is absent.*: Clean\. To fix: "):
        read_validation_report(assembly)
    allowed = read_validation_report(assembly, allow_missing=True)
    assert allowed.findings == [] and allowed.ran == []
    assert "NOT verified on Clean" in allowed.warnings[0]


def _second_stack(out: Path, name: str, packs: list[str] | None) -> None:
    """Add stack `name` (one WaitConditionHandle; the marker when `packs` is given) to the assembly at `out`."""
    template: dict[str, object] = {"Resources": {"Handle": {"Type": "AWS::CloudFormation::WaitConditionHandle"}}}
    if packs is not None:
        template["Metadata"] = {SECURITY_CHECKS_KEY: packs}
    (out / f"{name}.template.json").write_text(json.dumps(template))
    manifest = json.loads((out / "manifest.json").read_text())
    manifest["artifacts"][name] = {"type": "aws:cloudformation:stack", "displayName": name,
                                   "properties": {"templateFile": f"{name}.template.json"},
                                   "metadata": {f"/{name}/Handle": [{"type": "aws:cdk:logicalId", "data": "Handle"}]}}
    (out / "manifest.json").write_text(json.dumps(manifest))


def test_a_stack_counts_as_checked_by_its_marker_or_its_report_entries(tmp_path: Path) -> None:
    """Marked "Clean" without entries and unmarked "Named" with an AwsSolutions entry pass; unmarked "Silent"
    without entries is named, alone, even though the report lists other stacks."""
    out = write_assembly(tmp_path / "cdk.out", packs=("AiFinOps",))
    _second_stack(out, "Named", None)
    (out / "validation-report.json").write_text(json.dumps({"pluginReports": [
        {"pluginName": "AwsSolutions", "conclusion": "success", "violations": [], "suppressedViolations": [
            {"ruleName": "AwsSolutions-IAM4", "description": "managed policy", "severity": "error",
             "violatingConstructs": [{"constructPath": "Named/Handle"}], "reason": "fine"}]},
        {"pluginName": "Construct Annotations", "conclusion": "success", "violations": [
            {"ruleName": "Annotation::info", "description": "x", "severity": "info",
             "violatingConstructs": [{"constructPath": "Silent/Handle"}]}]}]}))
    checked = read_validation_report(read_assembly(out))
    assert checked.ran == ["AiFinOps", "AwsSolutions"] and not checked.warnings
    assert any(note.startswith("1 stack(s) without the aifinops:security-checks marker") for note in checked.notes)
    _second_stack(out, "Silent", None)
    with pytest.raises(CheckInputError, match=r"no entry for 1 stack\(s\).*marker.*: Silent\. To fix"):
        read_validation_report(read_assembly(out))


def test_an_assembly_is_checked_by_its_manifest_not_by_stray_templates(tmp_path: Path) -> None:
    with pytest.raises(CheckInputError, match="no such directory"):
        read_assembly(tmp_path / "missing")
    with pytest.raises(CheckInputError, match="no CloudFormation templates"):
        out = write_assembly(tmp_path / "empty", resources={})
        (out / "Stale.template.json").write_text('{"Resources": {}}')
        read_assembly(out)


def test_missing_checkov_names_the_command_that_installs_it(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv(ENV_BINARY, str(tmp_path / "no-checkov"))
    with pytest.raises(CheckInputError) as raised:
        find_checkov()
    assert str(raised.value).endswith(INSTALL_HINT)


def test_checkov_is_found_by_variable_then_project_venv_then_path(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    def executable(path: Path) -> Path:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("#!/bin/sh\n")
        path.chmod(0o755)
        return path

    on_path = executable(tmp_path / "bin" / "checkov")
    in_venv = executable(tmp_path / "project" / ".venv-checkov" / "bin" / "checkov")
    configured = executable(tmp_path / "elsewhere" / "checkov")
    monkeypatch.setenv("PATH", str(on_path.parent))
    monkeypatch.chdir(tmp_path / "project")
    monkeypatch.setenv(ENV_BINARY, str(configured))
    assert find_checkov() == configured
    monkeypatch.delenv(ENV_BINARY)
    assert find_checkov().resolve() == in_venv
    monkeypatch.chdir(tmp_path)
    assert find_checkov() == on_path


def test_one_tool_version_everywhere() -> None:
    """The versions the install hints name are the ones this repository installs and the example workflow pins."""
    workflow = (ROOT / ".github" / "workflows" / "aifinops-check.yml").read_text()
    assert (ROOT / "requirements" / "checkov.txt").read_text().splitlines()[-1] == f"checkov=={CHECKOV_VERSION}"
    assert f'CHECKOV: "checkov=={CHECKOV_VERSION}"' in workflow
    assert f'"{CFN_LINT}",' in (ROOT / "pyproject.toml").read_text()


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
