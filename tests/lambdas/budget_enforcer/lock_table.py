"""The enforcer's lock table in a moto server, shaped as the `BudgetEnforcer` construct creates it (the key and
the name are the construct's; tests/infra/test_team_budgets_stack.py pins the template's table to the same)."""

from __future__ import annotations

from typing import Any

from aifinops.lambdas.budget_enforcer.lock import KEY
from aifinops.policies.budget_policy import LOCK_TABLE


def create_lock_table(dynamodb: Any, table: str = LOCK_TABLE) -> None:
    dynamodb.create_table(TableName=table, KeySchema=[{"AttributeName": KEY, "KeyType": "HASH"}],
                          AttributeDefinitions=[{"AttributeName": KEY, "AttributeType": "S"}],
                          BillingMode="PAY_PER_REQUEST")
