"""`CostAllocationTags`: activate tag keys as cost allocation tags in the payer account, and keep at it until
every key is active.

CloudFormation has no resource for this (aws-cdk issue 19977), and a custom resource that calls
UpdateCostAllocationTagsStatus once is not enough: Cost Explorer accepts only keys it has seen in billing data
(up to 24 hours after a resource first carries them), answers HTTP 200 with an `Errors` entry for the others, and
an unchanged stack never calls again. So a small function (`aifinops/lambdas/cost_tags`) does it: at every
deployment that changes the keys, then on a schedule, it lists the keys' status, activates the inactive ones and
reads the errors; once every key is active it disables its schedule. A key still inactive after
`overdue_days` raises an alarm. `aifinops org status` shows the state (ListCostAllocationTags).
Deleting the stack leaves the keys active: deactivating them would stop cost attribution for everyone.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import aws_cdk as cdk
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as cloudwatch_actions
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sqs as sqs
from aws_cdk import aws_ssm as ssm
from aws_cdk import custom_resources as cr
from constructs import Construct

from aifinops.constructs import nag_acks
from aifinops.constructs.errors import raise_if_any
from aifinops.constructs.guardrail_rules import COST_TAG_DEFAULT_HOURS, cost_allocation_tag_problems
from aifinops.constructs.policy_asset import code_with_runtime
from aifinops.lambdas.cost_tags.handler import KEYS_ENV, NAMESPACE, OVERDUE_ENV, RULE_ENV, STATE_ENV
from aifinops.naming import NAME_PREFIX

NAME = f"{NAME_PREFIX}-cost-tags"
CODE_DIR = Path(__file__).resolve().parents[1] / "lambdas" / "cost_tags"
HANDLER = "handler.handler"
STATE_PARAMETER = f"/{NAME_PREFIX}/cost-allocation-tags/first-attempts"
# The construct id of the stack's singleton provider function of AwsCustomResource ("AWS" + uuid without dashes).
PROVIDER_ID = "AWS" + cr.AwsCustomResource.PROVIDER_FUNCTION_UUID.replace("-", "")

__all__ = ["NAME", "STATE_PARAMETER", "CostAllocationTags"]


class CostAllocationTags(Construct):
    """Activate `keys` as cost allocation tags (management/payer account only, us-east-1).

    The function ``aifinops-cost-tags`` (Python 3.14, arm64, reserved concurrency 1), run by the rule
    ``aifinops-cost-tags-schedule`` every `every_hours` and, asynchronously, by a custom resource at each
    deployment that changes the keys. The first pass of each key is kept in the SSM parameter
    ``/aifinops/cost-allocation-tags/first-attempts``. Alarms: ``aifinops-cost-tags-overdue`` (a key still
    inactive after `overdue_days`), ``aifinops-cost-tags-errors``; both notify `alarm_topic` when given.

    IAM: ``ce:ListCostAllocationTags`` and ``ce:UpdateCostAllocationTagsStatus`` (no resource-level
    permissions), the state parameter, enabling and disabling its own rule, its log group.

    Example::

        import aws_cdk as cdk
        from aifinops.constructs import CostAllocationTags

        app = cdk.App()
        stack = cdk.Stack(app, "Billing", env=cdk.Environment(account="111111111111", region="us-east-1"))
        CostAllocationTags(stack, "CostTags", keys=["team", "project", "model", "environment", "task-type"])
        app.synth()
    """

    def __init__(self, scope: Construct, construct_id: str, *, keys: Sequence[str],
                 every_hours: int = COST_TAG_DEFAULT_HOURS, overdue_days: int = 3,
                 alarm_topic: sns.ITopic | None = None,
                 log_retention: logs.RetentionDays = logs.RetentionDays.ONE_YEAR) -> None:
        """
        :param keys: tag keys to activate, 1 or more, no duplicates.
        :param every_hours: hours between activation passes until every key is active. Default: 6.
        :param overdue_days: days after a key's first pass when its still being inactive raises the alarm.
            Default: 3 (a key appears in billing data within a day of first being used on a resource).
        :param alarm_topic: where the alarms notify. Default: none (the alarms still show in CloudWatch and
            ``aifinops org status`` shows the keys' state).
        :param log_retention: of the function's log group. Default: one year.
        """
        super().__init__(scope, construct_id)
        raise_if_any(self, cost_allocation_tag_problems(keys=keys, every_hours=every_hours, overdue_days=overdue_days))
        self.keys = tuple(keys)
        stack = cdk.Stack.of(self)
        rule_name = f"{NAME}-schedule"
        self.state = ssm.StringParameter(self, "State", parameter_name=STATE_PARAMETER, string_value="{}",
                                         description="aifinops: first activation pass of each cost allocation tag")
        self.dead_letter_queue = sqs.Queue(self, "DeadLetters", encryption=sqs.QueueEncryption.SQS_MANAGED,
                                           enforce_ssl=True, retention_period=cdk.Duration.days(14))
        nag_acks.acknowledge(self.dead_letter_queue, nag_acks.SERVERLESS, "SQSRedrivePolicy",
                             nag_acks.IS_DEAD_LETTER_QUEUE)
        self.role = iam.Role(self, "Role", assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
                             description="aifinops: activates cost allocation tags until every key is active")
        explorer = iam.PolicyStatement(actions=["ce:ListCostAllocationTags", "ce:UpdateCostAllocationTagsStatus"],
                                       resources=["*"])  # no resource-level permissions
        statements = [
            explorer,
            iam.PolicyStatement(actions=["ssm:GetParameter", "ssm:PutParameter"],
                                resources=[self.state.parameter_arn]),
            iam.PolicyStatement(actions=["events:EnableRule", "events:DisableRule"], resources=[
                f"arn:{stack.partition}:events:{stack.region}:{stack.account}:rule/{rule_name}"]),
        ]
        for statement in statements:
            self.role.add_to_principal_policy(statement)
        nag_acks.acknowledge_wildcards(self.role, [explorer], {None: nag_acks.COST_EXPLORER_CALL})
        self.log_group = logs.LogGroup(self, "Logs", retention=log_retention)
        self.log_group.grant_write(self.role)
        self.function = lambda_.Function(
            self, "Function", function_name=NAME, runtime=lambda_.Runtime.PYTHON_3_14,
            architecture=lambda_.Architecture.ARM_64, handler=HANDLER, code=code_with_runtime(CODE_DIR),
            role=self.role, timeout=cdk.Duration.minutes(1), memory_size=128, reserved_concurrent_executions=1,
            dead_letter_queue=self.dead_letter_queue, log_group=self.log_group, retry_attempts=2,
            environment={KEYS_ENV: ",".join(keys), STATE_ENV: STATE_PARAMETER, RULE_ENV: rule_name,
                         OVERDUE_ENV: str(overdue_days)},
            description="aifinops: activate cost allocation tags until every key is active")
        nag_acks.acknowledge(self.function, nag_acks.SERVERLESS, "LambdaTracing", nag_acks.NO_XRAY_SDK)
        nag_acks.acknowledge(self.function, nag_acks.SERVERLESS, "LambdaAsyncFailureDestination",
                             nag_acks.DLQ_NOT_DESTINATION)
        self.rule = events.Rule(
            self, "Schedule", rule_name=rule_name, schedule=events.Schedule.rate(cdk.Duration.hours(every_hours)),
            description="aifinops: activate cost allocation tags (disabled by the function once all are active)",
            targets=[targets.LambdaFunction(self.function, dead_letter_queue=self.dead_letter_queue,
                                            retry_attempts=2, max_event_age=cdk.Duration.hours(every_hours))])
        # A first pass at each deployment that changes the keys; asynchronous, so an unseen key never fails it.
        invoke = cr.AwsSdkCall(
            service="Lambda", action="invoke",
            parameters={"FunctionName": self.function.function_name, "InvocationType": "Event",
                        "Payload": '{"source": "aifinops.deploy"}'},
            physical_resource_id=cr.PhysicalResourceId.of("cost-allocation-tags:" + ",".join(keys)))
        # Our role rather than the provider's default (AWSLambdaBasicExecutionRole: logs on "*").
        self.provider_role = iam.Role(self, "ProviderRole", assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
                                      description="aifinops: starts the first cost allocation tag pass at deployment")
        self.log_group.grant_write(self.provider_role)
        self.first_pass = cr.AwsCustomResource(
            self, "FirstPass", on_create=invoke, on_update=invoke,
            policy=cr.AwsCustomResourcePolicy.from_statements([iam.PolicyStatement(
                actions=["lambda:InvokeFunction"], resources=[self.function.function_arn])]),
            install_latest_aws_sdk=False, log_group=self.log_group, role=self.provider_role, memory_size=128)
        provider = stack.node.find_child(PROVIDER_ID)
        nag_acks.acknowledge(provider, nag_acks.SERVERLESS, "LambdaDLQ", nag_acks.PROVIDER_DLQ)
        nag_acks.acknowledge(provider, nag_acks.SERVERLESS, "LambdaTracing", nag_acks.NO_XRAY_SDK_PROVIDER)
        greater = cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD
        self.overdue_alarm = cloudwatch.Alarm(
            self, "Overdue", alarm_name=f"{NAME}-overdue", threshold=1, evaluation_periods=1,
            alarm_description=f"a cost allocation tag key is still inactive {overdue_days} days after its first "
                              f"activation pass: budgets filtered by it see no spend; run `aifinops org status`",
            metric=cloudwatch.Metric(namespace=NAMESPACE, metric_name="OverdueKeys", statistic="Maximum",
                                     period=cdk.Duration.hours(every_hours)),
            comparison_operator=greater, treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING)
        self.error_alarm = cloudwatch.Alarm(
            self, "Errors", alarm_name=f"{NAME}-errors", threshold=1, evaluation_periods=1,
            alarm_description=f"{NAME} failed; see its log group",
            metric=self.function.metric_errors(period=cdk.Duration.hours(every_hours), statistic="Sum"),
            comparison_operator=greater, treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING)
        if alarm_topic is not None:
            for alarm in (self.overdue_alarm, self.error_alarm):
                alarm.add_alarm_action(cloudwatch_actions.SnsAction(alarm_topic))
        cdk.Annotations.of(self).add_info(
            f"activates cost allocation tags {', '.join(keys)}: deploy in the management (payer) account")
