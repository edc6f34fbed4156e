"""AWS Budgets notifications delivered through SNS: plain text whose wording is no contract.

A real message (the SNS `Message`; `Subject` is "AWS Budgets: <name> has exceeded your alert threshold"):

    AWS Budget Notification November 27, 2026
    AWS Account 123456789012

    Dear AWS Customer,

    You requested that we alert you when the ACTUAL Cost associated with your aifinops-search budget is
    greater than $20,000.00 for the current month. The ACTUAL Cost associated with this budget is $20,512.34. ...

    Budget Name: aifinops-search
    Budget Type: Cost
    Budgeted Amount: $20,000.00
    Alert Type: ACTUAL
    Alert Threshold: > $20,000.00
    ACTUAL Amount: $20,512.34

Only the budget name matters, and it is read best effort: a "Budget Name:" line (any case, ':' or '=',
lines or '#'-separated fields), a JSON object with a budget name key, the "associated with your <name> budget"
sentence, or the subject. The other fields are kept for the log only. The caller never acts on the message:
it confirms with DescribeBudget first (confirmation.py), so a reworded or forged message cannot pause anything.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

__all__ = ["BudgetNotification", "SnsMessage", "Unrecognised", "parse_notification", "sns_messages"]

MAX_BUDGET_NAME = 100  # Budgets API: BudgetName is 1-100 characters, never ':' or '\'
_FIELD = re.compile(r"^\s*(?P<key>[A-Za-z][A-Za-z _-]{0,40}?)\s*[:=]\s*(?P<value>.*?)\s*$")
_FIELD_SEPARATOR = re.compile(r"\r?\n|#+(?=\s*[A-Za-z][A-Za-z _-]{0,40}\s*[:=])")
_SENTENCE = re.compile(r"associated with your (?P<name>\S.{0,99}?) budget\b", re.IGNORECASE)
_SUBJECT = re.compile(r"AWS Budgets?:\s*(?P<name>\S.{0,99}?)\s+has (?:exceeded|been exceeded)", re.IGNORECASE)
_KEYS = {  # normalised key -> field
    "budgetname": "budget_name", "budget": "budget_name",
    "alerttype": "alert_type", "notificationtype": "alert_type",
    "budgetedamount": "budgeted_amount", "budgetamount": "budgeted_amount", "budgetlimit": "budgeted_amount",
    "alertthreshold": "threshold", "threshold": "threshold",
    "actualamount": "amount", "forecastedamount": "amount", "forecastamount": "amount",
}


@dataclass(frozen=True)
class SnsMessage:
    message: str
    subject: str | None
    topic_arn: str | None
    message_id: str | None


@dataclass(frozen=True)
class BudgetNotification:
    budget_name: str
    source: str  # where the name came from: field, json, sentence, subject
    alert_type: str | None = None  # ACTUAL or FORECASTED, as written
    budgeted_amount: str | None = None
    threshold: str | None = None
    amount: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"budget": self.budget_name, "nameFrom": self.source, "alertType": self.alert_type,
                "budgetedAmount": self.budgeted_amount, "threshold": self.threshold, "amount": self.amount}


@dataclass(frozen=True)
class Unrecognised:
    reason: str


def sns_messages(event: Any) -> list[SnsMessage]:
    """The SNS messages of a Lambda event; [] for anything that is not an SNS event."""
    records = event.get("Records") if isinstance(event, Mapping) else None
    messages = []
    for record in records if isinstance(records, list) else []:
        sns = record.get("Sns") if isinstance(record, Mapping) else None
        if isinstance(sns, Mapping) and isinstance(sns.get("Message"), str):
            messages.append(SnsMessage(message=sns["Message"], subject=_str(sns.get("Subject")),
                                       topic_arn=_str(sns.get("TopicArn")), message_id=_str(sns.get("MessageId"))))
    return messages


def parse_notification(message: str, subject: str | None = None) -> BudgetNotification | Unrecognised:
    text = message.strip()
    if text.startswith(("{", "[")):
        return _parse_json(text)
    fields = dict(_fields(text))
    name, source = fields.get("budget_name"), "field"
    if not name:
        match = _SENTENCE.search(text)
        name, source = (match.group("name"), "sentence") if match else (None, "")
    if not name and subject:
        match = _SUBJECT.search(subject)
        name, source = (match.group("name"), "subject") if match else (None, "")
    if not name:
        return Unrecognised("no budget name in the message")
    problem = _name_problem(name)
    if problem:
        return Unrecognised(problem)
    return BudgetNotification(budget_name=name.strip(), source=source, alert_type=fields.get("alert_type"),
                              budgeted_amount=fields.get("budgeted_amount"), threshold=fields.get("threshold"),
                              amount=fields.get("amount"))


def _fields(text: str) -> Iterator[tuple[str, str]]:
    for segment in _FIELD_SEPARATOR.split(text):
        match = _FIELD.match(segment)
        if match:
            key = re.sub(r"[ _-]", "", match.group("key")).lower()
            if key in _KEYS and match.group("value"):
                yield _KEYS[key], match.group("value")


def _parse_json(text: str) -> BudgetNotification | Unrecognised:
    try:
        doc = json.loads(text)
    except json.JSONDecodeError:
        return Unrecognised("looks like JSON but does not parse")
    for obj in _objects(doc):
        for key, value in obj.items():
            if re.sub(r"[ _-]", "", str(key)).lower() == "budgetname" and isinstance(value, str):
                problem = _name_problem(value)
                return Unrecognised(problem) if problem else BudgetNotification(budget_name=value.strip(),
                                                                                source="json")
    return Unrecognised("JSON without a budget name")


def _objects(doc: Any, depth: int = 0) -> Iterator[Mapping[str, Any]]:
    """The object and the objects nested in it (a few levels: EventBridge puts the payload under `detail`)."""
    if isinstance(doc, Mapping):
        yield doc
        children: Any = doc.values()
    elif isinstance(doc, list):
        children = doc
    else:
        return
    if depth < 3:
        for child in children:
            yield from _objects(child, depth + 1)


def _name_problem(name: str) -> str | None:
    name = name.strip()
    if not name or len(name) > MAX_BUDGET_NAME or ":" in name or "\\" in name:
        return f"not a budget name: {name[:120]!r}"
    return None


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) else None
