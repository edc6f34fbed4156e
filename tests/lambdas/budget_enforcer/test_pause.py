"""Which notifications lead to a pause (botocore Stubber: no unexpected AWS call is possible)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from aifinops.config import FinOpsConfig
from aifinops.lambdas.budget_enforcer.pause import pause_for_event
from aifinops.lambdas.budget_enforcer.policy import Policy, parse_policy
from aifinops.policies.budget_policy import enforcer_policy_json
from tests.lambdas.budget_enforcer.notifications import budget_event, sns_event
from tests.lambdas.budget_enforcer.stubs import ACCOUNT, REGION, StubbedClients

NOW = datetime(2026, 11, 27, 1, 2, tzinfo=UTC)


@pytest.fixture(scope="module")
def policy(config: FinOpsConfig) -> Policy:
    return parse_policy(enforcer_policy_json(config))


@pytest.mark.parametrize(("event", "reason"), [
    (budget_event("aifinops-assistant"), "critical team: automatic pause is off"),
    (budget_event("someone-elses-budget"), "not a budget of this deployment"),
    (sns_event("Your stack update completed."), "no budget name"),
    ({"Records": []}, "not an SNS event"),
])
def test_ignored_without_any_aws_call(policy: Policy, event: dict[str, object], reason: str) -> None:
    clients = StubbedClients()
    summary = pause_for_event(event, policy=policy, clients=clients, home_region=REGION, now=NOW)
    clients.verify()
    assert [t["outcome"] for t in summary.triggers] == ["ignored"] and reason in summary.triggers[0]["reason"]
    assert summary.decisions == []


def test_a_budgets_api_error_pauses_nothing_and_is_reported(policy: Policy) -> None:
    clients = StubbedClients()
    clients.stub("sts").add_response("get_caller_identity", {"Account": ACCOUNT, "UserId": "x",
                                                             "Arn": f"arn:aws:iam::{ACCOUNT}:role/x"}, {})
    clients.stub("budgets").add_client_error("describe_budget", "AccessDeniedException", "not allowed",
                                             expected_params={"AccountId": ACCOUNT, "BudgetName": "aifinops-search"})
    summary = pause_for_event(budget_event("aifinops-search"), policy=policy, clients=clients, home_region=REGION,
                              now=NOW)
    clients.verify()
    assert summary.triggers[0]["reason"] == "budget could not be confirmed (API error)"
    assert [e["code"] for e in summary.errors] == ["AccessDeniedException"] and summary.decisions == []
