"""Acknowledged cdk-nag findings: every reason in one place, and helpers that record an acknowledgement on the
construct that owns the resource.

Acknowledgements use the ``Plugin::Rule`` id form (``AwsSolutions::AwsSolutions-IAM5[Resource::*]``), so the
CDK keeps them in ``cdk.out/validation-report.json`` under ``suppressedViolations`` with their reason (a bare
rule id would hide the finding without a trace). Findings with an id (IAM5, IAM4) are acknowledged one id at
a time, computed from the statements that cause them: a new wildcard is never covered by an old reason.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

import aws_cdk as cdk
from aws_cdk import aws_iam as iam
from constructs import IConstruct

from aifinops.policies.nag.rule import PACK_NAME
from aifinops.policies.resource_facts.aif_twins import TWINS

__all__ = ["AWS_SOLUTIONS", "CHECKOV_METADATA", "SERVERLESS", "Reasons", "acknowledge", "acknowledge_verdict",
           "acknowledge_wildcards", "add_checkov_skip", "nag_text", "wildcard_findings"]

AWS_SOLUTIONS = "AwsSolutions"  # the plugin (pack) names of cdk-nag 3
CHECKOV_METADATA = "checkov"  # resource metadata checkov reads its skips from: {"skip": [{"id", "comment"}]}
SERVERLESS = "Serverless"
Reasons = Mapping[str | None, str]  # reason per statement id (None: a statement without one)

# --- IAM5: wildcards that the API or the job leaves no way around -------------------------------------------
INVENTORY_READS = (
    "Describe/List inventory calls and cloudwatch:GetMetricData have no resource-level permissions (the service "
    "authorization reference allows only Resource '*'); they read and change nothing")
KMS_DATA_KEY_FAMILY = (
    "kms:GenerateDataKey* only on this construct's own customer managed key (the statement's one resource): "
    "the data-key family SSE-KMS calls on the caller's behalf, the same grant as aws-cdk's grantPublish/grant")
KMS_REENCRYPT_FAMILY = (
    "kms:GenerateDataKey*/ReEncrypt* only on the endpoint's own storage key (the statement's one resource): "
    "the data-key and re-encrypt family SageMaker uses for the ML storage volumes it attaches to the instances")
ECR_AUTH_TOKEN = (
    "ecr:GetAuthorizationToken is account-wide and has no resource-level permissions; image pulls themselves "
    "are granted only on the image's own ECR repository")
ENDPOINT_ACCOUNT_CALLS = (
    "ecr:GetAuthorizationToken and cloudwatch:PutMetricData have no resource-level permissions (Resource '*' "
    "only); PutMetricData is limited to SageMaker's own metric namespaces by the cloudwatch:namespace condition")
ENDPOINT_UNRESOLVED_IMAGE = (
    "the image URI is a token unknown at synthesis, so its ECR repository cannot be named: pulls on any "
    "repository of the account's registry")
ENDPOINT_LOG_STREAMS = (
    "log-group:<name>:* is this endpoint's own log group and its streams: SageMaker names the streams after "
    "the instances and variants at run time")
NOTEBOOK_LOG_STREAMS = (
    "Log streams are only under /aws/sagemaker/NotebookInstances: one stream per notebook and hook, named after "
    "the notebook, which does not exist yet when this policy must already apply (first-boot lifecycle logs)")
MODEL_DATA_PREFIX = (
    "s3:GetObject under the configured model_data_url prefix only: SageMaker reads every file of the model "
    "artifact there, whose names are the model's, not ours")
COST_EXPLORER_CALL = (
    "ce:ListCostAllocationTags and ce:UpdateCostAllocationTagsStatus have no resource-level permissions "
    "(Resource '*' only); the activator makes only these Cost Explorer calls")
BUDGET_SCP_ACCOUNTS = (
    "The organization id is not known at synthesis: account/o-*/<account> names exactly the team's account "
    "in whatever organization this management account runs, and only SERVICE_CONTROL_POLICY attachments")
BEDROCK_ROUTED_MODELS = (
    "A geographic or global inference profile routes each call to this model in any region of its geography, "
    "so the model ARN's region is '*'; the statement applies only to calls made through this team's "
    "application inference profiles (bedrock:InferenceProfileArn)")

# Per statement id of the GPU guard's role (`aifinops.constructs.gpu_guard_iam`).
GUARD: Reasons = {
    "ReadInventory": INVENTORY_READS,
    "DescribeSageMaker": (
        "SageMaker Describe*/ListTags on every endpoint, endpoint config, notebook and training job of this "
        "account and region: the guard inventories resources teams create later, under names it cannot know"),
    "StopAcceleratedInstances": (
        "ec2:StopInstances on instances of this account and region found at run time, only of accelerated "
        "instance types (ec2:InstanceType condition)"),
    "MarkAcceleratedInstances": (
        "EC2 tag writes only on accelerated instances and only of the guard's own tag keys (aws:TagKeys)"),
    "UnmarkAcceleratedInstances": (
        "EC2 tag deletes only on accelerated instances and only of aifinops:violation and aifinops:stop-after"),
    "StopSageMaker": (
        "StopNotebookInstance, StopTrainingJob and DeleteEndpoint on this account's and region's resources "
        "found idle or untagged at run time (per the environment's guard_mode)"),
    "MarkSageMaker": "SageMaker tag writes only of the guard's own tag keys (aws:TagKeys)",
    "UnmarkSageMaker": "SageMaker tag deletes only of aifinops:violation and aifinops:stop-after (aws:TagKeys)",
    "EncryptNotifications": KMS_DATA_KEY_FAMILY,
}
# Per statement id of the budget enforcer's roles (`aifinops.constructs.budget_enforcer`): the payer role and
# the access role of each workload account share the workload statements.
ENFORCER: Reasons = {
    "ReadInventory": INVENTORY_READS,
    "DescribeSageMaker": (
        "SageMaker Describe* and ListTags of this account's resources in the configured regions: the enforcer "
        "finds a team's workloads at run time, under names it cannot know, and reads its marks back before it "
        "acts"),
    "ReadJobQueueTags": (
        "batch:ListTagsForResource of this account's job queues in the configured regions: the enforcer reads "
        "its marks back from a team's queue, found at run time, before it disables it"),
    "ReadBudgets": (
        "budgets:ViewBudget only of the aifinops-* budgets: a notification's budget is confirmed against the "
        "Budgets API before anything is paused"),
    "PauseAndResumeTeamWorkloads": (
        "stop/start/delete on this account's resources of the regions only when tagged with a pausable team "
        "and not aifinops:critical=true (aws:ResourceTag conditions)"),
    "MarkPausedWorkloads": (
        "tag writes only of aifinops:paused-by keys (aws:TagKeys) on resources of pausable teams"),
    "RecreateTeamEndpoints": (
        "resume re-creates a paused endpoint under its recorded name, only with a pausable team's tag in the "
        "request (aws:RequestTag)"),
}
# Per statement id of the Inform functions' role (`aifinops.constructs.inform_functions`).
INFORM: Reasons = {
    "ReadCostExplorer": (
        "Cost Explorer's GetCostAndUsage and GetCostForecast have no resource-level permissions; GetAnomalyMonitors "
        "and GetAnomalies read the teams' monitors found by name at run time. Reads only, billed per request and "
        "bounded per run (inform.max_cost_explorer_requests)"),
    "PutSpendMetrics": (
        "cloudwatch:PutMetricData has no resource type; the statement allows only the AiFinOps namespace "
        "(cloudwatch:namespace condition)"),
    "ReadMetrics": (
        "cloudwatch:GetMetricData has no resource type: the collector reads the configured outcome metrics and "
        "the report reads the GPU guard's per-team metrics"),
    "ReadBudgets": "budgets:ViewBudget only of the aifinops-* budgets: each team's budget status in its report",
    "WriteReports": (
        "objects under the report prefix of the report bucket, one per team and week (and its sent marker), "
        "under names built from the week at run time"),
}
ENDPOINT: Reasons = {
    "PullImage": ENDPOINT_UNRESOLVED_IMAGE,
    "EcrAuthorizationToken": ENDPOINT_ACCOUNT_CALLS,
    "PutEndpointMetrics": ENDPOINT_ACCOUNT_CALLS,
    "ReadModelData": MODEL_DATA_PREFIX,
    "WriteLogs": ENDPOINT_LOG_STREAMS,
    "UseStorageKey": KMS_REENCRYPT_FAMILY,
}

# --- IAM4 ---------------------------------------------------------------------------------------------------
ECS_INSTANCE_POLICY = (
    "AmazonEC2ContainerServiceforEC2Role is what the ECS agent on Batch GPU instances needs to register with "
    "its cluster; AWS keeps it in step with the agent, a hand-copied policy would drift and break instances")

# --- Serverless ---------------------------------------------------------------------------------------------
NO_XRAY_SDK = (
    "Lambda code here is stdlib + boto3 only, without the X-Ray SDK: active tracing would record just the "
    "invocation segment (no AWS calls inside it), which the Duration metric and the per-scan summary log line "
    "already give, and would add an xray:PutTraceSegments grant on '*' to the role")
NO_XRAY_SDK_PROVIDER = (
    "the aws-cdk custom resource provider makes one AWS SDK call per deployment; its outcome is in the "
    "CloudFormation stack events and the provider's log group, and tracing it would add an xray grant on '*'")
# The StackSets' asset copy (aws-cdk's BucketDeployment singleton, used by cdk-stacksets) and asset buckets.
ASSET_COPY_RUNTIME = (
    "aws-cdk's BucketDeployment provider: its runtime is chosen by the aws-cdk-lib release pinned here and moves with "
    "it; it runs only during deployments, to copy the StackSets' Lambda code")
ASSET_COPY_LOGS = (
    "the BucketDeployment provider's role writes its own CloudWatch logs through AWSLambdaBasicExecutionRole, which "
    "AWS keeps in step with Lambda's logging; it runs only during deployments")
ASSET_COPY_GRANTS = (
    "aws-cdk's BucketDeployment grants: read the CDK asset bucket of this account and region and write the objects of "
    "the StackSets' asset buckets (aifinops-stackset-assets-*), the S3 action families its copy uses")
STACKSET_ASSETS_UNLOGGED = (
    "holds only the StackSets' Lambda code, written by deployments (CloudTrail records them) and read by "
    "CloudFormation in the organization's accounts (aws:PrincipalOrgID); access logs would need a bucket per region "
    "for reads of public-by-design code")
STACKSET_ASSETS_IMPORTED = (
    "the StackSets' asset buckets are imported by name: their stacks (aifinops-stackset-assets-<region>) give the "
    "organization read access; the asset copy needs no bucket policy, its role's IAM policy grants its writes")
IS_ACCESS_LOG_BUCKET = (
    "this bucket receives the server access logs of the report bucket; logging it into itself would log its own "
    "log deliveries without end, and S3 writes these logs only to a bucket with SSE-S3")
IS_DEAD_LETTER_QUEUE = (
    "this queue is itself the dead-letter queue; nothing consumes it automatically, so there is no receive "
    "count to redrive on, and its depth is alarmed")
DLQ_NOT_DESTINATION = (
    "failed asynchronous invocations already go to the function's dead-letter queue (DeadLetterConfig), whose "
    "depth is alarmed; an on-failure destination in addition would only record each failure a second time")
PROVIDER_DLQ = (
    "the custom resource provider is invoked by CloudFormation once per deployment; a failure fails the "
    "deployment and is shown in the stack events and the provider's log group, which is where it is acted on")

def acknowledge(scope: IConstruct, plugin: str, rule: str, reason: str, finding: str | None = None) -> None:
    """Acknowledge `plugin`'s `rule` (e.g. ``IAM5``, optionally one `finding` id such as ``Resource::*``) for
    the resources under `scope`, with `reason` (recorded in validation-report.json)."""
    rule_id = f"{plugin}-{rule}" + (f"[{finding}]" if finding else "")
    cdk.Validations.of(scope).acknowledge(cdk.Acknowledgment(id=f"{plugin}::{rule_id}", reason=reason))


def acknowledge_verdict(resource: cdk.CfnResource, rule_id: str, reason: str) -> None:
    """Acknowledge one AiFinOps verdict on `resource` for every tool that reports it: the cdk-nag rule
    (`rule_id`, e.g. ``AiFinOps-SM1``) and its checkov twin (``CKV_AIF_3``, from `aif_twins.TWINS`), with the
    same reason. A rule without a twin is acknowledged in cdk-nag alone."""
    plugin, _, suffix = rule_id.partition("-")
    if plugin != PACK_NAME or not suffix:
        raise ValueError(f"{rule_id!r} is not an AiFinOps rule id (e.g. {PACK_NAME}-SM1)")
    acknowledge(resource, PACK_NAME, suffix, reason)
    twin = TWINS.get(rule_id)
    if twin is not None:
        add_checkov_skip(resource, twin, reason)


def add_checkov_skip(resource: cdk.CfnResource, check_id: str, reason: str) -> None:
    """Add a checkov skip (`check_id`, `reason`) to the resource's metadata, after those already there."""
    existing: Any = resource.get_metadata(CHECKOV_METADATA) or {}
    base = existing if isinstance(existing, dict) else {}
    entries = [e for e in base.get("skip", []) if isinstance(e, dict) and e.get("id") != check_id]
    resource.add_metadata(CHECKOV_METADATA, {**base, "skip": [*entries, {"id": check_id, "comment": reason}]})


