"""The spend collector against an independent model of Cost Explorer (fake_ce): a seeded month gives hand-computed
metric values; Cost Explorer requests are counted and bounded; a failing query is reported and the rest go on."""

from __future__ import annotations

import dataclasses
from datetime import UTC, date, datetime
from typing import Any

import pytest

from aifinops.lambdas.inform import metrics as m
from aifinops.lambdas.inform.ce import CostExplorer
from aifinops.lambdas.inform.collect import collect, month_bounds
from aifinops.lambdas.inform.policy import InformPolicy, OutcomePolicy, parse_policy
from aifinops.policies.inform_policy import inform_policy_json
from tests.lambdas.inform.fake_ce import FakeCostExplorer, Item

NOW = datetime(2026, 11, 18, 7, 30, tzinfo=UTC)
BEDROCK, SAGEMAKER, EC2 = "Amazon Bedrock", "Amazon SageMaker", "Amazon Elastic Compute Cloud - Compute"
CLAUDE = "Claude Sonnet 4.5 (Amazon Bedrock Edition)"


def _tags(team: str = "", project: str = "", model: str = "", environment: str = "") -> dict[str, str]:
    return {k: v for k, v in {"team": team, "project": project, "model": model, "environment": environment}.items()
            if v}


HAIKU, NOVA, SONNET = "anthropic.claude-haiku-4-5", "amazon.nova-lite-v1:0", "anthropic.claude-sonnet-4-5"
ITEMS = [
    # October: the previous month
    Item(date(2026, 10, 7), BEDROCK, 1000.0, _tags("search", "ranker", HAIKU, "dev")),
    Item(date(2026, 10, 9), SAGEMAKER, 500.0, _tags("vision", "defect-detect", "none", "dev")),
    Item(date(2026, 10, 9), BEDROCK, 200.0),  # untagged AI
    Item(date(2026, 10, 9), EC2, 999.0),  # untagged, not AI: nobody's AI spend
    # November 1-17: month to date (the 18th is today, not collected)
    Item(date(2026, 11, 3), BEDROCK, 300.0, _tags("search", "ranker", HAIKU, "dev")),
    Item(date(2026, 11, 10), BEDROCK, 100.0, _tags("search", "query-rewrite", NOVA, "dev")),
    Item(date(2026, 11, 17), BEDROCK, 50.0, _tags("search", "ranker", HAIKU, "prod")),
    Item(date(2026, 11, 5), SAGEMAKER, 400.0, _tags("vision", "captioning", SONNET, "staging")),
    Item(date(2026, 11, 17), SAGEMAKER, 10.0, _tags("vision", "captioning", SONNET, "staging")),
    Item(date(2026, 11, 12), BEDROCK, 25.0, _tags("research")),  # team tag only
    Item(date(2026, 11, 2), CLAUDE, 70.0),  # untagged marketplace model on Bedrock
    Item(date(2026, 11, 4), SAGEMAKER, 30.0),  # untagged AI
    Item(date(2026, 11, 4), EC2, 999.0),  # not AI
    Item(date(2026, 11, 18), BEDROCK, 5000.0, _tags("search", "ranker", HAIKU, "dev")),  # today: not in
]


@pytest.fixture
def policy(config: Any) -> InformPolicy:
    outcome = OutcomePolicy(team="search", project="ranker", namespace="Search/Ranker", metric="QueriesServed",
                            dimensions={}, statistic="Sum", unit="query")
    return dataclasses.replace(parse_policy(inform_policy_json(config)), outcomes=(outcome,))


def _run(policy: InformPolicy, fake: FakeCostExplorer, bound: int = 60, outcomes: float = 70.0) -> Any:
    return collect(CostExplorer(fake, bound), policy, NOW, lambda o, start, end: outcomes)


