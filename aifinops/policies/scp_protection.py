"""SCP statements 6: what aifinops deploys stays as deployed, nobody makes themselves exempt, and the tags the
pack and its guard rely on stay on AI resources.

Guardrails (exempt: `organization.break_glass` and the deployers: the CloudFormation execution role of the aifinops
CDK bootstrap, `cdk-<cdk_qualifier>-cfn-exec-role-*`, and `organization.deployment_roles`, so that CDK deploy
rights in an account, which every team has through its own bootstrap, are no rights over its guardrails):

a. `AifProtectTaggedGuardrails`: the mutating actions below on any resource whose tag
   `aifinops:managed` is `true` (`aws:ResourceTag/aifinops:managed`; every type listed supports it in the
   service authorization data of 2026): Lambda functions, IAM roles and managed policies, EventBridge rules,
   SNS topics, SQS queues, CloudWatch alarms, CloudWatch Logs log groups, SSM parameters, and KMS keys (without
   its key, the guard's encrypted topic cannot publish: disabling, scheduling deletion, key policies, grants,
   rotation). Explicit actions, no wildcards, so every name is checked against the IAM data and nothing
   unintended is matched.
b. `AifProtectNamedGuardrails`: by name (`aifinops-*`) where tags cannot be relied on:
   EventBridge Scheduler schedules (not taggable; their tag conditions read the schedule *group*, and
   aifinops schedules may sit in the `default` group) and their groups, and AWS Budgets budgets and budget
   actions (`budget/aifinops-*` also matches `budget/aifinops-*/action/*`: IAM's `*` crosses `/`). Budgets
   do list `aws:ResourceTag` in the 2026 data; the name is used because `naming.NAME_PREFIX` guarantees it
   while a tag depends on every budget construct setting `ResourceTags`.
   `budgets:ExecuteBudgetAction` is left out on purpose: it is how a human approves a manual budget action
   (critical teams); it is also how one would reverse it (see the report).
c. `AifProtectManagedTag`: adding, changing or removing the `aifinops:managed` tag key
   (`ForAnyValue:StringEquals aws:TagKeys`) through the tagging actions of the same services, on any
   resource: nobody but the deployment roles can mark or unmark a resource as managed.

d. `AifProtectExemptRoles`: creating, re-trusting, changing the policies of, tagging, deleting or passing a
   role whose ARN matches a break-glass or deployment pattern, any role of the aifinops bootstrap
   (`cdk-<qualifier>-*`), or the guard's and the budget enforcer's roles (which the guard-tag statement spares),
   except by break-glass, `deployment_roles` and the bootstrap roles (its deploy role passes its execution role
   to CloudFormation). Role names are not identities: without this, anyone with `iam:CreateRole` could create
   `role/BreakGlassMe` and be spared by every Deny. Users matching a pattern get the same protection.
e. `AifProtectCdkBootstrap`: assuming a bootstrap role (`sts:AssumeRole` on `cdk-<qualifier>-*`), or writing
   the bootstrap's asset bucket, image repository or version parameter, except by the same principals. Without
   it, anyone allowed `sts:AssumeRole` in the account (the CDK bootstrap trusts the whole account) could deploy
   as the exempt execution role, or swap an asset that the next deployment ships as the guard's code.

Cost tags (exempt: break-glass only): removing a required cost tag key (`aws:TagKeys`) from SageMaker and
Bedrock resources (`sagemaker:DeleteTags`, `bedrock:UntagResource`, `Resource: "*"`), and from EC2 instances,
capacity reservations and dedicated hosts (`ec2:DeleteTags`; it has no instance-type key, so this covers every
instance).
`AifDenyStripAllTags`: `ec2:DeleteTags` without a `Tags` parameter deletes every tag and carries no
`aws:TagKeys`, which `ForAnyValue` never matches: denied on instances, capacity reservations and dedicated hosts
(`"Null": {"aws:TagKeys": "true"}`). Changing a value stays possible (AddTags / CreateTags / TagResource), but
not to an empty one (`scp_required_tags`).

The guard's tags (`AifProtectGuardTags`; exempt: break-glass, the GPU guard's role, the budget enforcer's
access role): writing or deleting `aifinops:violation`, `aifinops:stop-after`, `aifinops:stopped-by` or
`aifinops:paused-by` on EC2 instances and SageMaker resources. Deleting the marks would restart a grace period
forever; writing them, or launching with them (`ec2:CreateTags` is authorised at RunInstances too), would
forge a deadline or an audit trail. `aifinops:exempt-until` stays the owners' to write.

Not protected here (see the report): CloudFormation stacks (their deletion runs as the exempt execution
role, so it needs the deploy role of the aifinops bootstrap first).
Pure; no aws_cdk.
"""