def acknowledge_wildcards(scope: IConstruct, statements: Iterable[iam.PolicyStatement], reasons: Reasons) -> None:
    """Acknowledge, under `scope`, exactly the AwsSolutions-IAM5 findings `statements` raise, each with the
    reasons (`reasons[statement.sid]`, key None for a statement without sid) of the statements that raise it.
    A finding of a statement without a reason stays unacknowledged: nag reports it."""
    by_finding: dict[str, list[str]] = {}
    for statement in statements:
        reason = reasons.get(statement.sid)
        if reason is None:
            continue
        for finding in wildcard_findings(scope, [statement]):
            if reason not in by_finding.setdefault(finding, []):
                by_finding[finding].append(reason)
    for finding, found in by_finding.items():
        acknowledge(scope, AWS_SOLUTIONS, "IAM5", "; ".join(found), finding)


def wildcard_findings(scope: IConstruct, statements: Iterable[iam.PolicyStatement]) -> list[str]:
    """The AwsSolutions-IAM5 finding ids of `statements` (``Action::<action>``, ``Resource::<resource>``),
    rendered as cdk-nag renders them in `scope`'s stack."""
    stack = cdk.Stack.of(scope)
    found: list[str] = []
    for statement in statements:
        if statement.effect != iam.Effect.ALLOW:
            continue
        found += [f"Action::{a}" for a in statement.actions if "*" in a]
        found += [f"Resource::{text}" for text in (nag_text(stack, r) for r in statement.resources) if "*" in text]
    return list(dict.fromkeys(found))


def nag_text(stack: cdk.Stack, value: str) -> str:
    """`value` as cdk-nag prints it in finding ids (its flattenCfnReference): references as ``<LogicalId>`` or
    ``<LogicalId.Attribute>``, joins flattened."""
    return _flatten(stack.resolve(value))


def _flatten(node: Any) -> str:
    if isinstance(node, str):
        return node.replace("${", "<").replace("}", ">")
    if isinstance(node, dict):
        if "Fn::Join" in node:
            delimiter, items = node["Fn::Join"]
            return str(delimiter).join(_flatten(i) for i in items)
        if "Fn::Sub" in node:
            return _flatten(node["Fn::Sub"])
        if "Fn::GetAtt" in node:
            resource, attribute = node["Fn::GetAtt"]
            return f"<{_flatten(resource)}.{_flatten(attribute)}>"
        if "Fn::ImportValue" in node:
            return _flatten(node["Fn::ImportValue"])
        if "Ref" in node:
            return f"<{_flatten(node['Ref'])}>"
    return json.dumps(node, separators=(",", ":"))
