"""`BudgetEnforcer`: the Lambda functions that pause a team's workloads when its budget is spent (on the
budget topic's notifications) and resume them at the start of the next month (on a schedule).

The runtime code is `aifinops/lambdas/budget_enforcer` (stdlib + boto3); its only input is the policy
JSON of `aifinops.policies.budget_policy`, in the environment variable AIFINOPS_BUDGET_POLICY. Budget
notifications are plain text and not a stable contract: the code confirms the spend with the Budgets API
before it pauses anything.

Locks: one run at a time per team, the functions and ``aifinops budget`` alike, through a DynamoDB table of this
construct (the policy's ``lock``; see aifinops/lambdas/budget_enforcer/lock.py).

Accounts: the functions act in every account the policy lists under ``accounts`` by assuming the role
``aifinops-budget-enforcer-access`` there (`BudgetEnforcerAccess`, deployed by ``BudgetAccessStack``), which
trusts only this construct's role, named ``aifinops-budget-enforcer``; a policy without ``accounts`` acts in
the functions' own account only.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import aws_cdk as cdk
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sns_subscriptions as subscriptions
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from aifinops.constructs import nag_acks
from aifinops.constructs.errors import PropProblem, raise_if_any
from aifinops.constructs.guardrail_rules import enforcer_problems
from aifinops.constructs.policy_asset import code_with_policy
from aifinops.lambdas.budget_enforcer.lock import KEY as LOCK_KEY
from aifinops.lambdas.budget_enforcer.lock import LEASE_SECONDS, TTL_ATTRIBUTE
from aifinops.lambdas.budget_enforcer.permissions import PERMISSIONS, Permission
from aifinops.lambdas.budget_enforcer.policy import PolicyError, parse_policy
from aifinops.naming import BUDGET_ENFORCER_ROLE, BUDGET_PREFIX, CRITICAL_TAG, NAME_PREFIX, PAUSED_TAG
from aifinops.policies.budget_policy import POLICY_FILE

ENFORCER_DIR = Path(__file__).resolve().parents[1] / "lambdas" / "budget_enforcer"
PAUSE_HANDLER = "handler.handler"
PAUSE_NAME = f"{NAME_PREFIX}-budget-enforcer"
RESUME_NAME = f"{NAME_PREFIX}-budget-resume"
RESUME_HANDLER = "handler.resume_handler"


def enforcer_code(policy_json: str) -> lambda_.Code:
    """The enforcer package with its policy bundled as a file (`code_with_policy`): the policy of 25 teams is
    already larger than Lambda's 4 KB of environment variables."""
    return code_with_policy(ENFORCER_DIR, POLICY_FILE, policy_json)


