"""Budget notifications: the real plain-text format, reworded variants, and what must be ignored."""

from __future__ import annotations

import json

import pytest

from aifinops.lambdas.budget_enforcer.notification import (
    BudgetNotification,
    Unrecognised,
    parse_notification,
    sns_messages,
)
from tests.lambdas.budget_enforcer.notifications import budget_event, budget_message, sns_event, subject


def test_actual_alert_in_the_documented_format() -> None:
    parsed = parse_notification(budget_message("aifinops-search"), subject("aifinops-search"))
    assert parsed == BudgetNotification(budget_name="aifinops-search", source="field", alert_type="ACTUAL",
                                        budgeted_amount="$20,000.00", threshold="> $20,000.00", amount="$20,512.34")


def test_forecasted_alert() -> None:
    parsed = parse_notification(budget_message("aifinops-search-ranker", alert_type="FORECASTED", limit="$5,000.00",
                                               threshold="$5,000.00", amount="$5,730.12"))
    assert isinstance(parsed, BudgetNotification)
    assert (parsed.budget_name, parsed.alert_type, parsed.amount) == ("aifinops-search-ranker", "FORECASTED",
                                                                       "$5,730.12")


@pytest.mark.parametrize("message", [
    # Keys in another case, '=' instead of ':', CRLF line ends, extra spaces.
    "AWS Budget Notification\r\nbudget name = aifinops-search\r\nALERT TYPE=ACTUAL\r\n",
    "Budget Name:   aifinops-search   \nBudget Type: Cost",
    "Budget_Name: aifinops-search",
    # The fields on one line, '#'-separated (as some forwarders flatten the message).
    "AWS Budget Notification##Budget Name: aifinops-search#Budget Type: Cost#Budgeted Amount: $20,000.00"
    "#Alert Type: ACTUAL#Alert Threshold: > $16,000.00#ACTUAL Amount: $20,512.34",
    # No "Budget Name" line any more: the sentence still names it.
    "Dear AWS Customer, You requested that we alert you when the ACTUAL Cost associated with your "
    "aifinops-search budget is greater than $20,000.00 for the current month.",
])
def test_reworded_messages_still_name_the_budget(message: str) -> None:
    parsed = parse_notification(message)
    assert isinstance(parsed, BudgetNotification) and parsed.budget_name == "aifinops-search"


def test_the_subject_is_the_last_resort() -> None:
    parsed = parse_notification("Your budget needs attention.", subject("aifinops-vision"))
    assert isinstance(parsed, BudgetNotification) and (parsed.budget_name, parsed.source) == ("aifinops-vision",
                                                                                               "subject")


@pytest.mark.parametrize("doc", [
    {"budgetName": "aifinops-search", "notificationType": "ACTUAL"},
    {"detail": {"BudgetName": "aifinops-search"}},
])
def test_json_with_a_budget_name(doc: dict[str, object]) -> None:
    parsed = parse_notification(json.dumps(doc))
    assert isinstance(parsed, BudgetNotification) and (parsed.budget_name, parsed.source) == ("aifinops-search",
                                                                                               "json")


@pytest.mark.parametrize(("message", "reason"), [
    ("", "no budget name"),
    ("hello world", "no budget name"),
    ("Alarm: CPUUtilization > 80 for i-0123456789abcdef0", "no budget name"),
    ('{"AlarmName": "cpu-high", "NewStateValue": "ALARM"}', "JSON without a budget name"),
    ('{"budgetName": ', "does not parse"),
    ("Budget Name: " + "x" * 101, "not a budget name"),
    ("Budget Name: arn:aws:budgets::123456789012:budget/x", "not a budget name"),
])
def test_anything_else_is_unrecognised(message: str, reason: str) -> None:
    parsed = parse_notification(message)
    assert isinstance(parsed, Unrecognised) and reason in parsed.reason


def test_sns_messages_of_an_event() -> None:
    (message,) = sns_messages(budget_event("aifinops-search"))
    assert message.subject == subject("aifinops-search") and message.topic_arn.endswith(":aifinops-budgets")
    assert sns_messages({"source": "aws.events"}) == []
    assert sns_messages(None) == []
    assert sns_messages({"Records": [{"Sns": {"Message": 42}}, "junk"]}) == []
    assert [m.message for m in sns_messages(sns_event("x"))] == ["x"]
