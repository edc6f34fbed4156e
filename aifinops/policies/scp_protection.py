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
f. `AifProtectGuardrailStacks`: CloudFormation writes on the guardrail stacks (`aifinops-guard-*`,
   `aifinops-budget-access-*`, `aifinops-org-*`, ...; not the teams' `aifinops-workloads-*`) and on the bootstrap
   stack `CDKToolkit-<qualifier>`. CloudFormation runs UpdateStack, a change set or DeleteStack as the role the
   stack was deployed with, for anyone allowed to operate on the stack, even without `iam:PassRole`: without this,
   a developer's own template would run as the exempt execution role.

Cost tags (exempt: break-glass only): removing a required cost tag key (`aws:TagKeys`) from SageMaker, Bedrock,
bedrock-mantle, Bedrock AgentCore and Claude Platform resources (their untag actions, `Resource: "*"`), and from
EC2 instances, capacity reservations and dedicated hosts (`ec2:DeleteTags`; it has no instance-type key, so this
covers every instance).
`AifDenyStripAllTags`: `ec2:DeleteTags` without a `Tags` parameter deletes every tag and carries no
`aws:TagKeys`, which `ForAnyValue` never matches: denied on instances, capacity reservations and dedicated hosts
(`"Null": {"aws:TagKeys": "true"}`); the same for the untag actions above and Batch job queues (their APIs require a
key list, so a request without one is refused rather than judged by statements that cannot see it, the guard's tags
included). Changing a value stays possible (AddTags / CreateTags / TagResource), but
not to an empty one (`scp_required_tags`).

The guard's tags (`AifProtectGuardTags`; exempt: break-glass, the GPU guard's role, the budget enforcer's
access role): writing or deleting `aifinops:violation`, `aifinops:stop-after`, `aifinops:stopped-by`,
`aifinops:paused-by` (and the enforcer's `aifinops:paused-by:*` endpoint records) or `aifinops:critical` (which
exempts a workload from every budget pause: the platform's to set) on EC2 instances, SageMaker resources and
Batch job queues. Deleting the marks would restart a grace period forever; writing them, or launching with them
(`ec2:CreateTags` is authorised at RunInstances too), would forge a deadline, an audit trail or a pause already
done. `AifProtectGuardTagLookalikes`, best effort (IAM has no case-insensitive match): keys that start with a
case or punctuation variant of the prefix (`Aifinops*`, `AIFINOPS*`, `aifinops_*` ...), which the guard would
only report. `aifinops:exempt-until` stays the owners' to write, but only as a date or date-time
(`AifRequireExemptionDate`): an unreadable value is honoured as notify-only with no end.

Pure; no aws_cdk.
"""

from __future__ import annotations

from aifinops.naming import (
    BUDGET_ACCESS_ROLE,
    CRITICAL_TAG,
    EXEMPT_UNTIL_TAG,
    GUARD_NAME,
    GUARDRAIL_STACK_PREFIXES,
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
    "lambda:RemovePermission", "lambda:TagResource", "lambda:UntagResource", "lambda:CreateFunctionUrlConfig",
    "lambda:UpdateFunctionUrlConfig", "lambda:InvokeFunction", "lambda:PutFunctionCodeSigningConfig",
    "lambda:DeleteFunctionCodeSigningConfig", "lambda:PutRuntimeManagementConfig",
    "iam:DeleteRole", "iam:UpdateRole", "iam:UpdateAssumeRolePolicy", "iam:PutRolePolicy", "iam:DeleteRolePolicy",
    "iam:AttachRolePolicy", "iam:DetachRolePolicy", "iam:PutRolePermissionsBoundary",
    "iam:DeleteRolePermissionsBoundary", "iam:TagRole", "iam:UntagRole", "iam:CreatePolicyVersion",
    "iam:DeletePolicy", "iam:DeletePolicyVersion", "iam:SetDefaultPolicyVersion", "iam:TagPolicy",
    "iam:UntagPolicy",
    "events:DeleteRule", "events:DisableRule", "events:PutRule", "events:PutTargets", "events:RemoveTargets",
    "events:TagResource", "events:UntagResource",
    "sns:DeleteTopic", "sns:SetTopicAttributes", "sns:AddPermission", "sns:RemovePermission",
    "sns:PutDataProtectionPolicy", "sns:Subscribe", "sns:Unsubscribe", "sns:SetSubscriptionAttributes",
    "sns:TagResource", "sns:UntagResource",
    "sqs:DeleteQueue", "sqs:SetQueueAttributes", "sqs:PurgeQueue", "sqs:AddPermission", "sqs:RemovePermission",
    "sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:StartMessageMoveTask", "sqs:TagQueue", "sqs:UntagQueue",
    "cloudwatch:DeleteAlarms", "cloudwatch:DisableAlarmActions", "cloudwatch:PutMetricAlarm",
    "cloudwatch:PutCompositeAlarm", "cloudwatch:SetAlarmState", "cloudwatch:PutAlarmMuteRule",
    "cloudwatch:TagResource", "cloudwatch:UntagResource",
    "logs:DeleteLogGroup", "logs:DeleteLogStream", "logs:PutRetentionPolicy", "logs:DeleteRetentionPolicy",
    "logs:AssociateKmsKey",
    "logs:DisassociateKmsKey", "logs:PutSubscriptionFilter", "logs:DeleteSubscriptionFilter",
    "logs:TagResource", "logs:UntagResource", "logs:TagLogGroup", "logs:UntagLogGroup",
    "ssm:PutParameter", "ssm:DeleteParameter", "ssm:DeleteParameters", "ssm:LabelParameterVersion",
    "ssm:AddTagsToResource", "ssm:RemoveTagsFromResource",
    "kms:DisableKey", "kms:ScheduleKeyDeletion", "kms:PutKeyPolicy", "kms:CreateGrant", "kms:RevokeGrant",
    "kms:RetireGrant", "kms:DisableKeyRotation", "kms:UpdateKeyDescription", "kms:UpdateAlias", "kms:DeleteAlias",
    "kms:TagResource", "kms:UntagResource",
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
COST_TAG_REMOVAL = ("sagemaker:DeleteTags", "bedrock:UntagResource", "bedrock-mantle:UntagResource",
                    "bedrock-agentcore:UntagResource", "aws-external-anthropic:UntagResource")
# Where an untag call without a key list (`aws:TagKeys` absent, which `ForAnyValue` never matches) is refused whole:
# the AI services above on any of their resources, EC2 compute and the Batch job queues the guard tags.
EC2_TAG_REMOVAL = "ec2:DeleteTags"
STRIP_ALL_ACTIONS = (EC2_TAG_REMOVAL, *COST_TAG_REMOVAL, "batch:UntagResource")
STRIPPABLE = (*TAGGED_COMPUTE, *(f"{ARN}:{a.split(':')[0]}:*:*:*" for a in COST_TAG_REMOVAL),
              f"{ARN}:batch:*:*:job-queue/*")
# The guard's and the enforcer's keys (the enforcer's endpoint records are `aifinops:paused-by:<...>` keys), and
# `aifinops:critical`, which exempts a workload from every pause: only the platform (break-glass) sets it.
GUARD_TAGS = (VIOLATION_TAG, STOP_AFTER_TAG, STOPPED_BY_TAG, f"{PAUSED_TAG}*", CRITICAL_TAG)
GUARD_TAG_WRITES = ("ec2:CreateTags", "ec2:DeleteTags", "sagemaker:AddTags", "sagemaker:DeleteTags",
                    "batch:TagResource", "batch:UntagResource")
GUARD_TAG_RESOURCES = (INSTANCE_ARN, f"{ARN}:sagemaker:*:*:*", f"{ARN}:batch:*:*:job-queue/*")
# Look-alikes of the aifinops prefix in the case and punctuation variants people type; best effort (IAM has no
# case-insensitive match): the guard ignores a look-alike of a key it writes, and honours one of the exemption key
# only as "notify, never stop".
LOOKALIKE_KEYS = (*(f"{p}*" for p in ("Aifinops", "AIFINOPS", "AiFinOps", "AIFinOps", "aiFinOps", "AiFinops",
                                      "aifinops_", "aifinops-", "aifinops.", "aifinops ", "aifinops/", "aifinops=",
                                      "aifinops::", "aifinops: ")),)
EXEMPTION_VALUES = ("????-??-??", "????-??-??T*")  # a date or a date-time, as the guard reads them
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


def exemption_statements(deploying: tuple[str, ...], also_protected: tuple[str, ...] = ()) -> tuple[Statement, ...]:
    """Nobody but `deploying` (break-glass, deployment_roles, the aifinops bootstrap roles) changes, creates or
    passes an exempt principal, one of the guard's writers or `also_protected` (the StackSets' execution roles,
    which only their service-linked role creates)."""
    protected = exempt_principal_resources((*deploying, *GUARD_WRITERS, *also_protected))
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


STACK_WRITES = (
    "cloudformation:CreateStack", "cloudformation:UpdateStack", "cloudformation:DeleteStack",
    "cloudformation:CreateChangeSet", "cloudformation:ExecuteChangeSet", "cloudformation:DeleteChangeSet",
    "cloudformation:SetStackPolicy", "cloudformation:UpdateTerminationProtection",
    "cloudformation:ContinueUpdateRollback", "cloudformation:RollbackStack", "cloudformation:CancelUpdateStack",
    "cloudformation:SignalResource",
)


def stack_resources(qualifier: str) -> tuple[str, ...]:
    """The guardrail stacks (the teams' `aifinops-workloads-*` stacks excepted) and the aifinops bootstrap stack
    (`--toolkit-stack-name CDKToolkit-<qualifier>`, as the README deploys it)."""
    return (*(f"{ARN}:cloudformation:*:*:stack/{prefix}*" for prefix in GUARDRAIL_STACK_PREFIXES),
            f"{ARN}:cloudformation:*:*:stack/CDKToolkit-{qualifier}/*")


def bootstrap_statements(qualifier: str, deploying: tuple[str, ...]) -> tuple[Statement, ...]:
    """Only `deploying` may assume the aifinops bootstrap roles or write its assets: CDK deploy rights in an
    account (every team's) are then no rights over the guardrails deployed through that bootstrap. Nor may anyone
    else operate the guardrail stacks: CloudFormation runs an update or a deletion as the role the stack was
    deployed with (the exempt execution role), for anyone allowed to operate on the stack, without iam:PassRole."""
    return (
        deny("AifProtectCdkBootstrap",
             f"assuming the roles of the aifinops CDK bootstrap (qualifier {qualifier}), or changing its asset "
             f"bucket, image repository or version parameter, except by break-glass, the deployment roles and the "
             f"bootstrap's own roles (a swapped asset would deploy as the guard's code)",
             actions=BOOTSTRAP_WRITES, resources=bootstrap_resources(qualifier), exempt=deploying),
        deny("AifProtectGuardrailStacks",
             "creating, updating, deleting or rolling back the aifinops guardrail stacks and the aifinops bootstrap "
             "stack (CloudFormation would act as their exempt execution role), except by break-glass, the "
             "deployment roles and the bootstrap's deploy role",
             actions=STACK_WRITES, resources=stack_resources(qualifier), exempt=deploying),
    )


def guard_tag_statements(exempt: tuple[str, ...], break_glass: tuple[str, ...]) -> tuple[Statement, ...]:
    """`exempt`: break-glass and `GUARD_WRITERS`."""
    writes = tuple(a for a in GUARD_TAG_WRITES if "Delete" not in a and "Untag" not in a)
    return (
        deny("AifProtectGuardTags",
             f"writing or deleting the guard's and the budget enforcer's tags ({', '.join(GUARD_TAGS)}) on EC2 "
             f"instances, SageMaker resources and Batch job queues, except by the GPU guard and the budget enforcer",
             actions=GUARD_TAG_WRITES, resources=GUARD_TAG_RESOURCES,
             conditions={"ForAnyValue:StringLike": {"aws:TagKeys": list(GUARD_TAGS)}}, exempt=exempt),
        deny("AifProtectGuardTagLookalikes",
             "writing or deleting tag keys that look like aifinops keys in another case or punctuation "
             "(aifinops:Stop-After, AIFINOPS:..., aifinops_...): the guard would only report them",
             actions=GUARD_TAG_WRITES, resources=GUARD_TAG_RESOURCES,
             conditions={"ForAnyValue:StringLike": {"aws:TagKeys": list(LOOKALIKE_KEYS)}}, exempt=exempt),
        deny("AifRequireExemptionDate",
             f"setting {EXEMPT_UNTIL_TAG} to anything but a date or date-time (an unreadable value is honoured "
             "as notify-only, with no end)",
             actions=writes, resources=GUARD_TAG_RESOURCES,
             conditions={"ForAnyValue:StringEquals": {"aws:TagKeys": EXEMPT_UNTIL_TAG},
                         "StringNotLike": {f"aws:RequestTag/{EXEMPT_UNTIL_TAG}": list(EXEMPTION_VALUES)}},
             exempt=break_glass),
    )


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
             "deleting tags without naming them (ec2:DeleteTags without a tag list deletes every tag; an untag "
             "call without aws:TagKeys cannot be judged) from EC2 instances, capacity reservations, dedicated hosts, "
             "SageMaker, Bedrock, bedrock-mantle, AgentCore and Claude Platform resources and Batch job queues",
             actions=STRIP_ALL_ACTIONS, resources=STRIPPABLE, conditions={"Null": {"aws:TagKeys": "true"}},
             exempt=exempt),
    )
