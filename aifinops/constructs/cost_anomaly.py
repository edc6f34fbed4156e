"""`TeamAnomalyAlerts`: Cost Anomaly Detection scoped to one team's tagged spend."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Literal

from aws_cdk import aws_ce as ce
from aws_cdk import aws_sns as sns
from constructs import Construct

from aifinops.constructs.errors import raise_if_any
from aifinops.constructs.guardrail_rules import anomaly_problems
from aifinops.naming import NAME_PREFIX

Frequency = Literal["DAILY", "WEEKLY", "IMMEDIATE"]


class TeamAnomalyAlerts(Construct):
    """A CUSTOM anomaly monitor over the spend tagged ``<tag_key>=<team>`` and a subscription that alerts
    when an anomaly's total impact reaches both ``threshold_usd`` and ``threshold_percent``.

    DAILY and WEEKLY alerts are e-mails to the owners; IMMEDIATE alerts can only go to SNS (Cost Anomaly
    Detection's rule), so they go to ``topic``, which must let ``costalerts.amazonaws.com`` publish
    (``BudgetTopic(..., anomaly_alerts=True)``). Deploy in the payer account; the tag key must be an
    activated cost allocation tag.

    Example::

        import aws_cdk as cdk
        from aifinops.constructs import TeamAnomalyAlerts

        app = cdk.App()
        stack = cdk.Stack(app, "Budgets", env=cdk.Environment(account="111111111111", region="us-east-1"))
        TeamAnomalyAlerts(stack, "Search", team="search", owners=["search-leads@example.com"],
                          threshold_usd=250, threshold_percent=25)
        app.synth()
    """

    def __init__(self, scope: Construct, construct_id: str, *, team: str, owners: Sequence[str],
                 threshold_usd: float, threshold_percent: float, frequency: Frequency = "DAILY",
                 topic: sns.ITopic | None = None, tag_key: str = "team") -> None:
        """
        :param team: the value of ``tag_key`` monitored; part of the monitor and subscription names.
        :param owners: e-mail addresses for DAILY or WEEKLY alerts, 1 to 10.
        :param threshold_usd: minimum total impact of an anomaly, in USD (0 or more).
        :param threshold_percent: minimum impact relative to expected spend, in percent (0 or more).
        :param frequency: DAILY, WEEKLY or IMMEDIATE. Default: DAILY.
        :param topic: SNS topic for IMMEDIATE alerts. Default: none (required for IMMEDIATE).
        :param tag_key: the team cost tag key. Default: ``team``.
        """
        super().__init__(scope, construct_id)
        raise_if_any(self, anomaly_problems(threshold_usd=threshold_usd, threshold_percent=threshold_percent,
                                            frequency=frequency, has_topic=topic is not None, owners=owners))
        name = f"{NAME_PREFIX}-{team}"
        self.monitor = ce.CfnAnomalyMonitor(
            self, "Monitor", monitor_name=name, monitor_type="CUSTOM",
            monitor_specification=json.dumps({"Tags": {"Key": tag_key, "Values": [team], "MatchOptions": ["EQUALS"]}}))
        if frequency == "IMMEDIATE" and topic is not None:
            subscribers = [ce.CfnAnomalySubscription.SubscriberProperty(type="SNS", address=topic.topic_arn)]
        else:
            subscribers = [ce.CfnAnomalySubscription.SubscriberProperty(type="EMAIL", address=o) for o in owners]
        self.subscription = ce.CfnAnomalySubscription(
            self, "Subscription", subscription_name=name, frequency=frequency,
            monitor_arn_list=[self.monitor.attr_monitor_arn], subscribers=subscribers,
            threshold_expression=threshold_expression(threshold_usd, threshold_percent))


def threshold_expression(usd: float, percent: float) -> str:
    """Both impacts at or above their thresholds (an AND of two ANOMALY_TOTAL_IMPACT_* dimensions)."""
    def at_least(key: str, value: float) -> dict[str, object]:
        return {"Dimensions": {"Key": key, "MatchOptions": ["GREATER_THAN_OR_EQUAL"], "Values": [_number(value)]}}

    return json.dumps({"And": [at_least("ANOMALY_TOTAL_IMPACT_ABSOLUTE", usd),
                               at_least("ANOMALY_TOTAL_IMPACT_PERCENTAGE", percent)]})


def _number(value: float) -> str:
    """250 -> "250", 12.5 -> "12.5": a plain decimal (no exponent) as the expression's values are strings."""
    return f"{value:f}".rstrip("0").rstrip(".")
