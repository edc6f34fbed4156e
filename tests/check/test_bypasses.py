"""Every way around `aifinops check` a reviewer found, planted in tests/apps/bypass_app.py and around it (a
`.checkov.yaml`, a `.cfnlintrc`, `CKV_SKIP_CHECK`): the check fails, and its SARIF shows every hidden finding as
failed or suppressed with why. Then the audit-trail features: stable fingerprints across directories, the
baseline, the sign-off register."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from aifinops.check.baseline import read_baseline
from aifinops.check.command import CheckOptions, collect
from aifinops.check.findings import Finding, Level, Status, ToolResult
from aifinops.check.sarif import FINGERPRINT_KEY, to_sarif
from tests.apps import bypass_app as app
from tests.conftest import REFERENCE_CONFIG, ROOT


@dataclass(frozen=True)
class Bypassed:
    project: Path
    cdk_out: Path
    results: list[ToolResult]
    sarif: dict[str, Any]


@pytest.fixture(scope="module")
def bypassed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Bypassed]:
    project = tmp_path_factory.mktemp("bypass-project")
    cdk_out = project / "cdk.out"
    done = subprocess.run([sys.executable, str(ROOT / "tests" / "apps" / "bypass_app.py")], cwd=ROOT,
                          env={**os.environ, "CDK_OUTDIR": str(cdk_out)}, capture_output=True, text=True, check=False)
    assert done.returncode == 1 and "ValidationFailed" in done.stderr, done.stderr[-2000:]
    (project / ".checkov.yaml").write_text("skip-check:\n  - CKV_AWS_21\n  - CKV_AWS_18\n")
    (project / ".cfnlintrc").write_text("ignore_checks:\n  - E2531\n")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("AIFINOPS_CHECKOV", str(ROOT / ".venv-checkov" / "bin" / "checkov"))  # the project's is elsewhere
        patch.setenv("CKV_SKIP_CHECK", "CKV_AWS_115,CKV_AWS_116")
        patch.chdir(project)
        results = collect(cdk_out, project / "reports", REFERENCE_CONFIG)
        sarif = json.loads((project / "reports" / "aifinops-check.sarif").read_text())
        patch.delenv("CKV_SKIP_CHECK")
        yield Bypassed(project, cdk_out, results, sarif)


def findings(results: list[ToolResult], rule: str, path: str) -> list[Finding]:
    return [f for r in results for f in r.findings if f.rule_id == rule and (f.construct_path or "").startswith(path)]


def only(results: list[ToolResult], rule: str, path: str) -> Finding:
    [found] = findings(results, rule, path)
    return found


def test_the_check_fails(bypassed: Bypassed) -> None:
    assert any(r.blocking for r in bypassed.results)


def test_a_bare_id_acknowledgement_fails_with_the_fix_named(bypassed: Bypassed) -> None:
    found = only(bypassed.results, "AIF-ACK1", app.BARE)
    assert found.blocking and "Use Acknowledgment(id=\"AwsSolutions::AwsSolutions-S10\"" in found.message
    assert found.declared_at and "aws:cdk:acknowledged-rules" in found.declared_at


@pytest.mark.parametrize(("rule", "path", "why"), [
    ("AwsSolutions::AwsSolutions-S1", app.EMPTY, "shorter than 15 characters"),
    ("AwsSolutions::AwsSolutions-S1", app.EXPIRED, "expired on 2020-01-31"),
    ("CKV_AWS_18", app.EMPTY, "shorter than 15 characters"),  # a checkov skip without a comment
    ("CKV_AWS_21", app.INLINE, "checkov:skip= text inside the resource"),  # an inline skip, reason "ok"
    ("E2531", app.LINTED, "Metadata.cfn-lint.config.ignore_checks"),  # cfn-lint metadata, no reason
])
def test_a_suppression_without_substance_leaves_its_finding_failed(bypassed: Bypassed, rule: str, path: str,
                                                                   why: str) -> None:
    found = only(bypassed.results, rule, path)
    assert found.status is Status.FAILED and found.blocking, found
    assert why in found.message and "not accepted" in found.message


def test_stray_checkov_config_and_variables_are_ignored_and_said(bypassed: Bypassed) -> None:
    checkov = next(r for r in bypassed.results if r.tool == "checkov")
    for bucket in (app.BARE, app.EXPIRED, app.UNUSED):  # .checkov.yaml skipped these two checks everywhere
        assert only(bypassed.results, "CKV_AWS_21", bucket).blocking
        assert only(bypassed.results, "CKV_AWS_18", bucket).blocking
    assert only(bypassed.results, "CKV_AWS_116", app.LINTED).blocking  # CKV_SKIP_CHECK dropped it
    said = " ".join(checkov.warnings)
    assert ".checkov.yaml ignored" in said and "CKV_AWS_21" in said and "CKV_SKIP_CHECK" in said


def test_a_cfnlintrc_is_ignored_and_said(bypassed: Bypassed) -> None:
    cfn_lint = next(r for r in bypassed.results if r.tool == "cfn-lint")
    assert any(".cfnlintrc ignored" in w for w in cfn_lint.warnings)
    assert only(bypassed.results, "E2531", app.LINTED).blocking


def test_a_nested_stack_is_checked_like_its_parent(bypassed: Bypassed) -> None:
    [found] = [f for r in bypassed.results for f in r.findings if f.rule_id == "CKV_AWS_27"]
    assert found.blocking and ".nested.template.json" in str(found.template)


def test_an_unused_acknowledgement_is_noted_not_blocking(bypassed: Bypassed) -> None:
    found = only(bypassed.results, "AIF-ACK2", app.UNUSED)
    assert found.level is Level.NOTE and not found.blocking and "matches no finding" in found.message


def test_sarif_shows_every_finding_failed_or_suppressed_with_fingerprints_and_links(bypassed: Bypassed) -> None:
    results = {(r["ruleId"], r["partialFingerprints"][FINGERPRINT_KEY]): r
               for run in bypassed.sarif["runs"] for r in run["results"]}
    for finding in (f for r in bypassed.results for f in r.findings if f.status is not Status.PASSED):
        entry = results[(finding.rule_id, finding.fingerprint)]
        assert ("suppressions" in entry) == (finding.status in (Status.ACKNOWLEDGED, Status.BASELINED))
    for run in bypassed.sarif["runs"]:
        for rule in run["tool"]["driver"]["rules"]:
            assert rule["helpUri"].startswith("https://")
            assert float(rule["properties"]["security-severity"]) > 0 and "security" in rule["properties"]["tags"]
        for result in run["results"]:
            artifact = result["locations"][0]["physicalLocation"]["artifactLocation"]
            assert artifact["uriBaseId"] in ("%SRCROOT%", "%CDKOUT%") and not artifact["uri"].startswith("/")


def test_ack_rules_link_to_their_section_of_rules_md(bypassed: Bypassed) -> None:
    rules = {r["id"]: r for run in bypassed.sarif["runs"] for r in run["tool"]["driver"]["rules"]}
    assert rules["AIF-ACK1"]["helpUri"].endswith("RULES.md#aif-ack1")


def test_fingerprints_are_the_same_from_another_directory(bypassed: Bypassed, tmp_path: Path) -> None:
    elsewhere = tmp_path / "somewhere" / "else"
    shutil.copytree(bypassed.cdk_out, elsewhere / "out")
    work = tmp_path / "work"
    work.mkdir()
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("AIFINOPS_CHECKOV", str(ROOT / ".venv-checkov" / "bin" / "checkov"))
        patch.chdir(work)
        again = collect(elsewhere / "out", work / "reports", REFERENCE_CONFIG)
        sarif = to_sarif(again, elsewhere / "out")

    def prints(document: dict[str, Any]) -> list[str]:
        return sorted(r["partialFingerprints"][FINGERPRINT_KEY] for run in document["runs"] for r in run["results"])

    assert prints(sarif) == prints(bypassed.sarif) and len(set(prints(sarif))) == len(prints(sarif))
    artifact = sarif["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]
    assert artifact["uriBaseId"] == "%CDKOUT%"  # the assembly lies outside the working directory


def test_a_baseline_blocks_only_new_findings_and_lists_fixed_and_stale_ones(bypassed: Bypassed,
                                                                            tmp_path: Path) -> None:
    baseline = tmp_path / "baseline.json"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("AIFINOPS_CHECKOV", str(ROOT / ".venv-checkov" / "bin" / "checkov"))
        patch.chdir(bypassed.project)
        collect(bypassed.cdk_out, tmp_path / "r1", REFERENCE_CONFIG, CheckOptions(write_baseline=baseline))
        lines = baseline.read_text().splitlines()
        assert lines[0] == '{"version": 1, "findings": ['
        assert all(line.startswith('  {"tool": ') for line in lines[1:-1])
        entries = read_baseline(baseline).entries
        data = json.loads(baseline.read_text())
        dropped = next(e for e in data["findings"] if e["rule"] == "CKV_AWS_21")
        data["findings"].remove(dropped)  # "new" again
        data["findings"][0]["firstSeen"] = "2020-01-01"  # stale
        data["findings"].append({**data["findings"][1], "fingerprint": "0" * 32, "rule": "GONE"})  # fixed
        baseline.write_text(json.dumps(data))
        results = collect(bypassed.cdk_out, tmp_path / "r2", REFERENCE_CONFIG, CheckOptions(baseline=baseline))
    blocking = [f for r in results for f in r.blocking]
    assert [f.fingerprint for f in blocking] == [dropped["fingerprint"]]
    assert sum(r.count(Status.BASELINED) for r in results) == len(entries) - 1
    said = " ".join(w for r in results for w in (*r.warnings, *r.notes))
    assert "older than 90 days" in said and "fixed since the baseline" in said and "GONE" in said


def test_the_register_lists_every_acknowledgement_with_its_state(bypassed: Bypassed, tmp_path: Path) -> None:
    register = tmp_path / "acks.md"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("AIFINOPS_CHECKOV", str(ROOT / ".venv-checkov" / "bin" / "checkov"))
        patch.chdir(bypassed.project)
        collect(bypassed.cdk_out, tmp_path / "r", REFERENCE_CONFIG, CheckOptions(acknowledgements=register))
    text = register.read_text()
    assert text.startswith("# Acknowledgements register")
    rows = [line for line in text.splitlines() if line.startswith("| ") and not line.startswith("| tool")]
    assert len(rows) == 7
    assert any("Annotation::AwsSolutions-S10" in r and "no plugin namespace" in r for r in rows)
    assert any("2020-01-31" in r and "expired" in r for r in rows)
    assert any("SQS3" in r and "| unused |" in r for r in rows)
