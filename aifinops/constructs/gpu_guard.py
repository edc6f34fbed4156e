"""`GpuGuard`: the GPU guard's Lambda in one account and region — scans on a schedule and on CloudTrail create
events, marks untagged accelerated resources, stops violators (per environment mode) and notifies owners.

The runtime code is `aifinops/lambdas/guard` (stdlib + boto3); its only input is the policy JSON of
`aifinops.policies.guard_policy`, bundled into the asset as the guard's policy file
(`aifinops.lambdas.guard.policy.POLICY_FILE`). The function learns where to publish its digest from the
environment variable ``AIFINOPS_GUARD_TOPIC_ARN``; the policy is never put in the environment.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import aws_cdk as cdk
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sns_subscriptions as subscriptions
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from aifinops.constructs import nag_acks
from aifinops.constructs.errors import PropProblem, raise_if_any
from aifinops.constructs.gpu_guard_iam import guard_statements
from aifinops.constructs.guardrail_rules import GUARD_DEFAULT_MEMORY, guard_problems
from aifinops.constructs.pack_topic import mark_pack_topic
from aifinops.constructs.policy_asset import code_with_policy
from aifinops.lambdas.guard.policy import POLICY_FILE
from aifinops.naming import GUARD_NAME, MANAGED_TAG

__all__ = ["CREATE_EVENTS", "ENFORCE_ENV_VAR", "GUARD_DIR", "GUARD_HANDLER", "GUARD_NAME", "TOPIC_ENV_VAR", "GpuGuard",
           "guard_code"]

GUARD_DIR = Path(__file__).resolve().parents[1] / "lambdas" / "guard"
GUARD_HANDLER = "handler.handler"
TOPIC_ENV_VAR = "AIFINOPS_GUARD_TOPIC_ARN"  # the handler's TOPIC_ENV
ENFORCE_ENV_VAR = "AIFINOPS_GUARD_ENFORCE"  # the handler's ENFORCE_ENV
ENVIRONMENT_ENV_VAR = "AIFINOPS_GUARD_ENVIRONMENT"  # the handler's ENVIRONMENT_ENV
# CloudTrail events that create a resource the guard checks at once: (event source, event names).
CREATE_EVENTS = {"aws.ec2": ("RunInstances",),
                 "aws.sagemaker": ("CreateEndpoint", "CreateNotebookInstance", "CreateTrainingJob")}


def guard_code(policy_json: str) -> lambda_.Code:
    """The guard package with `policy_json` bundled as its policy file (`code_with_policy`)."""
    return code_with_policy(GUARD_DIR, POLICY_FILE, policy_json)


class GpuGuard(Construct):
    """The function ``aifinops-gpu-guard`` (Python 3.14, arm64, handler ``handler.handler``, reserved concurrency 1:
    one scan at a time), run by the rule ``aifinops-gpu-guard-schedule`` every `schedule_minutes` and by the rule
    ``aifinops-gpu-guard-create-events`` on the CloudTrail events RunInstances, CreateEndpoint,
    CreateNotebookInstance and CreateTrainingJob (EventBridge receives them only where a CloudTrail trail
    logs management events). Failed deliveries and invocations (2 retries) go to an encrypted dead-letter
    queue, and so do owner notifications SNS cannot deliver. Owners are notified through the topic
    ``aifinops-gpu-guard``, encrypted with a customer managed KMS key (yearly rotation), TLS only, with an
    e-mail subscription per address of `topic_owners` (each must be confirmed). Log group with finite
    retention; alarms on errors, sustained throttling and dead letters.
    Everything is tagged ``aifinops:managed=true``. Environment: ``AIFINOPS_GUARD_TOPIC_ARN`` (the topic) and
    ``AIFINOPS_GUARD_ENFORCE`` (`enforce`); the policy is never put in the environment.

    IAM (`aifinops.constructs.gpu_guard_iam.guard_statements`): inventory reads on ``*``; SageMaker describes
    and ListTags on this account's and region's ARNs; ``ec2:StopInstances`` and the guard's tag writes on EC2
    only for accelerated instance types (``ec2:InstanceType``); SageMaker stop actions on this account's
    ARNs; tag writes only of the guard's tags (``aws:TagKeys``; ``aifinops:stopped-by`` is never deleted);
    ``sns:Publish`` to its topic and the key use that needs.

    Example::

        import aws_cdk as cdk
        from aifinops.config import load
        from aifinops.constructs import GpuGuard
        from aifinops.policies.guard_policy import guard_policy_json

        config = load("finops.yaml")
        app = cdk.App()
        stack = cdk.Stack(app, "Guard", env=cdk.Environment(account="222222222222", region="us-east-1"))
        guard = GpuGuard(stack, "GpuGuard", policy_json=guard_policy_json(config),
                         schedule_minutes=config.guard.schedule_minutes, topic_owners=["ml-platform@example.com"])
        app.synth()
    """

    def __init__(self, scope: Construct, construct_id: str, *, policy_json: str, schedule_minutes: int = 15,
                 topic_owners: Sequence[str] = (), memory_size: int = GUARD_DEFAULT_MEMORY,
                 timeout: cdk.Duration | None = None,
                 log_retention: logs.RetentionDays = logs.RetentionDays.ONE_YEAR, enforce: bool = True,
                 code: lambda_.Code | None = None, environment: str | None = None) -> None:
        """
        :param policy_json: `aifinops.policies.guard_policy.guard_policy_json(config)`.
        :param schedule_minutes: minutes between scheduled scans. Default: 15.
        :param topic_owners: e-mail addresses subscribed to the notification topic. Default: none.
        :param memory_size: of the function, in MB. Default: 512 (arm64). bench/guard_scale.py measured a peak of
            151 MB for a scan of 5,000 instances paged as AWS pages them; Lambda's CPU share grows with memory,
            and 512 MB gives the scan (5 s of CPU at 5,000 instances) about 0.3 vCPU.
        :param timeout: of the function; the guard stops cleanly before it. Default: 5 minutes.
        :param log_retention: of the function's log group. Default: one year.
        :param enforce: act as each environment's ``guard_mode`` says; False makes every scan a dry run (report
            only), e.g. for a first deployment. Default: True (production environments stay notify-only).
        :param code: replaces the function code (tests). Default: the package ``aifinops/lambdas/guard`` with
            ``policy_json`` bundled as its policy file; replacement code must bring its own policy.
        :param environment: the environment of the account when the policy's account map lacks it (a StackSet
            deploys one guard template to every account of an environment's OUs). Default: none (the map only).
        """
        super().__init__(scope, construct_id)
        problems = guard_problems(policy_json=policy_json, schedule_minutes=schedule_minutes,
                                  memory_size=memory_size, topic_owners=topic_owners)
        if code is None and not GUARD_DIR.is_dir():
            problems.append(PropProblem("AIF_GUARD_CODE", "code", str(GUARD_DIR), "a directory with the guard's code"))
        raise_if_any(self, problems)
        stack = cdk.Stack.of(self)
        timeout = timeout or cdk.Duration.minutes(5)
        # A scan event older than the next scheduled scan is worth nothing: retry within one interval.
        max_event_age = cdk.Duration.minutes(min(schedule_minutes, 360))  # Lambda allows 1 minute to 6 hours

        self.key = kms.Key(self, "TopicKey", enable_key_rotation=True, alias=f"alias/{GUARD_NAME}",
                           description=f"{GUARD_NAME}: encrypts the guard's owner notifications (aifinops)")
        self.topic = sns.Topic(self, "Topic", topic_name=GUARD_NAME, master_key=self.key, enforce_ssl=True,
                               display_name="aifinops GPU guard")
        mark_pack_topic(self.topic, "GpuGuard")
        self.dead_letter_queue = sqs.Queue(self, "DeadLetters", queue_name=f"{GUARD_NAME}-dead-letters",
                                           encryption=sqs.QueueEncryption.SQS_MANAGED, enforce_ssl=True,
                                           retention_period=cdk.Duration.days(14))
        nag_acks.acknowledge(self.dead_letter_queue, nag_acks.SERVERLESS, "SQSRedrivePolicy",
                             nag_acks.IS_DEAD_LETTER_QUEUE)
        for owner in topic_owners:  # an undeliverable digest lands in the alarmed dead-letter queue
            self.topic.add_subscription(subscriptions.EmailSubscription(owner,
                                                                        dead_letter_queue=self.dead_letter_queue))
        self.role = iam.Role(self, "Role", assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
                             role_name=f"{GUARD_NAME}-{stack.region}",
                             description="aifinops GPU guard: find, mark, stop and report idle or untagged GPUs")
        statements = guard_statements(stack.account, stack.region, stack.partition,
                                      topic_arn=self.topic.topic_arn, key_arn=self.key.key_arn)
        for statement in statements:
            self.role.add_to_principal_policy(statement)
        nag_acks.acknowledge_wildcards(self.role, statements, nag_acks.GUARD)
        self.log_group = logs.LogGroup(self, "Logs", retention=log_retention)
        self.log_group.grant_write(self.role)
        self.function = lambda_.Function(
            self, "Function", function_name=GUARD_NAME, runtime=lambda_.Runtime.PYTHON_3_14,
            architecture=lambda_.Architecture.ARM_64, handler=GUARD_HANDLER,
            code=code or guard_code(policy_json), role=self.role, timeout=timeout, memory_size=memory_size,
            reserved_concurrent_executions=1, dead_letter_queue=self.dead_letter_queue, log_group=self.log_group,
            retry_attempts=2, max_event_age=max_event_age, environment={
                **({ENVIRONMENT_ENV_VAR: environment} if environment else {}), TOPIC_ENV_VAR: self.topic.topic_arn,
                ENFORCE_ENV_VAR: "true" if enforce else "false"},
            description="aifinops GPU guard: scan, mark, stop and notify (idle or untagged accelerated resources)")
        nag_acks.acknowledge(self.function, nag_acks.SERVERLESS, "LambdaTracing", nag_acks.NO_XRAY_SDK)
        nag_acks.acknowledge(self.function, nag_acks.SERVERLESS, "LambdaAsyncFailureDestination",
                             nag_acks.DLQ_NOT_DESTINATION)

        def target() -> targets.LambdaFunction:
            return targets.LambdaFunction(self.function, dead_letter_queue=self.dead_letter_queue, retry_attempts=2,
                                          max_event_age=max_event_age)

        self.schedule_rule = events.Rule(
            self, "Schedule", rule_name=f"{GUARD_NAME}-schedule",
            description=f"aifinops: GPU guard scan every {schedule_minutes} minutes",
            schedule=events.Schedule.rate(cdk.Duration.minutes(schedule_minutes)), targets=[target()])
        self.create_events_rule = events.Rule(
            self, "CreateEvents", rule_name=f"{GUARD_NAME}-create-events",
            description="aifinops: GPU guard check of new instances, endpoints, notebooks and training jobs",
            event_pattern=events.EventPattern(
                source=sorted(CREATE_EVENTS), detail_type=["AWS API Call via CloudTrail"],
                detail={"eventName": sorted(n for names in CREATE_EVENTS.values() for n in names)}),
            targets=[target()])
        self.alarms = [
            self._alarm("Errors", "errors", f"{GUARD_NAME} failed; see its log group",
                        self.function.metric_errors(period=cdk.Duration.minutes(5), statistic="Sum"), periods=1),
            # One scan at a time: a create event during a scan is throttled and retried; alarm when it lasts.
            self._alarm("Throttles", "throttles", f"{GUARD_NAME} throttled for 15 minutes; scans are not running",
                        self.function.metric_throttles(period=cdk.Duration.minutes(5), statistic="Sum"), periods=3),
            self._alarm("DeadLetterMessages", "dead-letters",
                        "a guard scan or owner notification was not delivered, or a scan failed every retry; "
                        "see the dead-letter queue",
                        self.dead_letter_queue.metric_approximate_number_of_messages_visible(
                            period=cdk.Duration.minutes(5), statistic="Maximum"), periods=1),
        ]
        cdk.Tags.of(self).add(MANAGED_TAG, "true")

    def _alarm(self, construct_id: str, suffix: str, description: str, metric: cloudwatch.IMetric,
               periods: int) -> cloudwatch.Alarm:
        return cloudwatch.Alarm(
            self, construct_id, alarm_name=f"{GUARD_NAME}-{suffix}", alarm_description=description, metric=metric,
            threshold=1, evaluation_periods=periods, datapoints_to_alarm=periods,
            comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
            treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING)
