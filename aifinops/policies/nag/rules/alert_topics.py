"""AiFinOps-SNS1: SNS topics that carry cost alerts are encrypted with a customer managed key."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from cdk_nag import NagMessageLevel

from aifinops.config import FinOpsConfig
from aifinops.policies.nag.rule import NagRule, ResourceView, Verdict
from aifinops.policies.nag.rules._cfn import is_guard_function
from aifinops.policies.resource_facts import aif_topics
from aifinops.policies.resource_facts.aif_template import render

RULE_ID = "AiFinOps-SNS1"
# WARN: the messages carry budget names, amounts and resource ids, not secrets; yet they are read by
# automation (the enforcer), so tampering and disclosure matter. WARN still fails synthesis.
LEVEL = NagMessageLevel.WARN
INFO = "An SNS topic used for cost alerts is not encrypted with a customer managed KMS key."
EXPLANATION = (
    "Budget, cost anomaly and guard notifications name teams, amounts and resources, and the budget enforcer "
    "acts on them. Fix: set KmsMasterKeyId to a customer managed key whose key policy lets the publishing "
    "service use it (BudgetTopic does); the AWS managed key alias/aws/sns (by alias or alias ARN) cannot be used "
    "by AWS Budgets or Cost Anomaly Detection. Cost-alert topics are those an AWS::Budgets::Budget subscriber, an "
    "AWS::CE::AnomalySubscription subscriber or the environment of a guard or enforcer function refers to, "
    "in the same stack; the pack's own topics are AiFinOps-SNS2's.")

TYPES = frozenset({"AWS::SNS::Topic"})
AWS_MANAGED_KEY = aif_topics.AWS_MANAGED_KEY


def check(resource: ResourceView, config: FinOpsConfig) -> Verdict:
    if resource.type not in TYPES:
        return Verdict.skip(f"{resource.type} is not an SNS topic")
    if aif_topics.is_pack_topic(resource.properties, resource.metadata):
        return Verdict.skip("a topic of the aifinops pack: AiFinOps-SNS2 judges it")
    users = sorted({user for user, address in _alert_addresses(resource) if _is_topic(address, resource)})
    if not users:
        return Verdict.skip("no budget, anomaly subscription or guard function in the stack publishes to it")
    key = resource.properties.get("KmsMasterKeyId")
    if key is None:
        return Verdict.fail(f"unencrypted, used by {', '.join(users)}")
    if aif_topics.aws_managed(key):
        return Verdict.fail(f"encrypted with {AWS_MANAGED_KEY}, which {', '.join(users)} cannot publish with")
    return Verdict.ok(f"encrypted; used by {', '.join(users)}")


def _alert_addresses(resource: ResourceView) -> Iterator[tuple[str, Any]]:
    """(who, address value) of every place in the stack that sends cost alerts to a topic."""
    for logical_id, props in resource.others("AWS::Budgets::Budget"):
        for notification in _list(props.get("NotificationsWithSubscribers")):
            for subscriber in _list(notification.get("Subscribers") if isinstance(notification, dict) else None):
                if isinstance(subscriber, dict) and subscriber.get("SubscriptionType") == "SNS":
                    yield f"budget {logical_id}", subscriber.get("Address")
    for logical_id, props in resource.others("AWS::CE::AnomalySubscription"):
        for subscriber in _list(props.get("Subscribers")):
            if isinstance(subscriber, dict) and subscriber.get("Type") == "SNS":
                yield f"anomaly subscription {logical_id}", subscriber.get("Address")
    for logical_id, function in resource.siblings.items():
        if function.get("Type") != "AWS::Lambda::Function":
            continue
        props = function.get("Properties", {})
        if is_guard_function(props, function.get("Metadata", {})):
            variables = props.get("Environment", {}).get("Variables", {})
            for value in variables.values() if isinstance(variables, dict) else ():
                yield f"function {logical_id}", value


def _is_topic(address: Any, resource: ResourceView) -> bool:
    text = render(address)
    if text is None:
        return False
    name = resource.properties.get("TopicName")
    return text == f"${{{resource.logical_id}}}" or (isinstance(name, str) and text.endswith(f":{name}"))


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


RULE = NagRule(RULE_ID, LEVEL, INFO, EXPLANATION, TYPES, check)
