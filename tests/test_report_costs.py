"""`aifinops report` prices what it finds, construct or raw: a raw p5 instance, an Auto Scaling group, an endpoint
config of four ml.p5.48xlarge, with totals per stack, team and environment; `--format json|markdown`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_autoscaling as autoscaling
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_sagemaker as sagemaker
from typer.testing import CliRunner

from aifinops.catalog import HOURS_PER_MONTH, hourly_price
from aifinops.cli import app as cli

ENV = cdk.Environment(account="222222222222", region="us-east-1")
DEV = {"team": "search", "project": "ranker", "model": "none", "environment": "dev", "task-type": "generation"}


@pytest.fixture(scope="module")
def cdk_out(tmp_path_factory: pytest.TempPathFactory) -> Path:
    outdir = tmp_path_factory.mktemp("raw-report")
    app = cdk.App(outdir=str(outdir), builtin_cloud_formation_validation=False)
    stack = cdk.Stack(app, "raw-gpus-with-a-long-stack-name-that-must-never-be-truncated", env=ENV)
    instance = ec2.CfnInstance(stack, "P5", instance_type="p5.48xlarge", image_id="ami-12345678")
    group = autoscaling.CfnAutoScalingGroup(stack, "Group", min_size="0", max_size="3", mixed_instances_policy={
        "launchTemplate": {"launchTemplateSpecification": {"launchTemplateId": "lt-1", "version": "1"},
                           "overrides": [{"instanceType": "p4d.24xlarge"}]}})
    config = sagemaker.CfnEndpointConfig(stack, "Config", production_variants=[
        sagemaker.CfnEndpointConfig.ProductionVariantProperty(
            variant_name="AllTraffic", model_name="m", instance_type="ml.p5.48xlarge", initial_instance_count=4)])
    ec2.CfnInstance(stack, "Cpu", instance_type="m5.large", image_id="ami-12345678")
    for node in (instance, group, config):
        for key, value in DEV.items():
            cdk.Tags.of(node).add(key, value)
    app.synth()
    return outdir


@pytest.fixture(scope="module")
def document(cdk_out: Path) -> dict[str, Any]:
    result = CliRunner().invoke(cli, ["report", str(cdk_out), "--format", "json"])
    assert result.exit_code == 0, result.output
    found: dict[str, Any] = json.loads(result.stdout)
    return found


def _monthly(instance_type: str, count: float) -> float:
    price = hourly_price(instance_type)
    assert price is not None
    return round(price.usd * count * HOURS_PER_MONTH, 2)


def test_raw_gpu_resources_are_listed_with_a_monthly_price(document: dict[str, Any]) -> None:
    found = {w["workload"]: w for w in document["workloads"]}
    assert set(found) == {"P5", "Group", "Config"}  # the CPU instance is no AI workload
    assert found["P5"]["monthlyUsd"] == {"min": _monthly("p5.48xlarge", 1), "full": _monthly("p5.48xlarge", 1)}
    assert found["Group"]["monthlyUsd"] == {"min": 0.0, "full": _monthly("p4d.24xlarge", 3)}
    assert found["Config"]["monthlyUsd"]["full"] == _monthly("ml.p5.48xlarge", 4)
    assert (found["Config"]["source"], found["Config"]["team"], found["Config"]["environment"]) == (
        "AWS::SageMaker::EndpointConfig", "search", "dev")


def test_totals_per_team_environment_stack_and_overall(document: dict[str, Any]) -> None:
    totals = document["totals"]
    full = sum(w["monthlyUsd"]["full"] for w in document["workloads"])
    assert totals["monthlyUsd"]["full"] == pytest.approx(full)
    assert totals["byTeam"]["search"]["full"] == pytest.approx(full)
    assert totals["byEnvironment"]["dev"]["full"] == pytest.approx(full)
    assert totals["unpricedWorkloads"] == 0


def test_markdown_has_a_headline_and_the_workloads(cdk_out: Path) -> None:
    result = CliRunner().invoke(cli, ["report", str(cdk_out), "--format", "markdown"])
    assert result.exit_code == 0
    assert result.stdout.startswith("**AI workloads: $")
    assert "| raw-gpus-with-a-long-stack-name-that-must-never-be-truncated | P5 | p5.48xlarge |" in result.stdout


def test_the_table_never_truncates_names(cdk_out: Path) -> None:
    result = CliRunner().invoke(cli, ["report", str(cdk_out)], terminal_width=80)
    assert result.exit_code == 0
    text = "".join(result.stdout.split())  # folded cells break long names over lines: join them back
    assert "raw-gpus-with-a-long-stack-name-that-must-never-be-truncated" in text.replace("│", "")
    assert "…" not in result.stdout


def test_an_unknown_format_is_bad_input(cdk_out: Path) -> None:
    result = CliRunner().invoke(cli, ["report", str(cdk_out), "--format", "yaml"])
    assert result.exit_code == 2
