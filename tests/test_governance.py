"""`aifinops.govern(app, config)`: every stack of the app, Stages included, is checked for cost tags and by the
AiFinOps pack; raw GPU resources are caught with the value and the environment named; an exempt stack records
its reason; a Stage created after govern() fails synthesis rather than slipping through."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_sagemaker as sagemaker

import aifinops
from aifinops.config import FinOpsConfig
from aifinops.constructs import CostAllocationTags
from aifinops.governance import GovernanceError
from aifinops.template_metadata import GOVERNANCE

ENV = cdk.Environment(account="222222222222", region="us-east-1")
DEV = {"team": "search", "project": "ranker", "model": "none", "environment": "dev", "task-type": "generation"}


def _tag(scope: cdk.IConstruct, tags: dict[str, str]) -> None:
    for key, value in tags.items():
        cdk.Tags.of(scope).add(key, value)


@pytest.fixture(scope="module")
def synthesized(tmp_path_factory: pytest.TempPathFactory, config: FinOpsConfig) -> dict[str, Any]:
    outdir = tmp_path_factory.mktemp("governed")
    app = cdk.App(outdir=str(outdir), builtin_cloud_formation_validation=False)
    stage = cdk.Stage(app, "Prod")
    raw = cdk.Stack(stage, "Raw", env=ENV)
    gpu = ec2.CfnInstance(raw, "Gpu", instance_type="p5.48xlarge", image_id="ami-12345678")
    _tag(gpu, DEV)
    config_l1 = sagemaker.CfnEndpointConfig(raw, "Config", production_variants=[
        sagemaker.CfnEndpointConfig.ProductionVariantProperty(
            variant_name="AllTraffic", model_name="m", instance_type="ml.g5.xlarge", initial_instance_count=1)])
    _tag(config_l1, DEV)
    config_l1.add_property_override("ProductionVariants.0.InstanceType", "ml.p5.48xlarge")  # escape hatch
    other = cdk.Stack(app, "Other", env=ENV)
    ec2.CfnVolume(other, "Untagged", availability_zone="us-east-1a", size=10)
    shared = cdk.Stack(app, "Shared", env=ENV)
    ec2.CfnVolume(shared, "SharedVolume", availability_zone="us-east-1a", size=10)
    aifinops.exempt(shared, "network team owns it, ticket NET-42")
    billing = cdk.Stack(app, "Billing", env=ENV)
    CostAllocationTags(billing, "CostTags", keys=list(DEV))
    aifinops.govern(app, config, aws_solutions=False, serverless=False)
    with pytest.raises(RuntimeError):
        app.synth()
    report = json.loads((Path(outdir) / "validation-report.json").read_text())
    violations = [(p["pluginName"], v["ruleName"], c["constructPath"], v["description"])
                  for p in report["pluginReports"] for v in p["violations"] for c in v["violatingConstructs"]]
    templates = {path.name: json.loads(path.read_text()) for path in Path(outdir).rglob("*.template.json")}
    return {"violations": violations, "templates": templates}


def _found(synthesized: dict[str, Any], path: str) -> list[tuple[str, str, str]]:
    return [(plugin, rule, text) for plugin, rule, where, text in synthesized["violations"] if where.endswith(path)]


def test_stacks_inside_stages_are_governed(synthesized: dict[str, Any]) -> None:
    rules = {rule for _, rule, _ in _found(synthesized, "Prod/Raw/Gpu")}
    assert {"AiFinOps-ACC1", "AiFinOps-IMD1"} <= rules


def test_a_raw_gpu_resource_is_named_with_its_value_and_environment(synthesized: dict[str, Any]) -> None:
    [text] = [t for _, rule, t in _found(synthesized, "Prod/Raw/Gpu") if rule == "AiFinOps-ACC1"]
    assert text.startswith("p5.48xlarge not allowed in dev (allowed: ")


def test_an_override_of_an_endpoint_config_is_caught(synthesized: dict[str, Any]) -> None:
    [text] = [t for _, rule, t in _found(synthesized, "Prod/Raw/Config") if rule == "AiFinOps-ACC1"]
    assert "ml.p5.48xlarge not allowed in dev" in text


def test_every_stack_gets_the_cost_tag_check_with_one_message_per_resource(synthesized: dict[str, Any]) -> None:
    found = [(rule, text) for plugin, rule, text in _found(synthesized, "Other/Untagged")
             if plugin == "AiFinOpsCostTags"]
    assert len(found) == 1
    assert all(f"'{key}'" in found[0][1] for key in DEV)


def test_an_exempt_stack_is_not_checked_and_records_why(synthesized: dict[str, Any]) -> None:
    assert _found(synthesized, "Shared/SharedVolume") == []
    metadata = synthesized["templates"]["Shared.template.json"]["Metadata"]
    assert metadata[GOVERNANCE] == {"exempt": True, "reason": "network team owns it, ticket NET-42"}


def test_an_exemption_needs_a_reason(config: FinOpsConfig) -> None:
    stack = cdk.Stack(cdk.App(), "S")
    with pytest.raises(GovernanceError, match="at least 15 characters"):
        aifinops.exempt(stack, "because")


def test_a_stage_created_after_govern_fails_synthesis(tmp_path: Path, config: FinOpsConfig) -> None:
    app = cdk.App(outdir=str(tmp_path), builtin_cloud_formation_validation=False)
    aifinops.govern(app, config, aws_solutions=False, serverless=False)
    late = cdk.Stage(app, "Late")
    cdk.Stack(late, "S", env=ENV)
    with pytest.raises(RuntimeError, match=r"Stage Late was created after aifinops\.govern"):
        app.synth()


def test_govern_twice_is_refused(config: FinOpsConfig) -> None:
    app = cdk.App()
    aifinops.govern(app, config, aws_solutions=False, serverless=False)
    with pytest.raises(GovernanceError, match="once"):
        aifinops.govern(app, config)


def test_the_pack_constructs_checkov_skips_travel_with_them(synthesized: dict[str, Any]) -> None:
    """A pack construct in a governed app carries its accepted checkov findings, with reasons."""
    resources = synthesized["templates"]["Billing.template.json"]["Resources"]
    skips = {skip["id"]: skip["comment"] for r in resources.values() if r["Type"] == "AWS::Logs::LogGroup"
             for skip in r.get("Metadata", {}).get("checkov", {}).get("skip", [])}
    assert "CKV_AWS_158" in skips and len(skips["CKV_AWS_158"]) > 40
