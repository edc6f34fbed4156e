"""SCP statements 6: what aifinops deploys stays as deployed, and cost tags stay on AI resources.

Guardrails (exempt: `organization.break_glass` and `organization.deployment_roles`):

a. `AifProtectTaggedGuardrails`: the mutating actions below on any resource whose tag
   `aifinops:managed` is `true` (`aws:ResourceTag/aifinops:managed`; every type listed supports it in the
   service authorization data of 2026): Lambda functions, IAM roles and managed policies, EventBridge rules,
   SNS topics, SQS queues, CloudWatch alarms, CloudWatch Logs log groups, SSM parameters. Explicit actions,
   no wildcards, so every name is checked against the IAM data and nothing unintended is matched.
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

Cost tags (exempt: break-glass only): removing a required cost tag key (`aws:TagKeys`) from SageMaker and
Bedrock resources (`sagemaker:DeleteTags`, `bedrock:UntagResource`, `Resource: "*"`), and from EC2 instances
(`ec2:DeleteTags` on `instance/*`; `ec2:DeleteTags` has no instance-type key, so this covers every instance).
Changing a value stays possible (AddTags / CreateTags / TagResource).

Not protected here (see the report): CloudFormation stacks (their deletion runs as the exempt execution
role, so it needs the CDK deploy role in `deployment_roles` first), `iam:PassRole` of aifinops roles.
Pure; no aws_cdk.
"""

from __future__ import annotations

from aifinops.naming import MANAGED_TAG, NAME_PREFIX
from aifinops.policies.scp_required_tags import INSTANCE_ARN
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
        deny("AifProtectCostTagsOnInstances", f"removing the cost tags ({keys}) from EC2 instances",
             actions=(EC2_TAG_REMOVAL,), resources=(INSTANCE_ARN,), conditions=removing, exempt=exempt),
    )
