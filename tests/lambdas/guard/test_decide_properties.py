"""Properties of decide (issue 6): compliant busy and exempt resources are never acted on, every untagged
violator is acted on once its deadline passed, acting and deciding again changes nothing, and notify-only
environments (production by default) never stop anything."""

from __future__ import annotations

import dataclasses
from datetime import UTC, date, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from aifinops.lambdas.guard.decide import decide, environment_of, format_utc
from aifinops.lambdas.guard.model import Action, Decision, Kind, Reason, Resource, Signal, Signals
from aifinops.lambdas.guard.policy import GuardPolicy
from tests.lambdas.guard.factories import BUSY, DEV, PROD, STAGING, TAGS, UNKNOWN_ACCOUNT, reference_policy

BASE = reference_policy()
REQUIRED = BASE.required_tags

policies = st.builds(
    lambda grace, no_signal: dataclasses.replace(BASE, grace_minutes=grace, no_signal=no_signal),
    st.integers(0, 10_080), st.sampled_from(["notify", "ignore"]))
moments = st.datetimes(datetime(2026, 1, 1), datetime(2030, 1, 1), timezones=st.just(UTC))
kinds = st.sampled_from(list(Kind))
accounts = st.sampled_from([DEV, STAGING, PROD, UNKNOWN_ACCOUNT])
environment_tags = st.sampled_from([None, "dev", "staging", "prod", "nonsense", ""])
ages = st.one_of(st.none(), st.timedeltas(timedelta(0), timedelta(days=40)))
values = st.one_of(st.floats(0, 100), st.floats(0, 1e7), st.just(0.0))
signal_sets = st.builds(Signals, st.dictionaries(st.sampled_from(list(Signal)), values), st.booleans())


@st.composite
def tag_sets(draw: st.DrawFn, now: datetime, policy: GuardPolicy) -> dict[str, str]:
    """Required tags present, blank or missing; perhaps guard marks and an exemption of any quality."""
    tags: dict[str, str] = {}
    for key in REQUIRED:
        choice = draw(st.sampled_from(["ok", "ok", "blank", "missing"]))
        if choice != "missing":
            tags[key] = TAGS[key] if choice == "ok" else " "
    env = draw(environment_tags)
    if env is not None:
        tags["environment"] = env
    if draw(st.booleans()):
        tags[policy.violation_tag] = "untagged"
    stop_after = draw(st.one_of(
        st.none(), st.just("garbage"),
        st.builds(lambda d: format_utc(now + d), st.timedeltas(timedelta(days=-30), timedelta(days=30)))))
    if stop_after is not None:
        tags[policy.stop_after_tag] = stop_after
    exempt = draw(st.one_of(st.none(), st.just("bad"),
                            st.builds(lambda d: (now.date() + timedelta(days=d)).isoformat(), st.integers(-5, 60))))
    if exempt is not None:
        tags[policy.exempt_until_tag] = exempt
    return tags


@st.composite
def cases(draw: st.DrawFn) -> tuple[Resource, Signals, GuardPolicy, datetime]:
    policy, now = draw(policies), draw(moments)
    age = draw(ages)
    r = Resource(kind=draw(kinds), id="r-1", arn="arn:r-1", account=draw(accounts), region="us-east-1",
                 instance_type=draw(st.sampled_from(["g5.xlarge", "ml.g5.xlarge", "p5.48xlarge", "x1.big"])),
                 instance_count=draw(st.integers(1, 4)), launched_at=None if age is None else now - age,
                 tags=draw(tag_sets(now, policy)))
    return r, draw(signal_sets), policy, now


def acted(decision: Decision, policy: GuardPolicy) -> Resource | None:
    """The resource as the next scan's inventory returns it: marks written or removed; gone once stopped
    (the inventory lists running resources only); unchanged by a notification."""
    r = decision.resource
    if decision.action is Action.STOP:
        return None
    if decision.action is Action.MARK:
        assert decision.stop_after is not None
        marks = {policy.violation_tag: ",".join(decision.reasons),
                 policy.stop_after_tag: format_utc(decision.stop_after)}
        return dataclasses.replace(r, tags={**r.tags, **marks})
    if decision.action is Action.UNMARK:
        return dataclasses.replace(r, tags={k: v for k, v in r.tags.items()
                                            if k not in (policy.violation_tag, policy.stop_after_tag)})
    return r


@settings(max_examples=300)
@given(cases())
def test_acting_then_deciding_again_changes_nothing(case: tuple[Resource, Signals, GuardPolicy, datetime]) -> None:
    r, signals, policy, now = case
    first = decide(r, signals, policy, now)
    after = acted(first, policy)
    if after is None:
        return  # stopped: no longer in the inventory, so there is nothing left to decide on
    second = decide(after, signals, policy, now)
    if first.action in (Action.NONE, Action.NOTIFY):
        assert second == first
    else:
        assert second.action in (Action.NONE, Action.NOTIFY), (first, second)
        assert set(second.reasons) <= {*first.reasons, Reason.COMPLIANT}
        assert acted(second, policy) == after