class BudgetEnforcer(Construct):
    """Two functions on one asset (Python 3.14, arm64): ``handler.handler`` subscribed to the budget topic,
    ``handler.resume_handler`` on an EventBridge schedule; reserved concurrency 1 each, so two
    notifications never race; the table of the per-team locks, which both functions and ``aifinops budget`` take
    (a second run of a team waits briefly, then reports the holder and acts on nothing): named by the policy's
    ``lock``, on-demand, encrypted, point-in-time recovery, items expire by TTL, destroyed with the stack (leases
    of minutes: nothing to keep); an encrypted dead-letter queue for failed asynchronous invocations, schedule
    deliveries and notifications SNS could not deliver to the pause function; log groups with finite
    retention; alarms on the functions' errors and on the dead-letter queue.

    IAM (one role for both, named ``aifinops-budget-enforcer`` so workload accounts can trust it):
    ``sts:AssumeRole`` of exactly the access roles the policy lists under ``accounts``; and for workloads of
    its own account: the item actions of the lock on that one table; inventory reads on ``*`` (those APIs have
    no resource-level permissions);
    SageMaker describes on this account's ARNs in ``regions``; ``budgets:ViewBudget`` on the
    ``aifinops-*`` budgets; stop/start/delete only of resources tagged ``<tag_key>`` with a value of
    ``pausable_teams`` and not tagged ``aifinops:critical=true``; tag writes only of the
    ``aifinops:paused-by`` key (and its ``aifinops:paused-by:*`` endpoint records) on resources of those
    teams; re-creating an endpoint only with the team tag in the request.

    Example::

        import aws_cdk as cdk
        from aifinops.config import load
        from aifinops.constructs import BudgetEnforcer, BudgetTopic
        from aifinops.policies.budget_policy import enforcer_policy_json

        config = load("finops.yaml")
        app = cdk.App()
        stack = cdk.Stack(app, "Budgets", env=cdk.Environment(account="111111111111", region="us-east-1"))
        BudgetEnforcer(stack, "Enforcer", topic=BudgetTopic(stack, "Topic").topic,
                       policy_json=enforcer_policy_json(config), resume_schedule="cron(5 0 1 * ? *)",
                       pausable_teams=["search"], regions=["us-east-1"])
        app.synth()
    """

    def __init__(self, scope: Construct, construct_id: str, *, topic: sns.ITopic, policy_json: str,
                 resume_schedule: str, pausable_teams: Sequence[str], regions: Sequence[str],
                 code: lambda_.Code | None = None, tag_key: str = "team",
                 log_retention: logs.RetentionDays = logs.RetentionDays.ONE_YEAR,
                 timeout: cdk.Duration | None = None) -> None:
        """
        :param topic: the budget topic; the pause function subscribes to it.
        :param policy_json: `aifinops.policies.budget_policy.enforcer_policy_json(config)`.
        :param resume_schedule: EventBridge schedule expression of the resume, e.g. ``cron(5 0 1 * ? *)`` (UTC).
        :param pausable_teams: team tag values whose workloads may be paused (not the critical teams).
        :param regions: regions the functions act in (IAM resources are scoped to them).
        :param code: replaces the function code (tests). Default: the package ``aifinops/lambdas/budget_enforcer``
            with ``policy_json`` bundled as its policy file; replacement code must bring its own policy.
        :param tag_key: the team cost tag key. Default: ``team``.
        :param log_retention: retention of both log groups. Default: one year.
        :param timeout: of each function. Default: 5 minutes. At most a third of the lock's lease (15 minutes),
            so a lease outlives any invocation.
        """
        super().__init__(scope, construct_id)
        problems = enforcer_problems(policy_json=policy_json, regions=regions, resume_schedule=resume_schedule)
        if code is None and not ENFORCER_DIR.is_dir():
            problems.append(PropProblem("AIF_ENFORCER_CODE", "code", str(ENFORCER_DIR),
                                        "a directory with the budget enforcer's handler.py"))
        timeout = timeout or cdk.Duration.minutes(5)
        problems += _lock_problems(cdk.Stack.of(self), policy_json, timeout)
        raise_if_any(self, problems)
        policy = parse_policy(policy_json)  # what the functions will read at start; enforcer_problems parsed it
        code = code or enforcer_code(policy_json)
        self.lock_table = dynamodb.Table(
            self, "Locks", table_name=policy.lock.table,
            partition_key=dynamodb.Attribute(name=LOCK_KEY, type=dynamodb.AttributeType.STRING),
            billing_mode=dynamodb.BillingMode.PAY_PER_REQUEST, encryption=dynamodb.TableEncryption.AWS_MANAGED,
            point_in_time_recovery_specification=dynamodb.PointInTimeRecoverySpecification(
                point_in_time_recovery_enabled=True),
            time_to_live_attribute=TTL_ATTRIBUTE, removal_policy=cdk.RemovalPolicy.DESTROY)
        self.dead_letter_queue = sqs.Queue(self, "DeadLetters", encryption=sqs.QueueEncryption.SQS_MANAGED,
                                           enforce_ssl=True, retention_period=cdk.Duration.days(14))
        nag_acks.acknowledge(self.dead_letter_queue, nag_acks.SERVERLESS, "SQSRedrivePolicy",
                             nag_acks.IS_DEAD_LETTER_QUEUE)
        self.role = iam.Role(self, "Role", assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
                             role_name=BUDGET_ENFORCER_ROLE,
                             description="aifinops budget enforcer: pause and resume team workloads")
        self.access_role_arns = [a.role_arn for a in policy.accounts]
        statements = enforcer_statements(cdk.Stack.of(self), pausable_teams=pausable_teams, regions=regions,
                                         tag_key=tag_key, access_role_arns=self.access_role_arns,
                                         lock_table_arn=self.lock_table.table_arn)
        for statement in statements:
            self.role.add_to_principal_policy(statement)
        nag_acks.acknowledge_wildcards(self.role, statements, nag_acks.ENFORCER)
        self.pause_function = self._function("Pause", PAUSE_NAME, PAUSE_HANDLER, code, log_retention, timeout)
        self.resume_function = self._function("Resume", RESUME_NAME, RESUME_HANDLER, code, log_retention, timeout)
        topic.add_subscription(subscriptions.LambdaSubscription(self.pause_function,
                                                                dead_letter_queue=self.dead_letter_queue))
        self.resume_rule = events.Rule(
            self, "ResumeSchedule", rule_name=f"{NAME_PREFIX}-budget-resume",
            description="aifinops: resume workloads paused by the budget enforcer (new budget month)",
            schedule=events.Schedule.expression(resume_schedule),
            targets=[targets.LambdaFunction(self.resume_function, dead_letter_queue=self.dead_letter_queue,
                                            retry_attempts=2, max_event_age=cdk.Duration.hours(6))])
        self.alarms = [
            cloudwatch.Alarm(self, f"{name}Errors", alarm_name=f"{function_name}-errors",
                             alarm_description=f"{function_name} failed; see its log group",
                             metric=function.metric_errors(period=cdk.Duration.minutes(5), statistic="Sum"),
                             threshold=1, evaluation_periods=1,
                             comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
                             treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING)
            for name, function_name, function in (("Pause", PAUSE_NAME, self.pause_function),
                                                  ("Resume", RESUME_NAME, self.resume_function))]
        self.alarms.append(cloudwatch.Alarm(
            self, "DeadLetterMessages", alarm_name=f"{NAME_PREFIX}-budget-enforcer-dead-letters",
            alarm_description="a budget notification or resume was not processed; see the dead-letter queue",
            metric=self.dead_letter_queue.metric_approximate_number_of_messages_visible(
                period=cdk.Duration.minutes(5), statistic="Maximum"),
            threshold=1, evaluation_periods=1,
            comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
            treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING))

    def _function(self, construct_id: str, name: str, handler: str, code: lambda_.Code,
                  retention: logs.RetentionDays, timeout: cdk.Duration) -> lambda_.Function:
        log_group = logs.LogGroup(self, f"{construct_id}Logs", retention=retention)
        log_group.grant_write(self.role)
        function = lambda_.Function(
            self, construct_id, function_name=name, runtime=lambda_.Runtime.PYTHON_3_14,
            architecture=lambda_.Architecture.ARM_64, handler=handler, code=code, role=self.role,
            timeout=timeout, memory_size=256,
            reserved_concurrent_executions=1, dead_letter_queue=self.dead_letter_queue, log_group=log_group,
            retry_attempts=2, description=f"aifinops budget enforcer ({handler})")
        nag_acks.acknowledge(function, nag_acks.SERVERLESS, "LambdaTracing", nag_acks.NO_XRAY_SDK)
        nag_acks.acknowledge(function, nag_acks.SERVERLESS, "LambdaAsyncFailureDestination",
                             nag_acks.DLQ_NOT_DESTINATION)
        return function


