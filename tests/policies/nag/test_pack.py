"""The pack as users attach it: its rule ids, its generated RULES.md, and one synthesis with findings and
an acknowledgement landing in validation-report.json."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_batch as batch
from aws_cdk import aws_sagemaker as sagemaker

from aifinops.config import FinOpsConfig
from aifinops.policies.nag import RULES, AiFinOpsChecks
from aifinops.policies.nag.rules import (
    accelerator_types,
    alert_topics,
    bedrock_profiles,
    cost_tags,
    endpoint_scaling,
    guard_functions,
    imds,
    job_time_limit,
    model_tiers,
    pack_topics,
)
from aifinops.policies.nag.rules_doc import rules_markdown
from aifinops.policies.rules_md import RULES_MD
from tests.policies.nag.conftest import PROD_TAGS, tag

PINNED = ["AiFinOps-TAG1", "AiFinOps-ACC1", "AiFinOps-SM1", "AiFinOps-JOB1", "AiFinOps-BR1", "AiFinOps-FN1",
          "AiFinOps-SNS1", "AiFinOps-IMD1", "AiFinOps-SNS2", "AiFinOps-BR2"]
MODULES = [cost_tags, accelerator_types, endpoint_scaling, job_time_limit, bedrock_profiles, guard_functions,
           alert_topics, imds, pack_topics, model_tiers]


def test_the_rule_ids_are_pinned(config: FinOpsConfig) -> None:
    assert [rule.rule_id for rule in RULES] == PINNED
    assert AiFinOpsChecks(config=config).rule_ids == PINNED  # what jsii reports to the CDK


def test_each_rule_module_states_its_id_level_and_texts(config: FinOpsConfig) -> None:
    for module, rule in zip(MODULES, RULES, strict=True):
        stated = (module.RULE_ID, module.LEVEL, module.INFO, module.EXPLANATION)
        assert stated == (rule.rule_id, rule.level, rule.info, rule.explanation)
        assert rule.explanation.count("Fix:") == 1


def test_rules_md_is_generated_from_the_pack() -> None:
    assert RULES_MD.read_text(encoding="utf-8") == rules_markdown(), "run: python -m aifinops.policies.nag"


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory, config: FinOpsConfig) -> dict[str, Any]:
    """One app: an untagged model (TAG1), an unscaled production endpoint (SM1), and a job definition
    without a time limit whose JOB1 finding is acknowledged."""
    outdir = tmp_path_factory.mktemp("nag-synth")
    app = cdk.App(outdir=str(outdir), builtin_cloud_formation_validation=False)
    stack = cdk.Stack(app, "Workloads", env=cdk.Environment(account="444444444444", region="us-east-1"))
    sagemaker.CfnModel(stack, "Untagged", execution_role_arn="arn:aws:iam::444444444444:role/sm")
    endpoint = sagemaker.CfnEndpoint(stack, "Endpoint", endpoint_config_name="config")
    tag(endpoint, PROD_TAGS)
    job = batch.CfnJobDefinition(stack, "Job", type="container")
    tag(job, PROD_TAGS)
    cdk.Validations.of(job).acknowledge(cdk.Acknowledgment(id="AiFinOps::AiFinOps-JOB1",
                                                           reason="test: the job script stops itself"))
    cdk.Validations.of(app).add_plugins(AiFinOpsChecks(app, config=config))
    with pytest.raises(RuntimeError, match="AiFinOps"):
        app.synth()
    reports = json.loads((Path(outdir) / "validation-report.json").read_text())["pluginReports"]
    return next(r for r in reports if r["pluginName"] == "AiFinOps")


def _paths(violation: dict[str, Any]) -> list[str]:
    return [c["constructPath"] for c in violation["violatingConstructs"]]


def test_findings_land_in_the_report_with_rule_id_path_and_level(report: dict[str, Any]) -> None:
    found = {v["ruleName"]: v for v in report["violations"]}
    assert report["conclusion"] == "failure"
    assert set(found) == {"AiFinOps-TAG1", "AiFinOps-SM1"}
    assert _paths(found["AiFinOps-TAG1"]) == ["Workloads/Untagged"]
    assert found["AiFinOps-TAG1"]["severity"] == "error"
    assert found["AiFinOps-SM1"]["severity"] == "error"  # as its checkov twin CKV_AIF_3
    # the resource's own verdict first (cdk-nag alone would give every resource the first one's text), then the rule
    assert found["AiFinOps-SM1"]["description"] == (
        "no scalable target in the stack scales a variant or inference component of it, and it is not serverless. "
        + endpoint_scaling.INFO)


def test_an_acknowledgement_moves_the_finding_to_suppressed_with_its_reason(report: dict[str, Any]) -> None:
    [suppressed] = report["suppressedViolations"]
    assert suppressed["ruleName"] == "AiFinOps-JOB1"
    assert suppressed["acknowledgedId"] == "AiFinOps::AiFinOps-JOB1"
    assert suppressed["reason"] == "test: the job script stops itself"
    assert _paths(suppressed) == ["Workloads/Job"]


def test_without_synthesized_templates_every_applicable_rule_reports_an_error(config: FinOpsConfig) -> None:
    """validate_scope on a tree that was never synthesized: the rules cannot read templates and say so, as
    cdk-nag's "Rule threw an error" findings, rather than passing silently."""
    app = cdk.App(builtin_cloud_formation_validation=False)
    stack = cdk.Stack(app, "Unsynthesized")
    sagemaker.CfnModel(stack, "Model", execution_role_arn="arn:aws:iam::444444444444:role/sm")
    result = AiFinOpsChecks(config=config, verbose=True).validate_scope(app)
    [violation] = result.violations
    assert violation.rule_name == "AiFinOps-TAG1"
    assert "Rule threw an error" in violation.description and "does not exist" in violation.description