from __future__ import annotations

from aifinops.naming import (
    BUDGET_ACCESS_ROLE,
    GUARD_NAME,
    MANAGED_TAG,
    NAME_PREFIX,
    PAUSED_TAG,
    STOP_AFTER_TAG,
    STOPPED_BY_TAG,
    VIOLATION_TAG,
)
from aifinops.policies.scp_required_tags import INSTANCE_ARN, TAGGED_COMPUTE
from aifinops.policies.scp_statement import ARN, deny
from aifinops.policies.scp_types import Statement

TAGGED_GUARDRAIL_ACTIONS = (
    "lambda:DeleteFunction", "lambda:UpdateFunctionCode", "lambda:UpdateFunctionConfiguration",
    "lambda:PutFunctionConcurrency", "lambda:DeleteFunctionConcurrency", "lambda:PutFunctionEventInvokeConfig",
    "lambda:UpdateFunctionEventInvokeConfig", "lambda:DeleteFunctionEventInvokeConfig", "lambda:AddPermission",
    "lambda:RemovePermission", "lambda:TagResource", "lambda:UntagResource",
    "iam:DeleteRole", "iam:UpdateRole", "iam:UpdateAssumeRolePolicy", "iam:PutRolePolicy", "iam:DeleteRolePolicy",
    "iam:AttachRolePolicy", "iam:DetachRolePolicy", "iam:PutRolePermissionsBoundary",
    "iam:DeleteRolePermissionsBoundary", "iam:TagRole", "iam:UntagRole", "iam:CreatePolicyVersion",
    "iam:DeletePolicy", "iam:DeletePolicyVersion", "iam:SetDefaultPolicyVersion", "iam:TagPolicy",
    "iam:UntagPolicy",
    "events:DeleteRule", "events:DisableRule", "events:PutRule", "events:PutTargets", "events:RemoveTargets",
    "events:TagResource", "events:UntagResource",
    "sns:DeleteTopic", "sns:SetTopicAttributes", "sns:AddPermission", "sns:RemovePermission",
    "sns:PutDataProtectionPolicy", "sns:Unsubscribe", "sns:TagResource", "sns:UntagResource",
    "sqs:DeleteQueue", "sqs:SetQueueAttributes", "sqs:PurgeQueue", "sqs:AddPermission", "sqs:RemovePermission",
    "sqs:TagQueue", "sqs:UntagQueue",
    "cloudwatch:DeleteAlarms", "cloudwatch:DisableAlarmActions", "cloudwatch:PutMetricAlarm",
    "cloudwatch:PutCompositeAlarm", "cloudwatch:SetAlarmState", "cloudwatch:TagResource",
    "cloudwatch:UntagResource",
    "logs:DeleteLogGroup", "logs:PutRetentionPolicy", "logs:DeleteRetentionPolicy", "logs:AssociateKmsKey",
    "logs:DisassociateKmsKey", "logs:PutSubscriptionFilter", "logs:DeleteSubscriptionFilter",
    "logs:TagResource", "logs:UntagResource", "logs:TagLogGroup", "logs:UntagLogGroup",
    "ssm:PutParameter", "ssm:DeleteParameter", "ssm:DeleteParameters", "ssm:LabelParameterVersion",
    "ssm:AddTagsToResource", "ssm:RemoveTagsFromResource",
    "kms:DisableKey", "kms:ScheduleKeyDeletion", "kms:PutKeyPolicy", "kms:CreateGrant", "kms:RevokeGrant",
    "kms:DisableKeyRotation", "kms:UpdateKeyDescription", "kms:TagResource", "kms:UntagResource",
)
NAMED_GUARDRAIL_ACTIONS = (
    "scheduler:DeleteSchedule", "scheduler:UpdateSchedule", "scheduler:DeleteScheduleGroup",
    "scheduler:TagResource", "scheduler:UntagResource",
    "budgets:ModifyBudget", "budgets:UpdateBudgetAction", "budgets:DeleteBudgetAction",
    "budgets:TagResource", "budgets:UntagResource",
)
NAMED_GUARDRAIL_RESOURCES = (
    f"{ARN}:scheduler:*:*:schedule/*/{NAME_PREFIX}-*",
    f"{ARN}:scheduler:*:*:schedule-group/{NAME_PREFIX}-*",
    f"{ARN}:budgets::*:budget/{NAME_PREFIX}-*",
)
TAGGING_ACTIONS = tuple(a for a in (*TAGGED_GUARDRAIL_ACTIONS, *NAMED_GUARDRAIL_ACTIONS)
                        if a.split(":")[1] in {"TagResource", "UntagResource", "TagRole", "UntagRole", "TagPolicy",
                                               "UntagPolicy", "TagQueue", "UntagQueue", "TagLogGroup",
                                               "UntagLogGroup", "AddTagsToResource", "RemoveTagsFromResource"})
