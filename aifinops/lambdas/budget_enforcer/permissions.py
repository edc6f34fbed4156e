"""Every IAM action the enforcer's code needs, declared next to the code (a test records the API calls of
real pause and resume runs and checks each against this table), for the CDK role to be least-privilege.

`condition` says how the action can be narrowed:
- "team": `aws:ResourceTag/<teamTag>` (the resource carries the team tag; also `aws:ResourceTag/<criticalTag>`
  to refuse critical ones), plus for tag writes `aws:TagKeys` limited to `<pausedTag>` and
  `<pausedTag>:endpoint:*` (StringLike).
- "request-tag": `aws:RequestTag/<teamTag>` (CreateEndpoint: the endpoint does not exist yet; its recorded tags
  are sent with the request).
- "budget-name": the resource is `arn:<partition>:budgets::<account>:budget/aifinops-*`.
- "access-role": the resource is the access role of one of the policy's `accounts` (exactly those ARNs).
- "lock-table": the resource is the lock table of the policy (`lock`), in the home account.
budgets:ViewBudget, sts:AssumeRole and the lock table are the home (payer) account's alone; the access role in
each workload account gets the rest. `aifinops budget pause|resume` takes the same lock: its lock credentials
(`--lock-profile`, default the caller's) need the four "lock-table" actions on that table.
- "none": a List/Describe without resource-level permissions (Resource "*"), or no IAM check at all.
Endpoint configs carry a paused endpoint's mark: their tag writes can be conditioned on the team tag only
when the configs are team-tagged (aifinops constructs tag them); `aws:TagKeys` always applies.
"""

from __future__ import annotations

from dataclasses import dataclass

from aifinops_runtime import permissions as runtime
from aifinops_runtime.permissions import actions_in

__all__ = ["PERMISSIONS", "Permission", "actions_for"]


@dataclass(frozen=True)
class Permission(runtime.Permission):
    """A declared permission (condition: team | request-tag | budget-name | access-role | lock-table | none), and
    which of the enforcer's two functions needs it."""

    used_by: tuple[str, ...]  # pause, resume


PAUSE, RESUME, BOTH = ("pause",), ("resume",), ("pause", "resume")
PERMISSIONS: tuple[Permission, ...] = (
    # inventory and state
    Permission("tag:GetResources", ("resourcegroupstaggingapi:GetResources",), ("*",), "none", BOTH),
    Permission("batch:DescribeJobQueues", ("batch:DescribeJobQueues",), ("*",), "none", BOTH),
    Permission("ec2:DescribeInstances", ("ec2:DescribeInstances",), ("*",), "none", BOTH),
    Permission("ec2:DescribeInstanceTypes", ("ec2:DescribeInstanceTypes",), ("*",), "none", PAUSE),
    Permission("sagemaker:DescribeNotebookInstance", ("sagemaker:DescribeNotebookInstance",),
               ("notebook-instance",), "none", BOTH),
    Permission("sagemaker:DescribeTrainingJob", ("sagemaker:DescribeTrainingJob",), ("training-job",), "none", BOTH),
    Permission("sagemaker:DescribeEndpoint", ("sagemaker:DescribeEndpoint",), ("endpoint",), "none", BOTH),
    Permission("sagemaker:DescribeEndpointConfig", ("sagemaker:DescribeEndpointConfig",), ("endpoint-config",),
               "none", BOTH),
    # reading the marks back (tagging.read_tags) before anything destructive, and before a rollback
    Permission("sagemaker:ListTags", ("sagemaker:ListTags",), ("notebook-instance", "training-job", "endpoint-config"),
               "none", PAUSE),
    Permission("ec2:DescribeTags", ("ec2:DescribeTags",), ("*",), "none", PAUSE),
    Permission("batch:ListTagsForResource", ("batch:ListTagsForResource",), ("job-queue",), "none", PAUSE),
    # confirmation (GetCallerIdentity needs no permission; DescribeBudget is authorised as ViewBudget)
    Permission("sts:GetCallerIdentity", ("sts:GetCallerIdentity",), ("*",), "none", PAUSE),
    Permission("budgets:ViewBudget", ("budgets:DescribeBudget",), ("budget",), "budget-name", PAUSE),
    # the workload accounts of the policy, through their access role
    Permission("sts:AssumeRole", ("sts:AssumeRole",), ("role",), "access-role", BOTH),
    # the per-team lock (lock.py)
    Permission("dynamodb:PutItem", ("dynamodb:PutItem",), ("table",), "lock-table", BOTH),
    Permission("dynamodb:GetItem", ("dynamodb:GetItem",), ("table",), "lock-table", BOTH),
    Permission("dynamodb:UpdateItem", ("dynamodb:UpdateItem",), ("table",), "lock-table", BOTH),
    Permission("dynamodb:DeleteItem", ("dynamodb:DeleteItem",), ("table",), "lock-table", BOTH),
    # pause and resume
    Permission("ec2:StopInstances", ("ec2:StopInstances",), ("instance",), "team", PAUSE),
    Permission("ec2:StartInstances", ("ec2:StartInstances",), ("instance",), "team", RESUME),
    Permission("sagemaker:StopNotebookInstance", ("sagemaker:StopNotebookInstance",), ("notebook-instance",),
               "team", PAUSE),
    Permission("sagemaker:StartNotebookInstance", ("sagemaker:StartNotebookInstance",), ("notebook-instance",),
               "team", RESUME),
    Permission("sagemaker:StopTrainingJob", ("sagemaker:StopTrainingJob",), ("training-job",), "team", PAUSE),
    Permission("sagemaker:DeleteEndpoint", ("sagemaker:DeleteEndpoint",), ("endpoint",), "team", PAUSE),
    Permission("sagemaker:CreateEndpoint", ("sagemaker:CreateEndpoint",), ("endpoint", "endpoint-config"),
               "request-tag", RESUME),
    Permission("batch:UpdateJobQueue", ("batch:UpdateJobQueue",), ("job-queue",), "team", BOTH),
    # marks and their state (pausing/paused, resuming); DeleteTags in pause: an outdated record, or the rollback of
    # a refused action
    Permission("ec2:CreateTags", ("ec2:CreateTags",), ("instance",), "team", BOTH),
    Permission("ec2:DeleteTags", ("ec2:DeleteTags",), ("instance",), "team", BOTH),
    # AddTags on endpoint: the tags sent with CreateEndpoint (request-tag there).
    Permission("sagemaker:AddTags", ("sagemaker:AddTags",),
               ("notebook-instance", "training-job", "endpoint-config", "endpoint"), "team", BOTH),
    Permission("sagemaker:DeleteTags", ("sagemaker:DeleteTags",),
               ("notebook-instance", "training-job", "endpoint-config"), "team", BOTH),
    Permission("batch:TagResource", ("batch:TagResource",), ("job-queue",), "team", BOTH),
    Permission("batch:UntagResource", ("batch:UntagResource",), ("job-queue",), "team", BOTH),
)


def actions_for(operation: str) -> list[str]:
    """The IAM actions declared for a `service:Operation` call ([] when undeclared)."""
    return actions_in(PERMISSIONS, operation)
