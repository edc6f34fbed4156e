"""CostAllocationTags: Cost Explorer activation through a custom resource, 20 keys a call."""

from __future__ import annotations

import json
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk.assertions import Template

from aifinops.constructs import ConstructPropError, CostAllocationTags
from aifinops.infra.context import cdk_json_context


def synth(keys: list[str]) -> Template:
    app = cdk.App(context=cdk_json_context())
    stack = cdk.Stack(app, "Billing", env=cdk.Environment(account="111111111111", region="us-east-1"))
    CostAllocationTags(stack, "CostTags", keys=keys)
    return Template.from_stack(stack)


def calls(template: Template) -> list[dict[str, Any]]:
    resources = template.find_resources("Custom::AWS")
    return [json.loads("".join(p if isinstance(p, str) else "" for p in r["Properties"]["Create"]["Fn::Join"][1]))
            if isinstance(r["Properties"]["Create"], dict) else json.loads(r["Properties"]["Create"])
            for r in resources.values()]


def test_activates_every_key_on_create_and_update() -> None:
    template = synth(["team", "project", "model", "environment", "task-type"])
    [resource] = template.find_resources("Custom::AWS").values()
    assert resource["Properties"]["Update"] == resource["Properties"]["Create"]
    [call] = calls(template)
    assert call["service"] == "CostExplorer" and call["action"] == "updateCostAllocationTagsStatus"
    assert call["region"] == "us-east-1"
    assert call["parameters"]["CostAllocationTagsStatus"] == [
        {"TagKey": k, "Status": "Active"} for k in ("team", "project", "model", "environment", "task-type")]
    assert "Delete" not in resource["Properties"]  # deleting the stack leaves the keys active


def test_least_privilege() -> None:
    template = synth(["team"])
    policies = template.find_resources("AWS::IAM::Policy").values()
    statements = [s for p in policies for s in p["Properties"]["PolicyDocument"]["Statement"]]
    [log_group] = template.find_resources("AWS::Logs::LogGroup")
    assert sorted(statements, key=json.dumps) == sorted([
        {"Action": "ce:UpdateCostAllocationTagsStatus", "Effect": "Allow", "Resource": "*"},
        {"Action": ["logs:CreateLogStream", "logs:PutLogEvents"], "Effect": "Allow",
         "Resource": {"Fn::GetAtt": [log_group, "Arn"]}}], key=json.dumps)
    # the provider runs with its own role: no AWS managed policy (AWSLambdaBasicExecutionRole writes any log)
    [role] = template.find_resources("AWS::IAM::Role").values()
    assert "ManagedPolicyArns" not in role["Properties"]


def test_more_than_twenty_keys_take_several_calls() -> None:
    keys = [f"key-{i:02d}" for i in range(45)]
    batches = [c["parameters"]["CostAllocationTagsStatus"] for c in calls(synth(keys))]
    assert sorted(len(b) for b in batches) == [5, 20, 20]
    assert sorted(t["TagKey"] for b in batches for t in b) == keys


@pytest.mark.parametrize("keys", [[], ["team", "team"]])
def test_bad_keys_fail(keys: list[str]) -> None:
    with pytest.raises(ConstructPropError, match=r"\[AIF_COST_TAG_KEYS\] Billing/CostTags: prop 'keys'"):
        synth(keys)