COST_TAG_REMOVAL = ("sagemaker:DeleteTags", "bedrock:UntagResource")
EC2_TAG_REMOVAL = "ec2:DeleteTags"
STRIPPABLE = TAGGED_COMPUTE
GUARD_TAGS = (VIOLATION_TAG, STOP_AFTER_TAG, STOPPED_BY_TAG, PAUSED_TAG)
GUARD_TAG_WRITES = ("ec2:CreateTags", "ec2:DeleteTags", "sagemaker:AddTags", "sagemaker:DeleteTags")
GUARD_TAG_RESOURCES = (INSTANCE_ARN, f"{ARN}:sagemaker:*:*:*")
# The roles that write the guard's tags: the GPU guard (one per region) and the budget enforcer's access role.
GUARD_WRITERS = (f"arn:*:iam::*:role/{GUARD_NAME}-*", f"arn:*:iam::*:role/{BUDGET_ACCESS_ROLE}")
ROLE_CHANGES = (
    "iam:CreateRole", "iam:DeleteRole", "iam:UpdateRole", "iam:UpdateRoleDescription", "iam:UpdateAssumeRolePolicy",
    "iam:PutRolePolicy", "iam:DeleteRolePolicy", "iam:AttachRolePolicy", "iam:DetachRolePolicy",
    "iam:PutRolePermissionsBoundary", "iam:DeleteRolePermissionsBoundary", "iam:TagRole", "iam:UntagRole",
    "iam:PassRole",
)
USER_CHANGES = (
    "iam:CreateUser", "iam:DeleteUser", "iam:UpdateUser", "iam:PutUserPolicy", "iam:DeleteUserPolicy",
    "iam:AttachUserPolicy", "iam:DetachUserPolicy", "iam:PutUserPermissionsBoundary",
    "iam:DeleteUserPermissionsBoundary", "iam:CreateAccessKey", "iam:UpdateAccessKey", "iam:CreateLoginProfile",
    "iam:UpdateLoginProfile", "iam:AddUserToGroup", "iam:TagUser", "iam:UntagUser",
)


def exempt_principal_resources(patterns: tuple[str, ...]) -> tuple[str, ...]:
    """Principal ARN patterns as resource patterns, partition-wildcarded (`arn:*:`), duplicates removed."""
    return tuple(dict.fromkeys("arn:*:" + p.split(":", 2)[2] for p in patterns))


def exemption_statements(deploying: tuple[str, ...]) -> tuple[Statement, ...]:
    """Nobody but `deploying` (break-glass, deployment_roles, the aifinops bootstrap roles) changes, creates or
    passes an exempt principal or one of the guard's writers."""
    protected = exempt_principal_resources((*deploying, *GUARD_WRITERS))
    users = any(":user/" in p for p in protected)
    return (deny(
        "AifProtectExemptRoles",
        "creating, changing, re-trusting, tagging, deleting or passing the break-glass and deployment roles, the "
        "roles of the aifinops CDK bootstrap and the guard's roles (names are not identities: a role named "
        "BreakGlass* made by anyone else would be spared by every Deny), except by those principals",
        actions=(*ROLE_CHANGES, *(USER_CHANGES if users else ())), resources=protected, exempt=deploying),)


BOOTSTRAP_WRITES = (
    "sts:AssumeRole",
    "s3:Put*", "s3:Delete*",
    "ecr:Put*", "ecr:Delete*", "ecr:BatchDeleteImage", "ecr:SetRepositoryPolicy", "ecr:InitiateLayerUpload",
    "ecr:UploadLayerPart", "ecr:CompleteLayerUpload",
    "ssm:PutParameter", "ssm:DeleteParameter*", "ssm:LabelParameterVersion",
)


