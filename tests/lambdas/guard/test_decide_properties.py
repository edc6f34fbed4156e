"""Properties of decide (issues 6 and 11): compliant busy and exempt resources are never acted on; any exemption
string (random text, dates, date-times, offsets) never leads to a stop or a mark of a resource its owner meant to
exempt; every untagged violator is acted on once its deadline passed, and with grace 0 exactly the violators are
stopped at once; acting and deciding again changes nothing; notify-only environments (production by default) and
instances a manager keeps running are never stopped."""

from __future__ import annotations

import dataclasses
from datetime import UTC, date, datetime, timedelta, timezone

from hypothesis import given, settings
from hypothesis import strategies as st

from aifinops.lambdas.guard.decide import decide, environment_of, format_utc
from aifinops.lambdas.guard.exemption import parse_exemption
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
environment_tags = st.sampled_from([None, "dev", "staging", "prod", "nonsense", "", "Dev"])
offsets = st.one_of(st.just("Z"), st.just(""), st.builds(lambda sign, h, m: f"{sign}{h:02d}:{m:02d}",
                                                         st.sampled_from("+-"), st.integers(0, 23),
                                                         st.sampled_from([0, 30, 45])))


def exemption_values(now: datetime) -> st.SearchStrategy[str]:
    """Anything an owner might write: dates and date-times around now (any offset, Z, none, odd case and spacing,
    basic format), far dates, and random text."""
    days = st.integers(-40, 400)
    dates = st.builds(lambda d: (now.date() + timedelta(days=d)).isoformat(), days)
    basic = st.builds(lambda d: (now.date() + timedelta(days=d)).strftime("%Y%m%d"), days)
    times = st.builds(lambda d, sep, off: (now + d).strftime(f"%Y-%m-%d{sep}%H:%M:%S") + off,
                      st.timedeltas(timedelta(days=-40), timedelta(days=400)), st.sampled_from(["T", "t", " "]),
                      offsets)
    spaced = st.builds(lambda v, pad: f"{pad}{v}{pad}", st.one_of(dates, times), st.sampled_from(["", " ", "  "]))
    return st.one_of(dates, basic, times, spaced, st.text(max_size=40), st.just("9999-12-31"), st.just(""))
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
    exempt = draw(st.one_of(st.none(), exemption_values(now)))
    if exempt is not None:
        tags[policy.exempt_until_tag] = exempt
    if draw(st.integers(0, 9)) == 0:
        tags[draw(st.sampled_from(["aifinops:Exempt-Until", "aifinops_stop_after", "AIFINOPS:VIOLATION"]))] = "x"
    if draw(st.integers(0, 9)) == 0:
        tags[draw(st.sampled_from(["aws:autoscaling:groupName", "eks:nodegroup-name", "karpenter.sh/nodepool"]))] = "m"
    return tags


