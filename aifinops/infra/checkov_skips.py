"""Built-in checkov findings on the reference deployment that are accepted, each with its reason: ONE table.

`add_checkov_skips(scope)` adds an aspect that writes each matching row into the resource's template metadata,
``{"checkov": {"skip": [{"id": ..., "comment": ...}]}}``: checkov then reports the check as skipped with the
comment as its reason (``aifinops check`` counts it as acknowledged). Skips that a construct already wrote are
kept. A finding that should be fixed is fixed in its construct instead, never listed here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import aws_cdk as cdk
import jsii
from constructs import IConstruct

from aifinops.constructs import nag_acks
from aifinops.constructs.budget_enforcer import BudgetEnforcer
from aifinops.constructs.cost_allocation_tags import PROVIDER_ID, CostAllocationTags
from aifinops.constructs.gpu_guard import GpuGuard
from aifinops.constructs.gpu_training_queue import GpuTrainingQueue
from aifinops.constructs.inform_functions import InformFunctions
from aifinops.infra.stackset_rollout import StackSetAssetsStack, StackSetRolloutStack

METADATA_KEY = "checkov"

Condition = Callable[[cdk.CfnResource], bool]


@dataclass(frozen=True)
class CheckovSkip:
    """Skip `check_id` on resources of `resource_type` for which `applies` holds, because of `reason`."""

    resource_type: str
    applies: Condition
    check_id: str
    reason: str


def _under(*owners: type) -> Condition:
    return lambda node: any(isinstance(scope, owners) for scope in node.node.scopes)


def _custom_resource_provider(node: cdk.CfnResource) -> bool:
    """The stack's singleton function of aws-cdk's AwsCustomResource, in a stack where CostAllocationTags uses it
    (the reasons below speak of its one Cost Explorer call; another app's provider keeps its findings)."""
    parent = node.node.scope
    if parent is None or parent.node.id != PROVIDER_ID:
        return False
    return any(isinstance(c, CostAllocationTags) for c in cdk.Stack.of(node).node.find_all())


def _dead_letter_queue_with_sse_sqs(node: cdk.CfnResource) -> bool:
    """The dead-letter queues of the guard, the enforcer, the Inform functions and the cost tag activator
    (SQS-managed encryption); not any queue of the app."""
    owned = _under(GpuGuard, BudgetEnforcer, CostAllocationTags, InformFunctions)(node)
    return owned and getattr(node, "sqs_managed_sse_enabled", None) is True


_FUNCTION_LOGS = (
    "structured logs of an aifinops function (resource ids, decisions, counts; no secrets, no customer data); "
    "CloudWatch Logs encrypts every log group at rest, and a customer managed key would add a key and key policy "
    "per stack without changing who may read the logs (IAM logs:GetLogEvents)")
_NO_VPC = ("calls only public AWS APIs and reaches nothing private: a VPC would need NAT or interface endpoints "
           "for no gain")

def _access_log_bucket(node: cdk.CfnResource) -> bool:
    """The bucket of the report bucket's server access logs (InformFunctions.access_logs)."""
    return _under(InformFunctions)(node) and node.node.scope is not None and node.node.scope.node.id == "AccessLogs"


def _stackset_asset_copy(node: cdk.CfnResource) -> bool:
    """aws-cdk's BucketDeployment singleton (function and log group) in the StackSet rollout stack."""
    return isinstance(cdk.Stack.of(node), StackSetRolloutStack) and any(
        s.node.id.startswith("Custom::CDKBucketDeployment") for s in node.node.scopes)


def _stackset_assets_bucket(node: cdk.CfnResource) -> bool:
    return isinstance(cdk.Stack.of(node), StackSetAssetsStack)


_ASSET_COPY = ("aws-cdk's BucketDeployment provider, which runs only during deployments to copy the StackSets' Lambda "
               "code into each region's asset bucket")

SKIPS: tuple[CheckovSkip, ...] = (
    CheckovSkip("AWS::Logs::LogGroup", _under(GpuGuard, BudgetEnforcer, CostAllocationTags, InformFunctions),
                "CKV_AWS_158",
                _FUNCTION_LOGS),
    CheckovSkip("AWS::Logs::LogGroup", _under(GpuTrainingQueue), "CKV_AWS_158", (
        "output of the team's Batch training containers; CloudWatch Logs encrypts it at rest, and readers are "
        "limited by IAM; a customer managed key is the team's choice of data classification, not a cost "
        "control")),
    CheckovSkip("AWS::SQS::Queue", _dead_letter_queue_with_sse_sqs, "CKV_AWS_27", (
        "encrypted at rest with SQS-managed keys (SqsManagedSseEnabled); CKV_AWS_27 accepts only a KMS key. "
        "The queue holds failed EventBridge and Lambda events (resource ids, no secrets); EventBridge cannot "
        "deliver to a queue under the AWS managed aws/sqs key, and a customer managed key would add key "
        "grants for no change in who may read it")),
    CheckovSkip("AWS::S3::Bucket", _access_log_bucket, "CKV_AWS_18", nag_acks.IS_ACCESS_LOG_BUCKET),
    CheckovSkip("AWS::DynamoDB::Table", _under(BudgetEnforcer), "CKV_AWS_119", (
        "the budget enforcer's lock table holds one item per team while a run holds its lock (team name, run id, "
        "function or CLI user, start and expiry; minutes long, no secrets), encrypted at rest with the AWS managed "
        "key aws/dynamodb; a customer managed key would add a key and key policy without changing who may read it "
        "(IAM on this one table)")),
    CheckovSkip("AWS::Lambda::Function", _custom_resource_provider, "CKV_AWS_116", nag_acks.PROVIDER_DLQ),
    CheckovSkip("AWS::Lambda::Function", _custom_resource_provider, "CKV_AWS_115", (
        "the custom resource provider runs only when CloudFormation creates or updates the custom resource; "
        "reserved concurrency would take capacity from the account's pool for a function that runs a few "
        "times a year")),
    CheckovSkip("AWS::Lambda::Function", _custom_resource_provider, "CKV_AWS_117",
                f"the provider makes one call (lambda:InvokeFunction of the cost tag activator); it {_NO_VPC}"),
    CheckovSkip("AWS::Lambda::Function", _under(GpuGuard, BudgetEnforcer, CostAllocationTags, InformFunctions),
                "CKV_AWS_117",
                f"the function {_NO_VPC}"),
    CheckovSkip("AWS::Lambda::Function", _under(CostAllocationTags), "CKV_AWS_173", (
        "its environment holds the tag keys, a parameter name, a rule name and a number of days, no secret: a KMS "
        "key for them would protect nothing")),
    CheckovSkip("AWS::Lambda::Function", _under(GpuGuard), "CKV_AWS_173", (
        "its environment holds the notification topic ARN, the dry-run switch and, deployed by a StackSet, its "
        "environment's name; no secret: a KMS key for them would protect nothing")),
    CheckovSkip("AWS::S3::Bucket", _stackset_assets_bucket, "CKV_AWS_18", nag_acks.STACKSET_ASSETS_UNLOGGED),
    CheckovSkip("AWS::Lambda::Function", _stackset_asset_copy, "CKV_AWS_115",
                f"{_ASSET_COPY}: one deployment at a time, no concurrency to limit"),
    CheckovSkip("AWS::Lambda::Function", _stackset_asset_copy, "CKV_AWS_116",
                f"{_ASSET_COPY}: CloudFormation invokes it synchronously; a failed copy fails the deployment, shown "
                "in the stack events"),
    CheckovSkip("AWS::Lambda::Function", _stackset_asset_copy, "CKV_AWS_117", f"{_ASSET_COPY}; it {_NO_VPC}"),
    CheckovSkip("AWS::Lambda::Function", _stackset_asset_copy, "CKV_AWS_173",
                f"{_ASSET_COPY}: its environment holds no secret"),
    CheckovSkip("AWS::Logs::LogGroup", _stackset_asset_copy, "CKV_AWS_158",
                f"{_ASSET_COPY}: its log holds the copy's progress (object keys, no secrets), encrypted at rest by "
                "CloudWatch Logs; readers are limited by IAM"),
)


def skips_for(node: cdk.CfnResource) -> list[dict[str, str]]:
    """The table's rows that apply to one resource, as checkov skip entries."""
    return [{"id": row.check_id, "comment": row.reason} for row in SKIPS
            if row.resource_type == node.cfn_resource_type and row.applies(node)]


@jsii.implements(cdk.IAspect)
class CheckovSkips:
    """Writes the matching rows of SKIPS into each resource's `checkov` metadata, after any skips already there."""

    def visit(self, node: IConstruct) -> None:
        if not isinstance(node, cdk.CfnResource):
            return
        found = skips_for(node)
        if not found:
            return
        existing: Any = node.get_metadata(METADATA_KEY) or {}
        entries = list(existing.get("skip", [])) if isinstance(existing, dict) else []
        known = {entry.get("id") for entry in entries if isinstance(entry, dict)}
        entries += [entry for entry in found if entry["id"] not in known]
        node.add_metadata(METADATA_KEY, {**(existing if isinstance(existing, dict) else {}), "skip": entries})


def add_checkov_skips(scope: IConstruct) -> None:
    """Apply the table to every resource under `scope` (an app or a stack) at synthesis."""
    cdk.Aspects.of(scope).add(CheckovSkips())


__all__ = ["SKIPS", "CheckovSkip", "CheckovSkips", "add_checkov_skips", "skips_for"]