def bootstrap_resources(qualifier: str) -> tuple[str, ...]:
    """The roles, asset bucket (and its objects: IAM's `*` crosses `/`), image repository and version parameter
    of the aifinops CDK bootstrap (`cdk bootstrap --qualifier <qualifier>`)."""
    return (f"{ARN}:iam::*:role/cdk-{qualifier}-*", f"{ARN}:s3:::cdk-{qualifier}-assets-*",
            f"{ARN}:ecr:*:*:repository/cdk-{qualifier}-container-assets-*",
            f"{ARN}:ssm:*:*:parameter/cdk-bootstrap/{qualifier}/*")


def bootstrap_statements(qualifier: str, deploying: tuple[str, ...]) -> tuple[Statement, ...]:
    """Only `deploying` may assume the aifinops bootstrap roles or write its assets: CDK deploy rights in an
    account (every team's) are then no rights over the guardrails deployed through that bootstrap."""
    return (deny(
        "AifProtectCdkBootstrap",
        f"assuming the roles of the aifinops CDK bootstrap (qualifier {qualifier}), or changing its asset bucket, "
        f"image repository or version parameter, except by break-glass, the deployment roles and the bootstrap's "
        f"own roles (a swapped asset would deploy as the guard's code)",
        actions=BOOTSTRAP_WRITES, resources=bootstrap_resources(qualifier), exempt=deploying),)


def guard_tag_statements(exempt: tuple[str, ...]) -> tuple[Statement, ...]:
    """`exempt`: break-glass and `GUARD_WRITERS`."""
    return (deny(
        "AifProtectGuardTags",
        f"writing or deleting the guard's tags ({', '.join(GUARD_TAGS)}) on EC2 instances and SageMaker "
        f"resources, except by the GPU guard and the budget enforcer",
        actions=GUARD_TAG_WRITES, resources=GUARD_TAG_RESOURCES,
        conditions={"ForAnyValue:StringEquals": {"aws:TagKeys": list(GUARD_TAGS)}},
        exempt=exempt),)


def guardrail_statements(deployers: tuple[str, ...]) -> tuple[Statement, ...]:
    """`deployers`: break-glass and deployment role patterns, the only principals that may change them."""
    return (
        deny("AifProtectTaggedGuardrails",
             f"changing or deleting aifinops Lambda functions, IAM roles and policies, EventBridge rules, SNS "
             f"topics, SQS queues, alarms, log groups and SSM parameters (tag {MANAGED_TAG}=true), except by "
             "the deployment roles",
             actions=TAGGED_GUARDRAIL_ACTIONS,
             conditions={"StringEquals": {f"aws:ResourceTag/{MANAGED_TAG}": "true"}}, exempt=deployers),
        deny("AifProtectNamedGuardrails",
             f"changing or deleting {NAME_PREFIX}-* budgets, budget actions and EventBridge Scheduler "
             "schedules, except by the deployment roles",
             actions=NAMED_GUARDRAIL_ACTIONS, resources=NAMED_GUARDRAIL_RESOURCES, exempt=deployers),
        deny("AifProtectManagedTag",
             f"adding, changing or removing the {MANAGED_TAG} tag on any resource, except by the deployment roles",
             actions=TAGGING_ACTIONS,
             conditions={"ForAnyValue:StringEquals": {"aws:TagKeys": MANAGED_TAG}}, exempt=deployers),
    )


def cost_tag_statements(required: tuple[str, ...], exempt: tuple[str, ...]) -> tuple[Statement, ...]:
    keys = ", ".join(required)
    removing = {"ForAnyValue:StringEquals": {"aws:TagKeys": list(required)}}
    return (
        deny("AifProtectCostTags", f"removing the cost tags ({keys}) from SageMaker and Bedrock resources",
             actions=COST_TAG_REMOVAL, conditions=removing, exempt=exempt),
        deny("AifProtectCostTagsOnInstances", f"removing the cost tags ({keys}) from EC2 instances, capacity "
             "reservations and dedicated hosts",
             actions=(EC2_TAG_REMOVAL,), resources=TAGGED_COMPUTE, conditions=removing, exempt=exempt),
        deny("AifDenyStripAllTags",
             "deleting every tag at once (ec2:DeleteTags without a tag list) from EC2 instances, capacity "
             "reservations and dedicated hosts",
             actions=(EC2_TAG_REMOVAL,), resources=STRIPPABLE, conditions={"Null": {"aws:TagKeys": "true"}},
             exempt=exempt),
    )
