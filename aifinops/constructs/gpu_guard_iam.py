"""The GPU guard role's statements: least privilege for one account and region.

- reads without resource-level permissions (``Resource: "*"``): EC2 inventory, GetMetricData, SageMaker lists;
- SageMaker describes and ListTags on this account's ARNs in the region;
- ``ec2:StopInstances`` only of accelerated instance types (``ec2:InstanceType`` StringLike ``<family>.*`` of
  the catalog, as the SCPs use), and the guard's EC2 tag writes under the same condition;
- SageMaker stops (StopNotebookInstance, StopTrainingJob, DeleteEndpoint) on this account's ARNs;
- tag writes only of the guard's tags (``aws:TagKeys``, and never a request without keys: EC2 DeleteTags
  without keys removes every tag); deletes only of ``aifinops:violation`` and ``aifinops:stop-after`` (unmark):
  the audit tag ``aifinops:stopped-by`` is never removed by the guard;
- ``sns:Publish`` to its topic, and ``kms:GenerateDataKey*`` / ``kms:Decrypt`` of the topic's key.
"""

from __future__ import annotations

from aws_cdk import aws_iam as iam

from aifinops.lambdas.guard.permissions import PERMISSIONS, Permission
from aifinops.naming import STOP_AFTER_TAG, STOPPED_BY_TAG, VIOLATION_TAG
from aifinops.policies.scp_required_tags import accelerated_ec2_patterns

__all__ = ["KEY_ACTIONS", "MARK_TAGS", "UNMARK_TAGS", "guard_statements"]

MARK_TAGS = (VIOLATION_TAG, STOP_AFTER_TAG, STOPPED_BY_TAG)  # what the guard writes
UNMARK_TAGS = (VIOLATION_TAG, STOP_AFTER_TAG)  # what it removes when a finding is resolved
KEY_ACTIONS = ("kms:Decrypt", "kms:GenerateDataKey*")  # publishing to an SSE-KMS topic (no API call of its own)
# Where each resource type of the permission table lives: (service, ARN resource pattern).
_RESOURCES = {"instance": ("ec2", "instance/*"), "endpoint": ("sagemaker", "endpoint/*"),
              "endpoint-config": ("sagemaker", "endpoint-config/*"),
              "notebook-instance": ("sagemaker", "notebook-instance/*"),
              "training-job": ("sagemaker", "training-job/*")}


def guard_statements(account: str, region: str, partition: str, *, topic_arn: str,
                     key_arn: str) -> list[iam.PolicyStatement]:
    """The guard role's statements, derived from the table the guard declares next to its code
    (`aifinops.lambdas.guard.permissions`), so the code and the role cannot drift apart."""

    def arns(group: list[Permission]) -> list[str]:
        return sorted({f"arn:{partition}:{_RESOURCES[t][0]}:{region}:{account}:{_RESOURCES[t][1]}"
                       for p in group for t in p.resources})

    def actions(group: list[Permission]) -> list[str]:
        return sorted({p.action for p in group})

    def keys(allowed: tuple[str, ...]) -> dict[str, dict[str, object]]:
        return {"ForAllValues:StringEquals": {"aws:TagKeys": list(allowed)}, "Null": {"aws:TagKeys": "false"}}

    accelerated = {"StringLike": {"ec2:InstanceType": list(accelerated_ec2_patterns())}}
    tag_writes = _group("guard-tag-keys")
    ec2_marks = [p for p in tag_writes if p.action.startswith("ec2:") and not _deletes(p)]
    ec2_unmarks = [p for p in tag_writes if p.action.startswith("ec2:") and _deletes(p)]
    sm_marks = [p for p in tag_writes if p.action.startswith("sagemaker:") and not _deletes(p)]
    sm_unmarks = [p for p in tag_writes if p.action.startswith("sagemaker:") and _deletes(p)]
    scoped = _group("account")
    describes = [p for p in scoped if p.action.split(":")[1].startswith(("Describe", "List"))]
    stops = [p for p in scoped if p not in describes]
    stop_instances = _group("accelerated-type")
    statements = [
        iam.PolicyStatement(sid="ReadInventory", actions=actions(_group("none")), resources=["*"]),
        iam.PolicyStatement(sid="DescribeSageMaker", actions=actions(describes), resources=arns(describes)),
        iam.PolicyStatement(sid="StopAcceleratedInstances", actions=actions(stop_instances),
                            resources=arns(stop_instances), conditions=accelerated),
        iam.PolicyStatement(sid="MarkAcceleratedInstances", actions=actions(ec2_marks), resources=arns(ec2_marks),
                            conditions={**accelerated, **keys(MARK_TAGS)}),
        iam.PolicyStatement(sid="UnmarkAcceleratedInstances", actions=actions(ec2_unmarks),
                            resources=arns(ec2_unmarks), conditions={**accelerated, **keys(UNMARK_TAGS)}),
        iam.PolicyStatement(sid="StopSageMaker", actions=actions(stops), resources=arns(stops)),
        iam.PolicyStatement(sid="MarkSageMaker", actions=actions(sm_marks), resources=arns(sm_marks),
                            conditions=keys(MARK_TAGS)),
        iam.PolicyStatement(sid="UnmarkSageMaker", actions=actions(sm_unmarks), resources=arns(sm_unmarks),
                            conditions=keys(UNMARK_TAGS)),
        iam.PolicyStatement(sid="NotifyOwners", actions=actions(_group("topic")), resources=[topic_arn]),
        iam.PolicyStatement(sid="EncryptNotifications", actions=list(KEY_ACTIONS), resources=[key_arn]),
    ]
    covered = {a for s in statements for a in s.actions}
    undeclared = {p.action for p in PERMISSIONS} - covered
    if undeclared:  # a condition this module does not know: refuse rather than grant it unscoped
        raise ValueError(f"guard permissions without a statement: {sorted(undeclared)}")
    return statements


def _group(condition: str) -> list[Permission]:
    return [p for p in PERMISSIONS if p.condition == condition]


def _deletes(permission: Permission) -> bool:
    return permission.action.split(":")[1].startswith("Delete")
