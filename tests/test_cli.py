"""The `aifinops` CLI: validate and report (the broken-config corpus lives in test_config_corpus.py)."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

from typer.testing import CliRunner

from aifinops.cli import app
from aifinops.config import FinOpsConfig, load
from aifinops.policies.checkov_policy import checkov_policy
from tests.conftest import REFERENCE_CONFIG, Assembly

runner = CliRunner()


def test_validate_ok(config: FinOpsConfig) -> None:
    result = runner.invoke(app, ["validate", str(REFERENCE_CONFIG)])
    assert result.exit_code == 0
    counts = f"3 environments, 4 teams, {len(config.workloads)} workloads"
    assert result.stdout.strip() == f"{REFERENCE_CONFIG}: OK ({counts})"


def test_report_lists_stacks_coverage_and_profiles(reference_assembly: Assembly) -> None:
    result = runner.invoke(app, ["report", str(reference_assembly.outdir)])
    assert result.exit_code == 0, result.output
    for stack in reference_assembly.stacks():
        assert stack in result.stdout
    assert "5 keys enforced" in result.stdout
    assert "search-query-rewrite-dev-amazon-nova-lite-v1-0" in result.stdout
    for plugin in ("AwsSolutions", "Serverless"):  # AiFinOps and AiFinOpsCostTags report only findings
        assert re.search(rf"Validation {plugin}: success, 0 violation\(s\), [1-9]\d* acknowledged", result.stdout)


def test_report_without_assembly_is_bad_input(tmp_path: Path) -> None:
    result = runner.invoke(app, ["report", str(tmp_path / "cdk.out")])
    assert result.exit_code == 2
    assert "no manifest.json" in result.stderr


def test_report_fails_when_validation_failed(reference_assembly: Assembly, tmp_path: Path) -> None:
    copy = tmp_path / "cdk.out"
    shutil.copytree(reference_assembly.outdir, copy)
    (copy / "validation-report.json").write_text(json.dumps({"pluginReports": [
        {"pluginName": "AiFinOpsCostTags", "conclusion": "failure", "violations": [{"ruleName": "x"}]}]}))
    result = runner.invoke(app, ["report", str(copy)])
    assert result.exit_code == 1
    assert "AiFinOpsCostTags: failure, 1 violation(s)" in result.stdout


def test_guardrails_that_cannot_fit_the_scp_limits_are_bad_input(tmp_path: Path) -> None:
    text = REFERENCE_CONFIG.read_text().replace("max_per_target: 10, already_attached: 1",
                                                "max_per_target: 2, already_attached: 1")
    path = tmp_path / "finops.yaml"
    path.write_text(text)
    result = runner.invoke(app, ["validate", str(path)])
    assert result.exit_code == 2
    line = next(i for i, text in enumerate(text.splitlines(), 1) if "scp_limits" in text)
    assert result.stderr.startswith(f"{path}:{line}: organization.scp_limits: environment 'dev'")


def test_checkov_policy_is_written_from_the_config(tmp_path: Path) -> None:
    target = tmp_path / "policy.json"
    result = runner.invoke(app, ["checkov-policy", str(REFERENCE_CONFIG), "--output", str(target)])
    assert result.exit_code == 0, result.output
    policy = json.loads(target.read_text())
    assert policy == json.loads(json.dumps(checkov_policy(load(REFERENCE_CONFIG))))


def test_checkov_policy_bad_input_writes_nothing(tmp_path: Path) -> None:
    broken = tmp_path / "finops.yaml"
    broken.write_text("teams: 3\n")
    result = runner.invoke(app, ["checkov-policy", str(broken), "--output", str(tmp_path / "policy.json")])
    assert result.exit_code == 2 and str(broken) in result.stderr
    assert not (tmp_path / "policy.json").exists()


def test_report_shows_model_policy_exemptions_tag_refusals_and_uncovered_routes(
        reference_assembly: Assembly, config: FinOpsConfig) -> None:
    text = " ".join(runner.invoke(app, ["report", str(reference_assembly.outdir)]).stdout.split())
    assert "Environment dev: max model tier standard, denylist: catalog models above the tier are denied" in text
    assert "Environment prod: max model tier premium, denylist" in text
    for pattern in (*config.organization.break_glass, "arn:aws:iam::*:role/cdk-aifinops-cfn-exec-role-*",
                    "arn:aws:iam::*:role/cdk-aifinops-*", "arn:*:iam::*:role/aifinops-gpu-guard-*"):
        assert pattern in text
    assert "tag policy aifinops-dev-cost-tags: report only (refuses nothing)" in text
    assert "tag policy aifinops-prod-cost-tags REFUSES" in text
    assert "team not in search, vision, assistant, research on sagemaker:training-job, sagemaker:processing-job" in text
    assert "EKS managed node groups" in text and "AWS Batch managed compute environments" in text
    assert "aifinops-dev-run-1" in text and " stable " in text
    assert "setting any of the 'team', 'project', 'model', 'environment', 'task-type' tags to an empty value" in text
