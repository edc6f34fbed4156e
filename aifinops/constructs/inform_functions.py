"""`InformFunctions`: the daily spend collector and the weekly team reports, in the payer (management) account.

The runtime code is `aifinops/lambdas/inform` (stdlib + boto3); its only input is the policy JSON of
`aifinops.policies.inform_policy`, bundled as a file. The names the policy contains (the report bucket, the team
topics) are the names this construct gives those resources; it refuses a policy that names others.
"""

from __future__ import annotations

from pathlib import Path

import aws_cdk as cdk
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sns_subscriptions as subscriptions
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from aifinops.constructs import nag_acks
from aifinops.constructs.errors import PropProblem, raise_if_any
from aifinops.constructs.pack_topic import mark_pack_topic
from aifinops.constructs.policy_asset import code_with_policy
from aifinops.lambdas.inform import metrics
from aifinops.lambdas.inform.policy import POLICY_FILE, InformPolicy, PolicyError, parse_policy
from aifinops.naming import BUDGET_PREFIX, INFORM_NAME, MANAGED_TAG, REPORT_TOPIC_PREFIX, report_bucket_name

INFORM_DIR = Path(__file__).resolve().parents[1] / "lambdas" / "inform"
COLLECT_HANDLER = "handler.collect_handler"
REPORT_HANDLER = "handler.report_handler"
COLLECT_NAME = f"{INFORM_NAME}-collect"
REPORT_NAME = f"{INFORM_NAME}-report"
COST_EXPLORER_READS = ("ce:GetAnomalies", "ce:GetAnomalyMonitors", "ce:GetCostAndUsage", "ce:GetCostForecast")


