"""Budget notifications as AWS Budgets sends them to SNS, for unit and e2e tests.

The layout follows real messages (the SNS `Message` of an ACTUAL alert, as delivered to Lambda):

    AWS Budget Notification <Month DD, YYYY>
    AWS Account <id>

    Dear AWS Customer,

    You requested that we alert you when the ACTUAL Cost associated with your <name> budget is greater than
    <threshold> for the current month. The ACTUAL Cost associated with this budget is <amount>. You can find
    additional details below and by accessing the AWS Budgets dashboard [1].

    Budget Name: <name>
    Budget Type: Cost
    Budgeted Amount: <limit>
    Alert Type: ACTUAL
    Alert Threshold: > <threshold>
    ACTUAL Amount: <amount>

    [1] https://console.aws.amazon.com/billing/home#/budgets

with the subject "AWS Budgets: <name> has exceeded your alert threshold". FORECASTED alerts say "is forecasted
to be greater than" and carry a "FORECASTED Amount:" line.
"""

from __future__ import annotations

from typing import Any

ACCOUNT = "123456789012"
TOPIC_ARN = f"arn:aws:sns:us-east-1:{ACCOUNT}:aifinops-budgets"


def budget_message(name: str, *, limit: str = "$20,000.00", threshold: str = "$20,000.00",
                   amount: str = "$20,512.34", alert_type: str = "ACTUAL", account: str = ACCOUNT) -> str:
    forecast = " is forecasted to be" if alert_type == "FORECASTED" else " is"
    return (
        "AWS Budget Notification November 27, 2026\n"
        f"AWS Account {account}\n\n"
        "Dear AWS Customer,\n\n"
        f"You requested that we alert you when the {alert_type} Cost associated with your {name} budget{forecast} "
        f"greater than {threshold} for the current month. The {alert_type} Cost associated with this budget is "
        f"{amount}. You can find additional details below and by accessing the AWS Budgets dashboard [1].\n\n"
        f"Budget Name: {name}\n"
        "Budget Type: Cost\n"
        f"Budgeted Amount: {limit}\n"
        f"Alert Type: {alert_type}\n"
        f"Alert Threshold: > {threshold}\n"
        f"{alert_type} Amount: {amount}\n\n"
        "[1] https://console.aws.amazon.com/billing/home#/budgets\n")


def subject(name: str) -> str:
    return f"AWS Budgets: {name} has exceeded your alert threshold"


def sns_event(message: str, subject_line: str | None = None, message_id: str = "5f1e6e1a-0000-4000-8000-000000000001",
              ) -> dict[str, Any]:
    """The event Lambda receives from an SNS subscription."""
    return {"Records": [{
        "EventSource": "aws:sns",
        "EventVersion": "1.0",
        "EventSubscriptionArn": f"{TOPIC_ARN}:0b9f2d3c-1111-4222-8333-444455556666",
        "Sns": {
            "Type": "Notification",
            "MessageId": message_id,
            "TopicArn": TOPIC_ARN,
            "Subject": subject_line,
            "Message": message,
            "Timestamp": "2026-11-27T01:01:38.638Z",
            "SignatureVersion": "1",
            "Signature": "EXAMPLE",
            "SigningCertUrl": "https://sns.us-east-1.amazonaws.com/SimpleNotificationService-EXAMPLE.pem",
            "UnsubscribeUrl": "https://sns.us-east-1.amazonaws.com/?Action=Unsubscribe&SubscriptionArn=EXAMPLE",
            "MessageAttributes": {},
        },
    }]}


def budget_event(name: str, **kwargs: Any) -> dict[str, Any]:
    return sns_event(budget_message(name, **kwargs), subject(name))
