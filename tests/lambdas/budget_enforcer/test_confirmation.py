"""DescribeBudget decides: actual spend at or above the action percentage of the limit, same unit."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from aifinops.lambdas.budget_enforcer.confirmation import confirm_spend, evaluate_budget
from tests.lambdas.budget_enforcer.stubs import ACCOUNT, StubbedClients


def budget(actual: str | None, limit: str | None = "20000.0", unit: str = "USD",
           actual_unit: str = "USD") -> dict[str, Any]:
    doc: dict[str, Any] = {"BudgetName": "aifinops-search", "BudgetType": "COST", "TimeUnit": "MONTHLY"}
    if limit is not None:
        doc["BudgetLimit"] = {"Amount": limit, "Unit": unit}
    if actual is not None:
        doc["CalculatedSpend"] = {"ActualSpend": {"Amount": actual, "Unit": actual_unit}}
    return doc


@pytest.mark.parametrize(("actual", "percent", "confirmed"), [
    ("20512.34", 100, True),
    ("20000.0", 100, True),  # exactly at the threshold
    ("19999.99", 100, False),  # below: no action
    ("0", 100, False),
    ("16000", 80, True),
    ("15999.99", 80, False),
    ("30000", 150, True),
])
def test_threshold(actual: str, percent: int, confirmed: bool) -> None:
    result = evaluate_budget(budget(actual), Decimal(percent))
    assert result.confirmed is confirmed
    assert result.to_dict()["actualSpend"] == actual and result.to_dict()["budgetLimit"] == "20000.0"


@pytest.mark.parametrize(("doc", "reason"), [
    (budget("25000", limit=None), "no fixed BudgetLimit"),
    (budget("25000", limit="0"), "limit is zero"),
    (budget(None), "no actual spend"),
    (budget("25000", actual_unit="EUR"), "actual spend in EUR, limit in USD"),
    (budget("not-a-number"), "no actual spend"),
])
def test_nothing_to_compare_is_never_confirmed(doc: dict[str, Any], reason: str) -> None:
    result = evaluate_budget(doc, Decimal(100))
    assert not result.confirmed and reason in result.reason


def test_confirm_spend_asks_describe_budget() -> None:
    clients = StubbedClients()
    budgets = clients.client("budgets", "us-east-1")
    stub = clients.stub("budgets")
    stub.add_response("describe_budget", {"Budget": budget("20512.34")},
                      {"AccountId": ACCOUNT, "BudgetName": "aifinops-search"})
    stub.add_client_error("describe_budget", "NotFoundException", "Unable to get budget: aifinops-gone",
                          expected_params={"AccountId": ACCOUNT, "BudgetName": "aifinops-gone"})
    assert confirm_spend(budgets, ACCOUNT, "aifinops-search", Decimal(100)).confirmed
    missing = confirm_spend(budgets, ACCOUNT, "aifinops-gone", Decimal(100))
    assert not missing.confirmed and "not found" in missing.reason
    clients.verify()
