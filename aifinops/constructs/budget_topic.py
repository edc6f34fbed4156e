"""`BudgetTopic`: the SNS topic AWS Budgets (and Cost Anomaly Detection) publish to, encrypted with a
customer managed key that those services may use only on behalf of this account."""

from __future__ import annotations

import aws_cdk as cdk
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_sns as sns
from constructs import Construct

from aifinops.constructs.pack_topic import mark_pack_topic
from aifinops.naming import NAME_PREFIX

BUDGETS_PRINCIPAL = "budgets.amazonaws.com"
ANOMALY_PRINCIPAL = "costalerts.amazonaws.com"  # Cost Anomaly Detection (IMMEDIATE alerts go to SNS)
# What a service needs of the key to publish to an SSE-KMS topic.
PUBLISHER_KEY_ACTIONS = ("kms:GenerateDataKey*", "kms:Decrypt")


class BudgetTopic(Construct):
    """An encrypted SNS topic for budget notifications.

    - a customer managed KMS key with yearly rotation; besides the account's own administration (the CDK
      default key policy), only `budgets.amazonaws.com` (and, with ``anomaly_alerts``,
      `costalerts.amazonaws.com`) may use it, to publish, and only for this account (`aws:SourceAccount`);
    - a topic policy letting Budgets publish only for this account's budgets (`aws:SourceAccount` and
      `aws:SourceArn` `arn:<partition>:budgets::<account>:*`, as in the AWS Budgets guide), and denying
      any request without TLS.

    Budgets needs the topic in the same account as the budget: cross-account topics are not supported.

    Example::

        import aws_cdk as cdk
        from aifinops.constructs import BudgetTopic

        app = cdk.App()
        stack = cdk.Stack(app, "Budgets", env=cdk.Environment(account="111111111111", region="us-east-1"))
        topic = BudgetTopic(stack, "Topic")
        # pass topic.topic to TeamBudget; subscribe what reacts to budget notifications
        app.synth()
    """

    def __init__(self, scope: Construct, construct_id: str, *, topic_name: str = f"{NAME_PREFIX}-budgets",
                 anomaly_alerts: bool = False) -> None:
        """
        :param topic_name: name of the topic (and of the key's alias). Default: ``aifinops-budgets``.
        :param anomaly_alerts: also let Cost Anomaly Detection publish (needed for IMMEDIATE anomaly
            subscriptions). Default: False.
        """
        super().__init__(scope, construct_id)
        stack = cdk.Stack.of(self)
        publishers = [BUDGETS_PRINCIPAL, *([ANOMALY_PRINCIPAL] if anomaly_alerts else [])]
        self.key = kms.Key(self, "Key", enable_key_rotation=True, alias=f"alias/{topic_name}",
                           description=f"{topic_name}: encrypts budget notifications (aifinops)")
        for principal in publishers:
            self.key.add_to_resource_policy(iam.PolicyStatement(
                sid=f"Publish{_word(principal)}", principals=[iam.ServicePrincipal(principal)],
                actions=list(PUBLISHER_KEY_ACTIONS), resources=["*"],
                conditions={"StringEquals": {"aws:SourceAccount": stack.account}}))
        self.topic = sns.Topic(self, "Topic", topic_name=topic_name, master_key=self.key, enforce_ssl=True,
                               display_name="aifinops budgets")
        mark_pack_topic(self.topic, "BudgetTopic")
        self.topic.add_to_resource_policy(iam.PolicyStatement(
            sid="BudgetsPublish", principals=[iam.ServicePrincipal(BUDGETS_PRINCIPAL)], actions=["SNS:Publish"],
            resources=[self.topic.topic_arn],
            conditions={"StringEquals": {"aws:SourceAccount": stack.account},
                        "ArnLike": {"aws:SourceArn": f"arn:{stack.partition}:budgets::{stack.account}:*"}}))
        if anomaly_alerts:
            self.topic.add_to_resource_policy(iam.PolicyStatement(
                sid="AnomalyAlertsPublish", principals=[iam.ServicePrincipal(ANOMALY_PRINCIPAL)],
                actions=["SNS:Publish"], resources=[self.topic.topic_arn],
                conditions={"StringEquals": {"aws:SourceAccount": stack.account}}))


def _word(principal: str) -> str:
    return principal.split(".", 1)[0].capitalize()