class InformFunctions(Construct):
    """Two functions on one asset (Python 3.14, arm64), reserved concurrency 1 each:

    - ``aifinops-inform-collect`` daily on ``collector_schedule``: Cost Explorer -> the ``AiFinOps`` metrics
      (`aifinops.lambdas.inform.metrics`); no retry (a retry bills Cost Explorer again; the next day's run
      re-collects the month to date); an alarm when a run reports errors or skips queries at its request bound;
    - ``aifinops-inform-report`` weekly on ``report_schedule``: each team's report, text to the topic
      ``aifinops-report-<team>`` (its owners subscribed by e-mail) and HTML to the report bucket; retried twice
      (a marker object per team and week keeps a retry from sending twice).

    Storage: the bucket ``aifinops-reports-<account>-<region>`` (SSE-KMS with this construct's key, TLS only, no
    public access, versioned, reports expire after ``retention_days``, server access logs to a second bucket);
    the team topics use the same key. IAM: Cost Explorer reads (no resource-level permissions), PutMetricData
    only in the AiFinOps namespace, GetMetricData, budgets:ViewBudget of the aifinops-* budgets, objects of the
    report prefix, publish to the team topics, the key's data-key use.

    Example::

        import aws_cdk as cdk
        from aifinops.config import load
        from aifinops.constructs import InformFunctions
        from aifinops.policies.inform_policy import inform_policy_json

        config = load("finops.yaml")
        app = cdk.App()
        stack = cdk.Stack(app, "Inform", env=cdk.Environment(account="111111111111", region="us-east-1"))
        InformFunctions(stack, "Inform", policy_json=inform_policy_json(config),
                        owners={t.name: list(t.owners) for t in config.teams})
        app.synth()
    """

    def __init__(self, scope: Construct, construct_id: str, *, policy_json: str, owners: dict[str, list[str]],
                 collector_schedule: str = "cron(30 7 * * ? *)", report_schedule: str = "cron(0 8 ? * MON *)",
                 retention_days: int = 400, code: lambda_.Code | None = None,
                 log_retention: logs.RetentionDays = logs.RetentionDays.ONE_YEAR) -> None:
        """
        :param policy_json: `aifinops.policies.inform_policy.inform_policy_json(config)`.
        :param owners: team -> the e-mail addresses subscribed to its report topic.
        :param collector_schedule: EventBridge expression of the collection (UTC). Default: daily at 07:30.
        :param report_schedule: EventBridge expression of the weekly reports (UTC). Default: Mondays at 08:00.
        :param retention_days: days a report is kept in the bucket. Default: 400.
        :param code: replaces the functions' code (tests). Default: aifinops/lambdas/inform with the policy.
        :param log_retention: of both log groups. Default: one year.
        """
        super().__init__(scope, construct_id)
        stack = cdk.Stack.of(self)
        policy, problems = _policy(policy_json, stack, owners)
        raise_if_any(self, problems)
        assert policy is not None and policy.report_bucket is not None
        self.key = kms.Key(self, "Key", enable_key_rotation=True, alias=f"alias/{INFORM_NAME}",
                           description=f"{INFORM_NAME}: encrypts the weekly team reports and their topics")
        self.access_logs = s3.Bucket(
            # its ownership is the CDK's choice: a bucket policy for the log delivery (the reference deployment's
            # flag @aws-cdk/aws-s3:serverAccessLogsUseBucketPolicy), else the log-delivery ACL and ObjectWriter
            self, "AccessLogs", encryption=s3.BucketEncryption.S3_MANAGED, enforce_ssl=True, versioned=True,
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            lifecycle_rules=[s3.LifecycleRule(expiration=cdk.Duration.days(retention_days),
                                              noncurrent_version_expiration=cdk.Duration.days(30))],
            removal_policy=cdk.RemovalPolicy.RETAIN)
        self.bucket = s3.Bucket(
            self, "Reports", bucket_name=policy.report_bucket, encryption=s3.BucketEncryption.KMS,
            encryption_key=self.key, bucket_key_enabled=True, enforce_ssl=True, versioned=True,
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
            lifecycle_rules=[s3.LifecycleRule(expiration=cdk.Duration.days(retention_days),
                                              noncurrent_version_expiration=cdk.Duration.days(30))],
            server_access_logs_bucket=self.access_logs, server_access_logs_prefix="reports/",
            removal_policy=cdk.RemovalPolicy.RETAIN)
        self.dead_letter_queue = sqs.Queue(self, "DeadLetters", queue_name=f"{INFORM_NAME}-dead-letters",
                                           encryption=sqs.QueueEncryption.SQS_MANAGED, enforce_ssl=True,
                                           retention_period=cdk.Duration.days(14))
        nag_acks.acknowledge(self.dead_letter_queue, nag_acks.SERVERLESS, "SQSRedrivePolicy",
                             nag_acks.IS_DEAD_LETTER_QUEUE)
        self.topics: dict[str, sns.Topic] = {}
        for team in policy.teams:
            topic = sns.Topic(self, f"Topic-{team.name}", topic_name=f"{REPORT_TOPIC_PREFIX}{team.name}",
                              master_key=self.key, enforce_ssl=True, display_name=f"aifinops {team.name} AI spend")
            mark_pack_topic(topic, "InformFunctions")
            for owner in owners.get(team.name, []):
                topic.add_subscription(subscriptions.EmailSubscription(owner, dead_letter_queue=self.dead_letter_queue))
            self.topics[team.name] = topic
        self.role = iam.Role(self, "Role", assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
                             role_name=INFORM_NAME,
                             description="aifinops inform: spend metrics from Cost Explorer, weekly team reports")
        statements = self._statements(stack, policy)
        for statement in statements:
            self.role.add_to_principal_policy(statement)
        nag_acks.acknowledge_wildcards(self.role, statements, nag_acks.INFORM)
        code = code or code_with_policy(INFORM_DIR, POLICY_FILE, policy_json)
        self.collect_function = self._function("Collect", COLLECT_NAME, COLLECT_HANDLER, code, log_retention,
                                               cdk.Duration.minutes(5), "daily AI spend metrics from Cost Explorer")
        self.report_function = self._function("Report", REPORT_NAME, REPORT_HANDLER, code, log_retention,
                                              cdk.Duration.minutes(10), "weekly AI spend report of every team")
        self.collect_rule = events.Rule(
            self, "CollectSchedule", rule_name=COLLECT_NAME, schedule=events.Schedule.expression(collector_schedule),
            description="aifinops: collect AI spend metrics from Cost Explorer (daily)",
            targets=[targets.LambdaFunction(self.collect_function, dead_letter_queue=self.dead_letter_queue,
                                            retry_attempts=0, max_event_age=cdk.Duration.hours(6))])
        self.report_rule = events.Rule(
            self, "ReportSchedule", rule_name=REPORT_NAME, schedule=events.Schedule.expression(report_schedule),
            description="aifinops: weekly AI spend report of every team",
            targets=[targets.LambdaFunction(self.report_function, dead_letter_queue=self.dead_letter_queue,
                                            retry_attempts=2, max_event_age=cdk.Duration.hours(6))])
        self.alarms = [
            self._alarm("CollectErrors", f"{COLLECT_NAME}-errors", f"{COLLECT_NAME} failed; see its log group",
                        self.collect_function.metric_errors(period=cdk.Duration.hours(1), statistic="Sum")),
            self._alarm("CollectIncomplete", f"{COLLECT_NAME}-incomplete",
                        "the spend collection had failed or skipped queries; see the run's summary in the log group",
                        cloudwatch.Metric(namespace=metrics.NAMESPACE, metric_name=metrics.ERRORS,
                                          period=cdk.Duration.days(1), statistic="Maximum")),
            self._alarm("ReportErrors", f"{REPORT_NAME}-errors", f"{REPORT_NAME} failed; see its log group",
                        self.report_function.metric_errors(period=cdk.Duration.hours(1), statistic="Sum")),
            self._alarm("DeadLetterMessages", f"{INFORM_NAME}-dead-letters",
                        "a scheduled run or a report e-mail was not delivered; see the dead-letter queue",
                        self.dead_letter_queue.metric_approximate_number_of_messages_visible(
                            period=cdk.Duration.minutes(5), statistic="Maximum")),
        ]
        cdk.Tags.of(self).add(MANAGED_TAG, "true")

    def _statements(self, stack: cdk.Stack, policy: InformPolicy) -> list[iam.PolicyStatement]:
        prefix = f"{policy.report_prefix}*"
        return [
            iam.PolicyStatement(sid="ReadCostExplorer", actions=list(COST_EXPLORER_READS), resources=["*"]),
            iam.PolicyStatement(sid="PutSpendMetrics", actions=["cloudwatch:PutMetricData"], resources=["*"],
                                conditions={"StringEquals": {"cloudwatch:namespace": metrics.NAMESPACE}}),
            iam.PolicyStatement(sid="ReadMetrics", actions=["cloudwatch:GetMetricData"], resources=["*"]),
            iam.PolicyStatement(sid="ReadBudgets", actions=["budgets:ViewBudget"],
                                resources=[f"arn:{stack.partition}:budgets::{stack.account}:budget/{BUDGET_PREFIX}*"]),
            iam.PolicyStatement(sid="WriteReports", actions=["s3:GetObject", "s3:PutObject"],
                                resources=[self.bucket.arn_for_objects(prefix)]),
            # Without ListBucket S3 answers 403, not 404, for a report not sent yet (the sent markers).
            iam.PolicyStatement(sid="ListReports", actions=["s3:ListBucket"], resources=[self.bucket.bucket_arn],
                                conditions={"StringLike": {"s3:prefix": [prefix]}}),
            iam.PolicyStatement(sid="PublishReports", actions=["sns:Publish"],
                                resources=sorted(t.topic_arn for t in self.topics.values())),
            iam.PolicyStatement(sid="EncryptReports", actions=["kms:Decrypt", "kms:GenerateDataKey"],
                                resources=[self.key.key_arn]),
        ]

    def _function(self, construct_id: str, name: str, handler: str, code: lambda_.Code,
                  retention: logs.RetentionDays, timeout: cdk.Duration, what: str) -> lambda_.Function:
        log_group = logs.LogGroup(self, f"{construct_id}Logs", retention=retention)
        log_group.grant_write(self.role)
        function = lambda_.Function(
            self, construct_id, function_name=name, runtime=lambda_.Runtime.PYTHON_3_14,
            architecture=lambda_.Architecture.ARM_64, handler=handler, code=code, role=self.role, timeout=timeout,
            memory_size=256, reserved_concurrent_executions=1, dead_letter_queue=self.dead_letter_queue,
            log_group=log_group, retry_attempts=0 if construct_id == "Collect" else 2, description=f"aifinops: {what}")
        nag_acks.acknowledge(function, nag_acks.SERVERLESS, "LambdaTracing", nag_acks.NO_XRAY_SDK)
        nag_acks.acknowledge(function, nag_acks.SERVERLESS, "LambdaAsyncFailureDestination",
                             nag_acks.DLQ_NOT_DESTINATION)
        return function

    def _alarm(self, construct_id: str, name: str, description: str, metric: cloudwatch.IMetric) -> cloudwatch.Alarm:
        return cloudwatch.Alarm(
            self, construct_id, alarm_name=name, alarm_description=description, metric=metric, threshold=1,
            evaluation_periods=1, comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
            treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING)