@settings(max_examples=200)
@given(cases())
def test_a_valid_exemption_is_never_acted_on(case: tuple[Resource, Signals, GuardPolicy, datetime]) -> None:
    r, signals, policy, now = case
    until = now.date() + timedelta(days=now.microsecond % (policy.exemption_max_days + 1))
    r = dataclasses.replace(r, tags={**r.tags, policy.exempt_until_tag: until.isoformat()})
    d = decide(r, signals, policy, now)
    assert (d.action, d.reasons) == (Action.NONE, (Reason.EXEMPT,))


def modes(r: Resource, policy: GuardPolicy) -> set[str]:
    """The guard modes that may apply to `r`: its environment's, and its account's when the tag says otherwise."""
    named = {environment_of(r, policy), policy.accounts.get(r.account)} - {None}
    return {policy.environments[n].mode for n in named if n is not None} or {"notify"}


@settings(max_examples=200)
@given(policies, moments, kinds, st.sampled_from([(DEV, "dev"), (STAGING, "staging"), (PROD, "prod"),
                                                  (UNKNOWN_ACCOUNT, "dev"), (UNKNOWN_ACCOUNT, "prod")]),
       st.timedeltas(timedelta(minutes=120), timedelta(hours=8)))
def test_a_compliant_busy_resource_is_never_acted_on(policy: GuardPolicy, now: datetime, kind: Kind,
                                                     placed: tuple[str, str], age: timedelta) -> None:
    """Compliant: every required tag set, the environment tag agreeing with the account's environment."""
    account, env = placed
    r = Resource(kind=kind, id="r-1", arn="arn:r-1", account=account, region="us-east-1", instance_type="g5.xlarge",
                 instance_count=1, launched_at=now - age, tags={**TAGS, "environment": env})
    d = decide(r, BUSY, policy, now)
    assert (d.action, d.reasons) == (Action.NONE, (Reason.COMPLIANT,))


@settings(max_examples=200)
@given(cases(), st.sampled_from(REQUIRED), st.timedeltas(timedelta(seconds=1), timedelta(days=30)))
def test_every_untagged_violator_is_acted_on_once_its_deadline_passed(
        case: tuple[Resource, Signals, GuardPolicy, datetime], key: str, late: timedelta) -> None:
    r, signals, policy, now = case
    tags = {k: v for k, v in r.tags.items() if k not in (key, policy.exempt_until_tag, policy.stop_after_tag)}
    r = dataclasses.replace(r, tags=tags)
    marked = decide(r, signals, policy, now)
    if marked.action is Action.STOP:  # stopped at once for another reason (idle, run time)
        return
    assert marked.action is Action.MARK and marked.stop_after is not None
    after = acted(marked, policy)
    assert after is not None
    later = decide(after, signals, policy, marked.stop_after + late)
    stop_mode = modes(after, policy) == {"stop"} and environment_of(after, policy) is not None
    assert later.action is (Action.STOP if stop_mode else Action.NOTIFY)
    assert Reason.UNTAGGED in later.reasons


@settings(max_examples=300)
@given(cases())
def test_notify_only_environments_never_stop(case: tuple[Resource, Signals, GuardPolicy, datetime]) -> None:
    r, signals, policy, now = case
    env = environment_of(r, policy)
    d = decide(r, signals, policy, now)
    if env is None or "notify" in modes(r, policy):
        assert d.action is not Action.STOP
    if "prod" in (env, policy.accounts.get(r.account)):  # production (tag or account): notify unless configured
        assert policy.environments["prod"].production and d.action is not Action.STOP


@settings(max_examples=200)
@given(cases())
def test_an_environment_tag_other_than_the_accounts_is_reported(
        case: tuple[Resource, Signals, GuardPolicy, datetime]) -> None:
    r, signals, policy, now = case
    tagged, home = environment_of(r, policy), policy.accounts.get(r.account)
    d = decide(r, signals, policy, now)
    other = tagged is not None and home is not None and r.account not in policy.environments[tagged].accounts
    if Reason.EXEMPT not in d.reasons:
        assert (Reason.ENVIRONMENT_MISMATCH in d.reasons) == other


@settings(max_examples=100)
@given(cases())
def test_decisions_are_deterministic_and_carry_the_cost(case: tuple[Resource, Signals, GuardPolicy, datetime]) -> None:
    r, signals, policy, now = case
    d = decide(r, signals, policy, now)
    assert d == decide(r, signals, policy, now)
    price = policy.price(r.instance_type)
    assert d.hourly_usd == (None if price is None else round(price.usd * r.instance_count, 4))
    assert d.reasons and (d.stop_after is not None) == (d.action is Action.MARK)


def test_today_counts_as_a_valid_exemption_day() -> None:
    now = datetime(2026, 5, 1, 23, 59, tzinfo=UTC)
    r = Resource(kind=Kind.EC2_INSTANCE, id="i", arn="a", account=DEV, region="us-east-1", instance_type="g5.xlarge",
                 instance_count=1, launched_at=None, tags={BASE.exempt_until_tag: date(2026, 5, 1).isoformat()})
    assert decide(r, Signals(), BASE, now).reasons == (Reason.EXEMPT,)
