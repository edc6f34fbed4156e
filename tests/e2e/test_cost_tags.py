"""The cost allocation tag activator end to end: its code as the real CostTagsStack synthesizes it, run the way
Lambda runs it (a subprocess with only boto3), against moto over HTTP, with Cost Explorer's cost allocation tag
operations answered as AWS answers them (`tests.moto_gaps.cost_allocation_tags`: HTTP 200 with `Errors` for a
key billing data has not seen)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import boto3
import pytest

from tests.e2e.assets import FunctionAsset, function_asset
from tests.e2e.conftest import REGION, LambdaRun, run_lambda
from tests.moto_gaps import CostAllocationTagBilling, cost_allocation_tags

STACK = "aifinops-cost-tags"
KEYS = ["team", "project", "model", "environment", "task-type"]
START = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def asset(tmp_path_factory: pytest.TempPathFactory, config: Any) -> FunctionAsset:
    import aws_cdk as cdk

    from aifinops.infra.context import cdk_json_context
    from aifinops.infra.cost_tags_stack import CostTagsStack

    outdir = tmp_path_factory.mktemp("cost-tags-cdk.out")
    app = cdk.App(outdir=str(outdir), context=cdk_json_context())
    CostTagsStack(app, STACK, config=config,
                  env=cdk.Environment(account=config.organization.management_account, region=REGION))
    app.synth()
    return function_asset(outdir, STACK, "handler.handler")


@pytest.fixture
def billing(moto: str, asset: FunctionAsset) -> Iterator[CostAllocationTagBilling]:
    """moto with the state parameter and the schedule rule as CloudFormation creates them."""
    env = asset.environment
    boto3.client("ssm", region_name=REGION, endpoint_url=moto).put_parameter(
        Name=env["AIFINOPS_COST_TAG_STATE"], Value="{}", Type="String")
    boto3.client("events", region_name=REGION, endpoint_url=moto).put_rule(
        Name=env["AIFINOPS_COST_TAG_RULE"], ScheduleExpression="rate(6 hours)", State="ENABLED")
    with cost_allocation_tags() as fake:
        yield fake


def run(asset: FunctionAsset, moto: str, boto3_only_path: Path, tmp_path: Path, now: datetime,
        **env: str) -> LambdaRun:
    return run_lambda(asset, {"source": "aws.events"}, endpoint_url=moto, boto3_path=boto3_only_path,
                      workdir=tmp_path / now.strftime("%Y%m%d%H%M%S"), now=now, extra_env=env or None)


def rule_state(moto: str, name: str) -> str:
    return str(boto3.client("events", region_name=REGION, endpoint_url=moto).describe_rule(Name=name)["State"])


def test_keys_billing_has_not_seen_are_reported_refused_not_active(
        asset: FunctionAsset, moto: str, billing: CostAllocationTagBilling, boto3_only_path: Path,
        tmp_path: Path) -> None:
    outcome = run(asset, moto, boto3_only_path, tmp_path, START).result
    assert outcome["keys"] == KEYS and outcome["inactive"] == KEYS and not outcome["done"]
    assert [r["key"] for r in outcome["refused"]] == KEYS
    assert all(r["code"] == "TagKeysNotFoundException" for r in outcome["refused"])
    assert outcome["activating"] == [] and outcome["overdue"] == [] and outcome["failures"] == []
    assert outcome["schedule"] == "enabled" and rule_state(moto, "aifinops-cost-tags-schedule") == "ENABLED"
    assert billing.calls == ["ListCostAllocationTags", "UpdateCostAllocationTagsStatus"]  # 5 keys: one call


def test_retries_until_every_key_is_active_then_disables_its_schedule(
        asset: FunctionAsset, moto: str, billing: CostAllocationTagBilling, boto3_only_path: Path,
        tmp_path: Path) -> None:
    first = run(asset, moto, boto3_only_path, tmp_path, START)
    assert first.result["firstAttempts"] == dict.fromkeys(KEYS, START.isoformat())
    billing.seen |= {"team", "project"}  # billing data saw two keys the next day
    second = run(asset, moto, boto3_only_path, tmp_path, START + timedelta(days=1)).result
    assert second["status"]["team"] == "Active" and second["status"]["project"] == "Active"
    assert second["inactive"] == ["model", "environment", "task-type"] and second["overdue"] == []
    assert second["firstAttempts"]["team"] == START.isoformat(), "the first pass is kept, not restarted"
    late = run(asset, moto, boto3_only_path, tmp_path, START + timedelta(days=3, minutes=1))
    assert late.result["overdue"] == ["model", "environment", "task-type"]
    emf = [line for line in late.log if "_aws" in line]
    assert emf and emf[-1]["OverdueKeys"] == 3 and emf[-1]["InactiveKeys"] == 3
    billing.seen |= set(KEYS)
    done = run(asset, moto, boto3_only_path, tmp_path, START + timedelta(days=4)).result
    assert done["done"] and done["inactive"] == [] and done["schedule"] == "disabled"
    assert rule_state(moto, "aifinops-cost-tags-schedule") == "DISABLED"
    assert billing.status == dict.fromkeys(KEYS, "Active")
    # a deployment adds a key: the next run finds it inactive and turns the schedule back on
    more = run(asset, moto, boto3_only_path, tmp_path, START + timedelta(days=5),
               AIFINOPS_COST_TAG_KEYS=",".join([*KEYS, "cost-center"])).result
    assert more["inactive"] == ["cost-center"] and more["schedule"] == "enabled"
    assert more["firstAttempts"]["cost-center"] == (START + timedelta(days=5)).isoformat()
    assert rule_state(moto, "aifinops-cost-tags-schedule") == "ENABLED"


def test_an_api_error_is_reported_and_never_raised(asset: FunctionAsset, moto: str, boto3_only_path: Path,
                                                   tmp_path: Path) -> None:
    """Without the Cost Explorer operations moto answers an error: the run reports it, keeps the schedule on."""
    boto3.client("events", region_name=REGION, endpoint_url=moto).put_rule(
        Name="aifinops-cost-tags-schedule", ScheduleExpression="rate(6 hours)", State="ENABLED")
    outcome = run(asset, moto, boto3_only_path, tmp_path, START).result
    assert [f["operation"] for f in outcome["failures"]][:1] == ["ListCostAllocationTags"]
    assert not outcome["done"] and outcome["schedule"] == "enabled"
    assert json.dumps(outcome)  # the summary stays JSON