# Where each resource type of the permission table lives: (service, ARN resource pattern).
_RESOURCES = {"instance": ("ec2", "instance/*"), "notebook-instance": ("sagemaker", "notebook-instance/*"),
              "training-job": ("sagemaker", "training-job/*"), "endpoint": ("sagemaker", "endpoint/*"),
              "endpoint-config": ("sagemaker", "endpoint-config/*"), "job-queue": ("batch", "job-queue/*")}
# The statements of the reads with resource-level permissions, one per service.
_READ_SIDS = {"sagemaker": "DescribeSageMaker", "batch": "ReadJobQueueTags"}
TAG_WRITES = frozenset({"ec2:CreateTags", "ec2:DeleteTags", "sagemaker:AddTags", "sagemaker:DeleteTags",
                        "batch:TagResource", "batch:UntagResource"})
NO_IAM_CHECK = frozenset({"sts:GetCallerIdentity"})


def enforcer_statements(stack: cdk.Stack, *, pausable_teams: Sequence[str], regions: Sequence[str],
                        tag_key: str = "team", access_role_arns: Sequence[str] = (),
                        lock_table_arn: str | None = None) -> list[iam.PolicyStatement]:
    """The enforcer role's permissions, derived from the table the enforcer declares next to its code
    (`aifinops.lambdas.budget_enforcer.permissions`), so the code and the role cannot drift apart: the
    workload permissions for its own account (`workload_statements`), budgets:ViewBudget on the aifinops-*
    budgets, the item actions of the lock on exactly `lock_table_arn`, and sts:AssumeRole of exactly
    `access_role_arns` (none: no such statement)."""
    account, partition = stack.account, stack.partition
    statements = workload_statements(account, partition, pausable_teams=pausable_teams, regions=regions,
                                     tag_key=tag_key)
    reads = len([s for s in statements if s.sid in ("ReadInventory", *_READ_SIDS.values())])
    statements.insert(reads, iam.PolicyStatement(
        sid="ReadBudgets", actions=sorted({p.action for p in _group("budget-name")}),
        resources=[f"arn:{partition}:budgets::{account}:budget/{BUDGET_PREFIX}*"]))
    if lock_table_arn is not None:
        statements.insert(reads + 1, iam.PolicyStatement(
            sid="TeamLocks", actions=sorted({p.action for p in _group("lock-table")}), resources=[lock_table_arn]))
    if access_role_arns:
        statements.append(iam.PolicyStatement(
            sid="AssumeAccessRoles", actions=sorted({p.action for p in _group("access-role")}),
            resources=sorted(set(access_role_arns))))
    return statements


