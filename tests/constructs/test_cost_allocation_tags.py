"""CostAllocationTags: a function that activates the keys until Cost Explorer lists them active, run at each
deployment that changes the keys and on a schedule it disables itself, with an alarm on overdue keys."""

from __future__ import annotations

import json
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_sns as sns
from aws_cdk.assertions import Template

from aifinops.constructs import ConstructPropError, CostAllocationTags
from aifinops.constructs.cost_allocation_tags import STATE_PARAMETER
from aifinops.infra.context import cdk_json_context

KEYS = ["team", "project", "model", "environment", "task-type"]


def synth(keys: list[str], **kwargs: Any) -> Template:
    app = cdk.App(context=cdk_json_context())
    stack = cdk.Stack(app, "Billing", env=cdk.Environment(account="111111111111", region="us-east-1"))
    if kwargs.pop("topic", False):
        kwargs["alarm_topic"] = sns.Topic(stack, "Alerts")
    CostAllocationTags(stack, "CostTags", keys=keys, **kwargs)
    return Template.from_stack(stack)


@pytest.fixture(scope="module")
def template() -> Template:
    return synth(KEYS, topic=True)


def function(template: Template) -> dict[str, Any]:
    [found] = [f for f in template.find_resources("AWS::Lambda::Function").values()
               if f["Properties"].get("FunctionName") == "aifinops-cost-tags"]
    return found["Properties"]


def test_function_knows_its_keys_state_and_schedule(template: Template) -> None:
    props = function(template)
    assert props["Environment"]["Variables"] == {
        "AIFINOPS_COST_TAG_KEYS": ",".join(KEYS), "AIFINOPS_COST_TAG_STATE": STATE_PARAMETER,
        "AIFINOPS_COST_TAG_RULE": "aifinops-cost-tags-schedule", "AIFINOPS_COST_TAG_OVERDUE_DAYS": "3"}
    assert props["Handler"] == "handler.handler" and props["ReservedConcurrentExecutions"] == 1
    template.has_resource_properties("AWS::Events::Rule", {"Name": "aifinops-cost-tags-schedule",
                                                           "ScheduleExpression": "rate(6 hours)"})
    template.has_resource_properties("AWS::SSM::Parameter", {"Name": STATE_PARAMETER, "Value": "{}"})


def test_first_pass_at_deployment_is_asynchronous_and_keyed_by_the_keys(template: Template) -> None:
    [resource] = template.find_resources("Custom::AWS").values()
    create = resource["Properties"]["Create"]
    text = create if isinstance(create, str) else "".join(p if isinstance(p, str) else "X"
                                                         for p in create["Fn::Join"][1])
    assert '"action":"invoke"' in text and '"InvocationType":"Event"' in text
    assert f'"id":"cost-allocation-tags:{",".join(KEYS)}"' in text
    assert resource["Properties"]["Update"] == create and "Delete" not in resource["Properties"]


def test_least_privilege(template: Template) -> None:
    statements = [s for p in template.find_resources("AWS::IAM::Policy").values()
                  for s in p["Properties"]["PolicyDocument"]["Statement"]]
    actions = sorted(a for s in statements for a in ([s["Action"]] if isinstance(s["Action"], str) else s["Action"]))
    assert actions == sorted(["ce:ListCostAllocationTags", "ce:UpdateCostAllocationTagsStatus", "ssm:GetParameter",
                              "ssm:PutParameter", "events:EnableRule", "events:DisableRule", "lambda:InvokeFunction",
                              *["logs:CreateLogStream", "logs:PutLogEvents"] * 2, "sqs:SendMessage"])
    star = [s for s in statements if s["Resource"] == "*"]
    assert [s["Action"] for s in star] == [["ce:ListCostAllocationTags", "ce:UpdateCostAllocationTagsStatus"]]
    rule = next(s for s in statements if "events:EnableRule" in s["Action"])
    assert rule["Resource"] == "arn:aws:events:us-east-1:111111111111:rule/aifinops-cost-tags-schedule"
    for role in template.find_resources("AWS::IAM::Role").values():
        assert "ManagedPolicyArns" not in role["Properties"]  # no AWSLambdaBasicExecutionRole (logs on "*")


def test_alarms_notify_the_topic(template: Template) -> None:
    alarms = {a["Properties"]["AlarmName"]: a["Properties"] for a in template.find_resources("AWS::CloudWatch::Alarm")
              .values()}
    overdue = alarms["aifinops-cost-tags-overdue"]
    assert (overdue["Namespace"], overdue["MetricName"], overdue["Threshold"]) == (
        "aifinops/CostAllocationTags", "OverdueKeys", 1)
    assert overdue["TreatMissingData"] == "notBreaching"
    assert all(len(a["AlarmActions"]) == 1 for a in alarms.values())
    assert "AlarmActions" not in json.dumps(synth(["team"]).find_resources("AWS::CloudWatch::Alarm"))


@pytest.mark.parametrize(("kwargs", "code"), [
    ({"keys": []}, "AIF_COST_TAG_KEYS"), ({"keys": ["team", "team"]}, "AIF_COST_TAG_KEYS"),
    ({"keys": ["team"], "every_hours": 0}, "AIF_COST_TAG_SCHEDULE"),
    ({"keys": ["team"], "overdue_days": 31}, "AIF_COST_TAG_OVERDUE"),
])
def test_bad_props_fail(kwargs: dict[str, Any], code: str) -> None:
    keys = kwargs.pop("keys")
    with pytest.raises(ConstructPropError, match=rf"\[{code}\] Billing/CostTags: prop"):
        synth(keys, **kwargs)
