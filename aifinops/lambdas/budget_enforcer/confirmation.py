"""Confirm with the Budgets API that a budget is really spent before pausing anything.

The notification only names a budget; `DescribeBudget` decides: actual spend (`CalculatedSpend.ActualSpend`)
must be at least `actionPercent` % of `BudgetLimit`, in the same unit. Forecasts never pause anything, and a
reworded, replayed or forged message cannot either: it would need the real spend to be above the threshold.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

__all__ = ["Confirmation", "confirm_spend", "evaluate_budget"]


@dataclass(frozen=True)
class Confirmation:
    confirmed: bool
    reason: str
    actual: Decimal | None = None
    limit: Decimal | None = None
    unit: str | None = None
    percent: Decimal | None = None  # the action threshold, % of the limit

    def to_dict(self) -> dict[str, Any]:
        return {"confirmed": self.confirmed, "reason": self.reason,
                "actualSpend": _text(self.actual), "budgetLimit": _text(self.limit), "unit": self.unit,
                "actionPercent": _text(self.percent)}


def confirm_spend(budgets: Any, account_id: str, budget_name: str, action_percent: Decimal) -> Confirmation:
    """DescribeBudget, then `evaluate_budget`. A missing budget is not confirmed; other API errors propagate."""
    try:
        response = budgets.describe_budget(AccountId=account_id, BudgetName=budget_name)
    except budgets.exceptions.NotFoundException:
        return Confirmation(False, f"budget {budget_name!r} not found in account {account_id}")
    return evaluate_budget(response.get("Budget") or {}, action_percent)


def evaluate_budget(budget: Mapping[str, Any], action_percent: Decimal) -> Confirmation:
    """Pure: is the actual spend of this DescribeBudget `Budget` at or above `action_percent` % of its limit?"""
    limit, limit_unit = _spend(budget.get("BudgetLimit"))
    actual, actual_unit = _spend((budget.get("CalculatedSpend") or {}).get("ActualSpend"))

    def verdict(confirmed: bool, reason: str) -> Confirmation:
        return Confirmation(confirmed, reason, actual=actual, limit=limit, unit=limit_unit, percent=action_percent)

    if limit is None:
        return verdict(False, "the budget has no fixed BudgetLimit")
    if limit <= 0:
        return verdict(False, "the budget limit is zero: nothing to compare with")
    if actual is None:
        return verdict(False, "the budget reports no actual spend")
    if actual_unit != limit_unit:
        return verdict(False, f"actual spend in {actual_unit}, limit in {limit_unit}")
    threshold = limit * action_percent / 100
    if actual < threshold:
        return verdict(False, f"actual spend {actual} is below {action_percent}% of the limit ({threshold})")
    return verdict(True, f"actual spend {actual} reached {action_percent}% of the limit ({threshold})")


def _spend(value: Any) -> tuple[Decimal | None, str | None]:
    if not isinstance(value, Mapping):
        return None, None
    try:
        amount = Decimal(str(value.get("Amount")))
    except InvalidOperation:
        return None, None
    return (amount if amount.is_finite() else None), value.get("Unit")


def _text(value: Decimal | None) -> str | None:
    return None if value is None else str(value)