def _policy(policy_json: str, stack: cdk.Stack, owners: dict[str, list[str]]
            ) -> tuple[InformPolicy | None, list[PropProblem]]:
    try:
        policy = parse_policy(policy_json)
    except PolicyError as exc:
        return None, [PropProblem("AIF_INFORM_POLICY", "policy_json", str(exc)[:200],
                                  "the JSON of aifinops.policies.inform_policy.inform_policy_json(config)")]
    problems = []
    if cdk.Token.is_unresolved(stack.account) or cdk.Token.is_unresolved(stack.region):
        problems.append(PropProblem("AIF_INFORM_ENV", "env", "(environment-agnostic stack)",
                                    "a stack with an explicit account and region: the bucket's name contains them"))
    elif policy.report_bucket != report_bucket_name(stack.account, stack.region):
        problems.append(PropProblem("AIF_INFORM_BUCKET", "policy_json.report.bucket", str(policy.report_bucket),
                                    report_bucket_name(stack.account, stack.region)))
    for team in policy.teams:  # the partition may be a token: compared from the service on
        expected = f"sns:{stack.region}:{stack.account}:{REPORT_TOPIC_PREFIX}{team.name}"
        if not cdk.Token.is_unresolved(stack.account) and (team.topic_arn or "").split(":", 2)[-1] != expected:
            problems.append(PropProblem("AIF_INFORM_TOPIC", f"policy_json.teams.{team.name}.topicArn",
                                        str(team.topic_arn), f"arn:<partition>:{expected}"))
    unknown = sorted(set(owners) - {t.name for t in policy.teams})
    if unknown:
        problems.append(PropProblem("AIF_INFORM_OWNERS", "owners", ", ".join(unknown), "teams of the policy"))
    return policy, problems
