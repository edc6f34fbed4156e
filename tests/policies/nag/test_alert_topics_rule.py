"""AiFinOps-SNS1: topics that budgets, anomaly subscriptions or guard functions publish to are encrypted."""

from __future__ import annotations

from types import SimpleNamespace

import aws_cdk as cdk
import pytest
from aws_cdk import aws_budgets as budgets
from aws_cdk import aws_ce as ce
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_sns as sns

from aifinops.policies.nag.rule import Outcome
from aifinops.policies.nag.rules.alert_topics import RULE
from tests.policies.nag.conftest import Cases

KEY = "arn:aws:kms:us-east-1:222222222222:key/1234abcd-12ab-34cd-56ef-1234567890ab"
ALIAS_ARN = "arn:aws:kms:us-east-1:222222222222:alias"


def _budget(stack: cdk.Stack, construct_id: str, address: str) -> None:
    budgets.CfnBudget(stack, construct_id, budget=budgets.CfnBudget.BudgetDataProperty(
        budget_type="COST", time_unit="MONTHLY", budget_limit=budgets.CfnBudget.SpendProperty(amount=10, unit="USD")),
        notifications_with_subscribers=[budgets.CfnBudget.NotificationWithSubscribersProperty(
            notification=budgets.CfnBudget.NotificationProperty(comparison_operator="GREATER_THAN",
                                                                notification_type="ACTUAL", threshold=80),
            subscribers=[budgets.CfnBudget.SubscriberProperty(subscription_type="SNS", address=address)])])


@pytest.fixture(scope="module")
def nodes(cases: Cases) -> SimpleNamespace:
    stack = cases.stack("Topics")
    n = SimpleNamespace()
    n.encrypted = sns.CfnTopic(stack, "Encrypted", kms_master_key_id=KEY)
    _budget(stack, "EncryptedBudget", n.encrypted.ref)
    n.aws_managed = sns.CfnTopic(stack, "AwsManaged", kms_master_key_id="alias/aws/sns", topic_name="aws-managed")
    _budget(stack, "AwsManagedBudget", "arn:aws:sns:us-east-1:222222222222:aws-managed")  # literal ARN
    n.anomaly = sns.CfnTopic(stack, "Anomaly")
    ce.CfnAnomalySubscription(stack, "Subscription", frequency="IMMEDIATE", monitor_arn_list=["arn:monitor"],
                              subscription_name="s", threshold_expression="{}",
                              subscribers=[ce.CfnAnomalySubscription.SubscriberProperty(
                                  type="SNS", address=n.anomaly.ref)])
    n.guard_topic = sns.CfnTopic(stack, "GuardTopic")
    lambda_.CfnFunction(stack, "Guard", function_name="aifinops-gpu-guard", role="arn:aws:iam::222222222222:role/g",
                        runtime="python3.13", handler="h.h", code=lambda_.CfnFunction.CodeProperty(zip_file="x"),
                        environment=lambda_.CfnFunction.EnvironmentProperty(
                            variables={"AIFINOPS_GUARD_TOPIC_ARN": n.guard_topic.ref}))
    n.unused = sns.CfnTopic(stack, "Unused")
    n.imported_key = sns.CfnTopic(stack, "ImportedKey", kms_master_key_id=cdk.Fn.import_value("key-arn"))
    _budget(stack, "ImportedKeyBudget", n.imported_key.ref)
    n.managed_arn = sns.CfnTopic(stack, "ManagedArn", kms_master_key_id=f"{ALIAS_ARN}/aws/sns")
    _budget(stack, "ManagedArnBudget", n.managed_arn.ref)
    n.managed_sub = sns.CfnTopic(stack, "ManagedSub", kms_master_key_id=cdk.Fn.sub(
        "arn:${AWS::Partition}:kms:${AWS::Region}:${AWS::AccountId}:alias/AWS/SNS"))
    _budget(stack, "ManagedSubBudget", n.managed_sub.ref)
    n.own_alias = sns.CfnTopic(stack, "OwnAlias", kms_master_key_id=f"{ALIAS_ARN}/aws/sns-cmk")
    _budget(stack, "OwnAliasBudget", n.own_alias.ref)
    cases.synth()
    return n


def test_an_encrypted_budget_topic_complies(cases: Cases, nodes: SimpleNamespace) -> None:
    assert cases.verdict(RULE, nodes.encrypted).outcome is Outcome.COMPLIANT


@pytest.mark.parametrize(("name", "user"), [("anomaly", "anomaly subscription"), ("guard_topic", "function Guard")])
def test_unencrypted_alert_topics_fail_naming_who_publishes(
        cases: Cases, nodes: SimpleNamespace, name: str, user: str) -> None:
    verdict = cases.verdict(RULE, getattr(nodes, name))
    assert verdict.outcome is Outcome.NON_COMPLIANT and user in verdict.reason


def test_the_aws_managed_key_fails_for_a_budget_topic_named_by_arn(cases: Cases, nodes: SimpleNamespace) -> None:
    verdict = cases.verdict(RULE, nodes.aws_managed)
    assert verdict.outcome is Outcome.NON_COMPLIANT and "alias/aws/sns" in verdict.reason


def test_topics_nobody_sends_cost_alerts_to_are_not_judged(cases: Cases, nodes: SimpleNamespace) -> None:
    assert cases.verdict(RULE, nodes.unused).outcome is Outcome.NOT_APPLICABLE


def test_an_unresolved_key_counts_as_encrypted(cases: Cases, nodes: SimpleNamespace) -> None:
    assert cases.verdict(RULE, nodes.imported_key).outcome is Outcome.COMPLIANT


@pytest.mark.parametrize("name", ["aws_managed", "managed_arn", "managed_sub"])
def test_the_aws_managed_key_fails_by_alias_or_alias_arn(cases: Cases, nodes: SimpleNamespace, name: str) -> None:
    verdict = cases.verdict(RULE, getattr(nodes, name))
    assert verdict.outcome is Outcome.NON_COMPLIANT and "alias/aws/sns" in verdict.reason


def test_a_customer_alias_that_only_starts_like_the_managed_one_complies(
        cases: Cases, nodes: SimpleNamespace) -> None:
    assert cases.verdict(RULE, nodes.own_alias).outcome is Outcome.COMPLIANT