def test_a_seeded_month_gives_the_hand_computed_metrics(policy: InformPolicy) -> None:
    fake = FakeCostExplorer(ITEMS, forecasts={"search": 1000.0, "*": 2000.0})
    found = _run(policy, fake)
    v = found.value
    assert v(m.SPEND_MTD, Team="search") == 450.0 and v(m.SPEND_MTD, Team="vision") == 410.0
    assert v(m.SPEND_MTD, Team="research") == 25.0 and v(m.SPEND_MTD, Team="assistant") == 0.0
    assert v(m.SPEND_MTD, Team="search", Project="ranker") == 350.0
    assert v(m.SPEND_MTD, Team="research", Project=m.UNTAGGED) == 25.0
    assert v(m.SPEND_MTD, Team="search", Model=HAIKU) == 350.0 and v(m.SPEND_MTD, Team="search", Model=NOVA) == 100.0
    assert v(m.SPEND_MTD, Team="search", Environment="prod") == 50.0
    assert v(m.UNTAGGED_MTD) == 100.0 and v(m.UNTAGGED_MTD, Service=CLAUDE) == 70.0
    assert v(m.UNTAGGED_MTD, Service=EC2) is None  # not an AI service
    assert v(m.SPEND_MTD) == 985.0  # 450 + 410 + 25 tagged, 100 untagged AI
    assert v(m.SPEND_PREVIOUS_MONTH, Team="search") == 1000.0 and v(m.SPEND_PREVIOUS_MONTH) == 1700.0
    assert v(m.SPEND_DAILY, Team="search") == 50.0 and v(m.SPEND_DAILY) == 60.0
    assert v(m.SPEND_FORECAST, Team="search") == 1450.0 and v(m.SPEND_FORECAST) == 2985.0
    assert v(m.BUDGET, Team="search") == 20000.0 and v(m.BUDGET_USED, Team="search") == 2.25
    assert v(m.BUDGET) == 150000.0
    assert v(m.OUTCOMES_MTD, Team="search", Project="ranker") == 70.0
    assert v(m.COST_PER_OUTCOME, Team="search", Project="ranker") == 5.0
    # 5 GetCostAndUsage, the total forecast and one a team; vision's forecast has too little history: skipped
    assert found.requests == 10 and v(m.CE_REQUESTS) == 10.0
    assert any("vision" in s and "DataUnavailable" in s for s in found.skipped) and not found.errors
    assert v(m.ERRORS) == 0.0


def test_every_point_is_a_published_metric_and_dimension_set(policy: InformPolicy) -> None:
    found = _run(policy, FakeCostExplorer(ITEMS, forecasts={"search": 1.0, "*": 1.0}))
    for point in found.points:
        assert tuple(k for k, _ in point.dimensions) in m.PUBLISHED[point.metric], point


def test_the_request_bound_is_never_passed_and_what_was_skipped_is_said(policy: InformPolicy) -> None:
    fake = FakeCostExplorer(ITEMS, page_size=2)  # many pages: the bound bites early
    found = _run(policy, fake, bound=8)
    assert len(fake.calls) == 8 == found.requests
    assert found.skipped and found.value(m.ERRORS) == float(found.bound_skips) > 0
    assert found.value(m.SPEND_MTD, Team="search") == 450.0  # the first query is complete: its pages all fit


def test_a_refused_query_is_reported_and_the_rest_are_still_published(policy: InformPolicy) -> None:
    fake = FakeCostExplorer(ITEMS, refuse={"GetCostAndUsage"}, forecasts={"*": 5.0})
    found = _run(policy, fake)
    assert len(found.errors) == 5 and all("AccessDeniedException" in e["error"] for e in found.errors)
    assert found.value(m.BUDGET, Team="search") == 20000.0  # from the policy, published anyway
    assert found.value(m.ERRORS) == 5.0


def test_on_the_first_of_the_month_there_is_no_forecast_and_month_to_date_is_zero(policy: InformPolicy) -> None:
    fake = FakeCostExplorer(ITEMS, forecasts={"*": 1.0})
    found = collect(CostExplorer(fake, 60), policy, datetime(2026, 11, 1, 7, tzinfo=UTC), None)
    assert found.value(m.SPEND_MTD) == 0.0 and found.value(m.SPEND_PREVIOUS_MONTH, Team="search") == 1000.0
    assert not [c for c in fake.calls if c[0] == "GetCostForecast"]


def test_month_bounds_across_a_year() -> None:
    assert month_bounds(date(2027, 1, 15)) == (date(2026, 12, 1), date(2027, 1, 1), date(2027, 2, 1))
    assert month_bounds(date(2026, 3, 31)) == (date(2026, 2, 1), date(2026, 3, 1), date(2026, 4, 1))


@pytest.mark.parametrize(("tag", "published"), [
    ("équipe", "\\xe9quipe"), ("team\tx", "team\\tx"), ("   ", m.UNTAGGED), ("x" * 2000, "x" * 1024)])
def test_odd_tag_values_become_dimension_values_cloudwatch_accepts(policy: InformPolicy, tag: str,
                                                                    published: str) -> None:
    """Printable ASCII, not blank, at most 1,024 characters: one such tag must not make PutMetricData refuse the
    whole batch."""
    items = [Item(date(2026, 11, 3), BEDROCK, 10.0, _tags("search", tag, HAIKU, "dev"))]
    found = _run(policy, FakeCostExplorer(items, forecasts={"*": 1.0}))
    assert found.value(m.SPEND_MTD, Team="search", Project=published) == 10.0
    assert all(" " <= c <= "~" for p in found.points for _, v in p.dimensions for c in v)