@st.composite
def cases(draw: st.DrawFn) -> tuple[Resource, Signals, GuardPolicy, datetime]:
    policy, now = draw(policies), draw(moments)
    age = draw(ages)
    r = Resource(kind=draw(kinds), id="r-1", arn="arn:r-1", account=draw(accounts), region="us-east-1",
                 instance_type=draw(st.sampled_from(["g5.xlarge", "ml.g5.xlarge", "p5.48xlarge", "x1.big",
                                                     "p3.2xlarge", "ml.p3.2xlarge"])),
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
@given(cases(), st.data())
def test_a_valid_exemption_is_never_acted_on(case: tuple[Resource, Signals, GuardPolicy, datetime],
                                             data: st.DataObject) -> None:
    r, signals, policy, now = case
    ahead = data.draw(st.timedeltas(timedelta(seconds=1), timedelta(days=policy.exemption_max_days)))
    form = data.draw(st.sampled_from(["date", "Z", "offset"]))
    until = now + ahead
    value = {"date": until.date().isoformat(), "Z": format_utc(until),
             "offset": until.astimezone(timezone(timedelta(hours=-7))).isoformat()}[form]
    r = dataclasses.replace(r, tags={**r.tags, policy.exempt_until_tag: value})
    d = decide(r, signals, policy, now)
    assert (d.action, d.reasons) == (Action.NONE, (Reason.EXEMPT,))


@settings(max_examples=500)
@given(cases(), st.data())
def test_any_exemption_string_never_stops_or_marks_what_its_owner_meant_to_exempt(
        case: tuple[Resource, Signals, GuardPolicy, datetime], data: st.DataObject) -> None:
    """Whatever the value, unless it names a moment already past, the resource is neither stopped nor marked:
    a valid exemption is honoured, a broken or too distant one is notified."""
    r, signals, policy, now = case
    value = data.draw(exemption_values(now))
    r = dataclasses.replace(r, tags={**r.tags, policy.exempt_until_tag: value})
    d = decide(r, signals, policy, now)
    until = parse_exemption(value)
    if until is None or until > now:
        assert d.action not in (Action.STOP, Action.MARK), (value, d)
        assert d.reasons == (Reason.EXEMPT,) or Reason.BAD_EXEMPTION in d.reasons


def modes(r: Resource, policy: GuardPolicy) -> set[str]:
    """The guard modes that may apply to `r`: its environment's, and its account's when the tag says otherwise;
    notify-only when the tag names no configured environment."""
    tag = r.tags.get(policy.environment_tag, "").strip()
    if tag and tag not in policy.environments:
        return {"notify"}
    named = {environment_of(r, policy), policy.accounts.get(r.account)} - {None}
    return {policy.environments[n].mode for n in named if n is not None} or {"notify"}


def capped(r: Resource, policy: GuardPolicy) -> bool:
    """Never stopped or marked: a near miss of the exemption key, a manager's instance."""
    def bare(key: str) -> str:
        return "".join(c for c in key.lower() if c.isalnum())

    lookalikes = {bare(k) for k in r.tags if k not in policy.guard_tag_keys}
    managed = r.kind is Kind.EC2_INSTANCE and bool(r.tags.get("aws:autoscaling:groupName", "").strip())  # AWS's proof
    exempt = bare(policy.exempt_until_tag)
    return managed or exempt in lookalikes or exempt.removeprefix("aifinops") in lookalikes


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
    if marked.action is Action.STOP:  # stopped at once (grace 0, or idle, run time, a forbidden type)
        return
    if capped(r, policy):
        assert marked.action is Action.NOTIFY
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
    if env is None or "notify" in modes(r, policy) or capped(r, policy):
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
def test_decisions_are_deterministic(case: tuple[Resource, Signals, GuardPolicy, datetime]) -> None:
    r, signals, policy, now = case
    d = decide(r, signals, policy, now)
    assert d == decide(r, signals, policy, now)
    assert d.reasons and (d.action is not Action.MARK or d.stop_after is not None)
    assert d.stop_after is None or d.action in (Action.MARK, Action.STOP)


@settings(max_examples=300)
@given(moments, kinds, st.sampled_from([(DEV, "dev"), (STAGING, "staging")]),
       st.lists(st.sampled_from(["ok", "blank", "missing"]), min_size=len(REQUIRED), max_size=len(REQUIRED)),
       st.booleans(), st.timedeltas(timedelta(minutes=121), timedelta(hours=7)))
def test_grace_0_stops_exactly_the_violators(now: datetime, kind: Kind, placed: tuple[str, str], choices: list[str],
                                             idle: bool, age: timedelta) -> None:
    """In a stop-mode environment with grace 0, one scan stops every untagged or idle resource and nothing else
    (an allowed type, a run time under the caps, no exemption, no manager)."""
    policy = dataclasses.replace(BASE, grace_minutes=0)
    account, env = placed
    tags = {k: (TAGS[k] if c == "ok" else " ") for k, c in zip(REQUIRED, choices, strict=True) if c != "missing"}
    if "environment" in tags and tags["environment"].strip():
        tags["environment"] = env
    r = Resource(kind=kind, id="r-1", arn="arn:r-1", account=account, region="us-east-1", instance_type="g5.xlarge",
                 instance_count=1, launched_at=now - age, tags=tags)
    signals = Signals({Signal.GPU: 1.0, Signal.CPU: 1.0, Signal.NETWORK: 10.0} if idle else BUSY.maximum, covered=True)
    d = decide(r, signals, policy, now)
    untagged = any(c != "ok" for c in choices)
    violator = untagged or (idle and kind in (Kind.EC2_INSTANCE, Kind.ENDPOINT))
    assert (d.action is Action.STOP) == violator, d
    assert (Reason.UNTAGGED in d.reasons) == untagged


def test_today_counts_as_a_valid_exemption_day() -> None:
    now = datetime(2026, 5, 1, 23, 59, tzinfo=UTC)
    r = Resource(kind=Kind.EC2_INSTANCE, id="i", arn="a", account=DEV, region="us-east-1", instance_type="g5.xlarge",
                 instance_count=1, launched_at=None, tags={BASE.exempt_until_tag: date(2026, 5, 1).isoformat()})
    assert decide(r, Signals(), BASE, now).reasons == (Reason.EXEMPT,)