def workload_statements(account: str, partition: str, *, pausable_teams: Sequence[str], regions: Sequence[str],
                        tag_key: str = "team") -> list[iam.PolicyStatement]:
    """What pausing and resuming the workloads of `account` needs (reads, pause and resume, marks, endpoint
    re-creation), from the permission table: the enforcer role's for its own account, and the access role's
    (`aifinops.constructs.budget_enforcer_access`) in a workload account. Never budgets or sts:AssumeRole."""

    def arns(*types: str) -> list[str]:
        return sorted({f"arn:{partition}:{_RESOURCES[t][0]}:{region}:{account}:{_RESOURCES[t][1]}"
                       for region in regions for t in types if t in _RESOURCES})

    reads = _group("none")
    scoped = [p for p in reads if p.resources != ("*",)]
    statements = [
        iam.PolicyStatement(sid="ReadInventory", actions=sorted({p.action for p in reads if p.resources == ("*",)}),
                            resources=["*"]),
        *(iam.PolicyStatement(sid=sid, actions=sorted({p.action for p in of_service}),
                              resources=arns(*{t for p in of_service for t in p.resources}))
          for service, sid in _READ_SIDS.items()
          if (of_service := [p for p in scoped if p.action.startswith(f"{service}:")])),
    ]
    if not pausable_teams:  # every team is critical: the enforcer only reads and reports
        return statements
    team = {f"aws:ResourceTag/{tag_key}": list(pausable_teams)}
    acts, marks, creates = _group("team", tag_writes=False), _group("team", tag_writes=True), _group("request-tag")
    statements += [
        iam.PolicyStatement(sid="PauseAndResumeTeamWorkloads", actions=sorted({p.action for p in acts}),
                            resources=arns(*{t for p in acts for t in p.resources}),
                            conditions={"StringEquals": team,
                                        "StringNotEqualsIgnoreCase": {f"aws:ResourceTag/{CRITICAL_TAG}": "true"}}),
        # The paused mark and the endpoint records kept on an endpoint config (<paused tag>:endpoint:<name>:<i>).
        iam.PolicyStatement(sid="MarkPausedWorkloads", actions=sorted({p.action for p in marks}),
                            resources=arns(*{t for p in marks for t in p.resources}),
                            conditions={"StringEquals": team,
                                        "ForAllValues:StringLike": {"aws:TagKeys": [PAUSED_TAG, f"{PAUSED_TAG}:*"]}}),
        # Resume recreates an endpoint with its recorded tags: authorised on the request's tags.
        iam.PolicyStatement(sid="RecreateTeamEndpoints",
                            actions=sorted({*(p.action for p in creates), "sagemaker:AddTags"}),
                            resources=arns("endpoint", "endpoint-config"),
                            conditions={"StringEquals": {f"aws:RequestTag/{tag_key}": list(pausable_teams)}}),
    ]
    return statements


def _lock_problems(stack: cdk.Stack, policy_json: str, timeout: cdk.Duration) -> list[PropProblem]:
    """The lock table is created in this stack, and a lease must outlive an invocation (a CDK matter: the stack's
    region and the functions' timeout are no finops.yaml props)."""
    problems = []
    if not timeout.is_unresolved() and timeout.to_seconds() * 3 > LEASE_SECONDS:
        problems.append(PropProblem("AIF_ENFORCER_TIMEOUT", "timeout", f"{timeout.to_seconds()} s",
                                    f"at most {LEASE_SECONDS // 3} s: a third of the lock's lease"))
    try:
        lock_region = parse_policy(policy_json).lock.region
    except PolicyError:  # reported by enforcer_problems
        return problems
    if not cdk.Token.is_unresolved(stack.region) and lock_region != stack.region:
        problems.append(PropProblem("AIF_ENFORCER_LOCK_REGION", "policy_json", lock_region,
                                    f"this stack's region {stack.region}, where the lock table is created "
                                    "(enforcer_policy_json(config, lock_region=...))"))
    return problems


def _group(condition: str, *, tag_writes: bool | None = None) -> list[Permission]:
    return [p for p in PERMISSIONS if p.condition == condition and p.action not in NO_IAM_CHECK
            and (tag_writes is None or (p.action in TAG_WRITES) == tag_writes)]
