"""add_checkov_skips writes the table's accepted checkov findings into template metadata, where checkov reads
them (`Metadata.checkov.skip`), next to skips a construct wrote itself, and only on the resources each row
names."""

from __future__ import annotations

from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_logs as logs
from aws_cdk import aws_sqs as sqs
from aws_cdk import custom_resources as cr

from aifinops.constructs.cost_allocation_tags import CostAllocationTags
from aifinops.infra.checkov_skips import SKIPS, add_checkov_skips


@pytest.fixture(scope="module")
def resources() -> dict[str, dict[str, Any]]:
    """A stack with rows that match (the custom resource provider of CostAllocationTags, its log group) and
    resources that must stay unskipped (an app's own SSE-SQS queue, an unencrypted queue, other logs); a second
    stack whose AwsCustomResource is the app's own; synthesized once."""
    app = cdk.App(context={"aws:cdk:enable-path-metadata": True})
    stack = cdk.Stack(app, "Skips", env=cdk.Environment(account="111111111111", region="us-east-1"))
    CostAllocationTags(stack, "CostTags", keys=["team"])
    queue = sqs.Queue(stack, "SqsManaged", encryption=sqs.QueueEncryption.SQS_MANAGED)
    queue.node.default_child.add_metadata("checkov", {"skip": [  # type: ignore[union-attr]
        {"id": "CKV_AWS_999", "comment": "written by the construct"}]})
    sqs.Queue(stack, "Unencrypted", encryption=sqs.QueueEncryption.UNENCRYPTED)
    logs.LogGroup(stack, "OtherLogs")
    other = cdk.Stack(app, "Own", env=cdk.Environment(account="111111111111", region="us-east-1"))
    cr.AwsCustomResource(other, "Lookup", on_create=cr.AwsSdkCall(
        service="STS", action="GetCallerIdentity", physical_resource_id=cr.PhysicalResourceId.of("id")),
        policy=cr.AwsCustomResourcePolicy.from_sdk_calls(resources=cr.AwsCustomResourcePolicy.ANY_RESOURCE))
    add_checkov_skips(app)
    assembly = app.synth()
    found = {}
    for name in ("Skips", "Own"):
        for r in assembly.get_stack_by_name(name).template["Resources"].values():
            found[r["Metadata"]["aws:cdk:path"].removeprefix("Skips/")] = r
    return found


def skips(resource: dict[str, Any]) -> dict[str, str]:
    return {s["id"]: s["comment"] for s in resource.get("Metadata", {}).get("checkov", {}).get("skip", [])}


def reason(check_id: str, resource_type: str) -> str:
    return next(row.reason for row in SKIPS if row.check_id == check_id and row.resource_type == resource_type)


def test_custom_resource_provider_gets_its_lambda_skips_with_reasons(resources: dict[str, dict[str, Any]]) -> None:
    provider = next(r for path, r in resources.items() if path.startswith("AWS679f53fac002430cb0da5b7982bd2287"))
    found = skips(provider)
    assert set(found) == {"CKV_AWS_115", "CKV_AWS_116", "CKV_AWS_117"}
    assert found["CKV_AWS_116"] == reason("CKV_AWS_116", "AWS::Lambda::Function")


def test_function_log_group_is_skipped_for_kms(resources: dict[str, dict[str, Any]]) -> None:
    assert skips(resources["CostTags/Logs/Resource"]) == {
        "CKV_AWS_158": reason("CKV_AWS_158", "AWS::Logs::LogGroup")}


def test_an_apps_own_queue_and_provider_keep_their_findings(resources: dict[str, dict[str, Any]]) -> None:
    """The table names the guard's and the enforcer's dead-letter queues and CostAllocationTags' provider only."""
    assert skips(resources["SqsManaged/Resource"]) == {"CKV_AWS_999": "written by the construct"}
    own_provider = next(r for path, r in resources.items() if path.startswith("Own/AWS679f53fac002430cb0da5b7982bd2287")
                        and r["Type"] == "AWS::Lambda::Function")
    assert skips(own_provider) == {}


def test_the_functions_dead_letter_queues_are_skipped_with_the_reason(reference_assembly: Any) -> None:
    queues = [(stack, r) for stack in reference_assembly.stacks()
              for r in reference_assembly.template(stack)["Resources"].values() if r["Type"] == "AWS::SQS::Queue"]
    assert queues and all(stack.startswith(("aifinops-guard-", "aifinops-team-budgets", "aifinops-cost-tags",
                                            "aifinops-inform"))
                          for stack, _ in queues)
    for _, queue in queues:
        assert skips(queue)["CKV_AWS_27"] == reason("CKV_AWS_27", "AWS::SQS::Queue")


@pytest.mark.parametrize("path", ["Unencrypted/Resource", "OtherLogs/Resource"])
def test_resources_outside_the_table_conditions_keep_their_findings(
        resources: dict[str, dict[str, Any]], path: str) -> None:
    assert skips(resources[path]) == {}


def test_every_row_has_a_specific_reason() -> None:
    assert all(len(row.reason) > 40 for row in SKIPS)
    assert len({(row.resource_type, row.check_id, row.reason) for row in SKIPS}) == len(SKIPS)
