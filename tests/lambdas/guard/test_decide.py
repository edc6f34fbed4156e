"""decide: one test per rule, in each mode."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta

import pytest

from aifinops.lambdas.guard.decide import decide, environment_of, format_utc, needs_signals, parse_utc
from aifinops.lambdas.guard.model import Action, Kind, Reason, Signal, Signals
from tests.lambdas.guard.factories import (
    BUSY,
    DEV,
    IDLE_CPU,
    IDLE_GPU,
    NOW,
    PROD,
    STAGING,
    TAGS,
    UNKNOWN_ACCOUNT,
    reference_policy,
    resource,
)

POLICY = reference_policy()
STOP_AFTER, VIOLATION, EXEMPT = POLICY.stop_after_tag, POLICY.violation_tag, POLICY.exempt_until_tag
UNTAGGED = {k: v for k, v in TAGS.items() if k != "team"}


def test_compliant_busy_resource_is_left_alone() -> None:
    d = decide(resource(), BUSY, POLICY, NOW)
    assert (d.action, d.reasons, d.environment) == (Action.NONE, (Reason.COMPLIANT,), "dev")
    assert d.hourly_usd is None and d.price_source == ""  # priced by the scan (pricing.py), not here


def test_naive_now_is_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        decide(resource(), BUSY, POLICY, NOW.replace(tzinfo=None))


ACCOUNT_OF = {"dev": DEV, "staging": STAGING, "prod": PROD}

# --- environment -----------------------------------------------------------------------------------------

@pytest.mark.parametrize(("account", "tag", "expected"), [
    (DEV, "dev", "dev"), (DEV, "prod", "prod"), (PROD, "nonsense", "prod"), (PROD, "", "prod"),
    (UNKNOWN_ACCOUNT, "staging", "staging"), (UNKNOWN_ACCOUNT, "nonsense", None),
])
def test_environment_from_tag_else_account(account: str, tag: str, expected: str | None) -> None:
    assert environment_of(resource(account=account, env=tag), POLICY) == expected


@pytest.mark.parametrize(("account", "tag", "home"), [(DEV, "prod", "dev"), (PROD, "dev", "prod")])
def test_a_tag_naming_another_environment_is_reported_and_the_cautious_mode_applies(account: str, tag: str,
                                                                                   home: str) -> None:
    """Relabelling a dev instance `prod` buys no silence; a production instance mislabelled `dev` is never stopped."""
    d = decide(resource(account=account, env=tag), IDLE_GPU, POLICY, NOW)
    assert (d.action, d.reasons, d.environment) == (Action.NOTIFY, (Reason.ENVIRONMENT_MISMATCH, Reason.IDLE), tag)
    assert f"environment={tag} in an account of {home}" in d.detail


@pytest.mark.parametrize("tag", ["nonsense", "Dev", "development", "prod "[:-1] + "uction"])
def test_an_environment_tag_naming_no_environment_is_reported_and_notify_only(tag: str) -> None:
    """The account's environment applies (its allowed types, its training cap), but never its stop mode: a typo
    is reported, not punished."""
    d = decide(resource(account=DEV, env=tag), IDLE_GPU, POLICY, NOW)
    assert (d.action, d.reasons, d.environment) == (Action.NOTIFY, (Reason.ENVIRONMENT_UNKNOWN, Reason.IDLE), "dev")
    assert f"{tag!r}, not a configured environment" in d.detail
    d = decide(resource(account=UNKNOWN_ACCOUNT, env=tag), IDLE_GPU, POLICY, NOW)
    assert (d.action, d.environment) == (Action.NOTIFY, None)


# --- exemptions -------------------------------------------------------------------------------------------

@pytest.mark.parametrize("until", [
    "2026-11-27", "2026-12-27", " 2026-12-01 ", "2026-11-27T18:00:00Z", "2026-12-27T23:59:59Z",
    "2026-11-28T00:00:00+05:00", "2026-11-27T13:00:00-03:00", "20261128", "20261128T120000Z", "2026-11-28t10:00z",
    "2026-11-28 10:00:00Z", "2026-11-28T10:00:00.250+01:00", "2026-11-28T10:00",
])
def test_valid_exemption_wins_over_everything(until: str) -> None:
    """ISO 8601 dates and date-times with any offset or Z; a date runs to the end of that day (UTC), a date-time
    without an offset is read as UTC."""
    r = resource(tags={EXEMPT: until, STOP_AFTER: "2026-01-01T00:00:00Z"})  # untagged, past its deadline
    d = decide(r, IDLE_GPU, POLICY, NOW)
    assert (d.action, d.reasons) == (Action.NONE, (Reason.EXEMPT,))
    assert "exempt until" in d.detail


@pytest.mark.parametrize(("until", "why"), [
    ("2026-12-28", "more than 30 days ahead"), ("2026-12-28T00:00:01Z", "more than 30 days ahead"),
    ("9999-12-31", "more than 30 days ahead"), ("9999-12-31T23:59:59-12:00", "more than 30 days ahead"),
    ("tomorrow", "not an ISO 8601"), ("2026-13-01", "not an ISO 8601"),
    ("31/12/2026", "not an ISO 8601"), ("2026-11-28T25:00:00Z", "not an ISO 8601"), ("", "not an ISO 8601"),
    ("2026-11-28T10:00:00+25:00", "not an ISO 8601"), ("x" * 300, "not an ISO 8601"),
    ("2026-W49", "not an ISO 8601"), ("2026-W49-3", "not an ISO 8601"),  # a week is a span: its end is a guess
])
def test_bad_exemption_is_reported_and_never_stopped(until: str, why: str) -> None:
    """The owner meant to exempt it: an unparseable or too distant value is notified, never stopped or marked,
    whatever else is wrong (idle, untagged past its deadline, a forbidden type)."""
    d = decide(resource(tags={**TAGS, EXEMPT: until}), BUSY, POLICY, NOW)
    assert (d.action, d.reasons) == (Action.NOTIFY, (Reason.BAD_EXEMPTION,))
    assert why in d.detail and "notified, not stopped" in d.detail
    d = decide(resource(tags={**TAGS, EXEMPT: until}), IDLE_GPU, POLICY, NOW)
    assert (d.action, d.reasons) == (Action.NOTIFY, (Reason.BAD_EXEMPTION, Reason.IDLE))
    d = decide(resource(tags={EXEMPT: until, STOP_AFTER: "2026-01-01T00:00:00Z"}, instance_type="p5.48xlarge"),
               IDLE_GPU, POLICY, NOW)
    assert d.action is Action.NOTIFY and {Reason.UNTAGGED, Reason.ACCELERATOR_NOT_ALLOWED} <= set(d.reasons)


@pytest.mark.parametrize("until", ["2026-11-26", "2026-11-27T11:59:59Z", "2026-11-27T12:00:00Z",
                                   "2026-11-27T14:00:00+02:00"])
def test_expired_exemption_is_simply_gone(until: str) -> None:
    d = decide(resource(tags={**TAGS, EXEMPT: until}), BUSY, POLICY, NOW)
    assert (d.action, d.reasons) == (Action.NONE, (Reason.COMPLIANT,))


@pytest.mark.parametrize(("until", "ends"), [
    # a date with a zone designator (the XML Schema date form) runs to the end of that day in that zone
    ("2026-11-27+05:00", "2026-11-27T19:00:00Z"), ("2026-11-27-08:00", "2026-11-28T08:00:00Z"),
    ("2026-11-27Z", "2026-11-28T00:00:00Z"), ("20261127+0530", "2026-11-27T18:30:00Z"),
    # 24:00 ends its day; a leap second is the second after 23:59:59
    ("2026-11-27T24:00:00Z", "2026-11-28T00:00:00Z"), ("2026-11-27T24:00+01:00", "2026-11-27T23:00:00Z"),
    ("2026-11-27T23:59:60Z", "2026-11-28T00:00:00Z"), ("20261127T235960Z", "2026-11-28T00:00:00Z"),
])
def test_a_date_with_an_offset_24_00_and_a_leap_second_are_read_as_their_owner_meant(until: str, ends: str) -> None:
    """`2026-11-27+05:00` read as the midnight opening the 27th (+05:00) had expired at 12:00Z that day: a false
    stop."""
    d = decide(resource(tags={**TAGS, EXEMPT: until}), IDLE_GPU, POLICY, NOW)
    assert (d.action, d.reasons, d.detail) == (Action.NONE, (Reason.EXEMPT,), f"exempt until {ends}")


@pytest.mark.parametrize("until", ["0001-01-01T00:00:00+01:00", "0001-01-01", "2026-11-27T11:00:00-00:30"])
def test_an_exemption_long_past_in_any_spelling_has_expired(until: str) -> None:
    d = decide(resource(tags={**TAGS, EXEMPT: until}), IDLE_GPU, POLICY, NOW)
    assert (d.action, d.reasons) == (Action.STOP, (Reason.IDLE,)) and "has expired" in d.detail


@pytest.mark.parametrize("key", ["aifinops:Exempt-Until", "AIFINOPS:EXEMPT-UNTIL", "aifinops_exempt_until",
                                 "aifinops:exempt_until", " aifinops:exempt-until", "aifinops-exemptUntil",
                                 "user:aifinops:exempt-until", "aws:aifinops:exempt-until", "aifinops:exempt-until-utc",
                                 "aifinops:exempted-until", "aifinops:exemption-until"])
def test_a_near_miss_of_the_exemption_key_is_reported_and_never_stopped(key: str) -> None:
    d = decide(resource(tags={**TAGS, key: "2026-12-01"}), IDLE_GPU, POLICY, NOW)
    assert (d.action, d.reasons) == (Action.NOTIFY, (Reason.NEAR_MISS_TAG, Reason.IDLE))
    assert f"'{key}' looks like 'aifinops:" in d.detail
    untagged = decide(resource(tags={key: "2026-12-01"}), BUSY, POLICY, NOW)
    assert untagged.action is Action.NOTIFY and Reason.UNTAGGED in untagged.reasons


@pytest.mark.parametrize("key", ["aifinops:Stop-After", "Aifinops:Violation", "aifinops:paused_by",
                                 "AIFINOPS:STOPPED-BY"])
def test_a_near_miss_of_a_key_the_guard_writes_is_reported_but_stops_nothing_less(key: str) -> None:
    """Not the owner's intent: a self-written `Aifinops:Violation` must not make a GPU unstoppable."""
    d = decide(resource(tags={**TAGS, key: "2026-12-01"}), IDLE_GPU, POLICY, NOW)
    assert d.action is Action.STOP and d.reasons == (Reason.NEAR_MISS_TAG, Reason.IDLE)
    assert f"'{key}' looks like 'aifinops:" in d.detail and "changes nothing" in d.detail


def test_exact_keys_and_unrelated_keys_are_no_near_miss() -> None:
    d = decide(resource(tags={**TAGS, "aifinops:exempted": "x", "violation": "x", "managed": "true", "critical": "x",
                              "Team": "x", "stop-after": "x", "backup:exempt-until": "2026-12-01"}), IDLE_GPU, POLICY,
               NOW)
    assert (d.action, d.reasons) == (Action.STOP, (Reason.IDLE,))


@pytest.mark.parametrize("key", ["exempt-until", "Exempt_Until", "exemptUntil"])
def test_the_exemption_key_without_its_prefix_is_a_near_miss(key: str) -> None:
    """Only the exemption: bare `violation` or `managed` keys are common for other purposes."""
    d = decide(resource(tags={**TAGS, key: "2026-12-01"}), IDLE_GPU, POLICY, NOW)
    assert (d.action, d.reasons) == (Action.NOTIFY, (Reason.NEAR_MISS_TAG, Reason.IDLE))


def test_a_near_miss_of_a_cost_tag_is_named_in_the_untagged_finding() -> None:
    tags = {**{k: v for k, v in TAGS.items() if k != "team"}, "Team": "search"}
    d = decide(resource(tags=tags), BUSY, POLICY, NOW)
    assert d.action is Action.MARK and "'Team' is not 'team'" in d.detail


# --- untagged ---------------------------------------------------------------------------------------------

def test_untagged_is_marked_with_the_grace_deadline() -> None:
    d = decide(resource(tags=UNTAGGED), BUSY, POLICY, NOW)
    assert (d.action, d.reasons, d.stop_after) == (Action.MARK, (Reason.UNTAGGED,), NOW + timedelta(minutes=60))
    assert "team" in d.detail and "2026-11-27T13:00:00Z" in d.detail
    assert d.tags_to_write == (VIOLATION, STOP_AFTER) and d.unwritable_tags == ()


GRACE_0 = dataclasses.replace(POLICY, grace_minutes=0)


@pytest.mark.parametrize("kind", list(Kind))
def test_grace_0_stops_in_the_scan_that_finds_it_with_the_marks(kind: Kind) -> None:
    d = decide(resource(kind, tags=UNTAGGED, age=timedelta(hours=3)), BUSY, GRACE_0, NOW)
    assert (d.action, d.reasons, d.stop_after) == (Action.STOP, (Reason.UNTAGGED,), NOW)
    expected = () if kind is Kind.ENDPOINT else (POLICY.stopped_by_tag, VIOLATION, STOP_AFTER)
    assert d.tags_to_write == expected  # an endpoint's audit tag goes on its config (act)
    assert "no grace period" in d.detail


@pytest.mark.parametrize(("account", "action"), [(PROD, Action.MARK), (UNKNOWN_ACCOUNT, Action.MARK)])
def test_grace_0_in_notify_mode_marks_then_notifies(account: str, action: Action) -> None:
    tags = {k: v for k, v in UNTAGGED.items() if k != "environment"}
    d = decide(resource(account=account, tags=tags), BUSY, GRACE_0, NOW)
    assert (d.action, d.stop_after) == (action, NOW)
    marked = resource(account=account, tags={**tags, VIOLATION: "untagged", STOP_AFTER: format_utc(NOW)})
    assert decide(marked, BUSY, GRACE_0, NOW + timedelta(minutes=15)).action is Action.NOTIFY


def test_grace_0_with_a_valid_earlier_mark_stops_without_new_marks() -> None:
    r = resource(tags={**UNTAGGED, VIOLATION: "untagged", STOP_AFTER: "2026-11-27T11:00:00Z"})
    d = decide(r, BUSY, GRACE_0, NOW)
    assert (d.action, d.stop_after, d.tags_to_write) == (Action.STOP, None, (POLICY.stopped_by_tag,))


def _full(n: int, base: dict[str, str]) -> dict[str, str]:
    """`base` plus filler tags up to n user tags, and aws: system tags that do not count."""
    filler = {f"x{i}": "y" for i in range(n - len(base))}
    return {**base, **filler, "aws:cloudformation:stack-name": "s", "aws:ec2launchtemplate:id": "lt"}


def test_no_room_for_the_marks_grace_runs_from_launch_and_the_tags_are_reported() -> None:
    young = resource(tags=_full(50, UNTAGGED), age=timedelta(minutes=30))
    d = decide(young, BUSY, POLICY, NOW)
    assert (d.action, d.reasons) == (Action.NOTIFY, (Reason.UNTAGGED, Reason.NO_SIGNAL))  # younger than the window
    assert d.unwritable_tags == (VIOLATION, STOP_AFTER) and "grace period counted from launch" in d.detail
    old = resource(tags=_full(50, UNTAGGED), age=timedelta(minutes=121))
    d = decide(old, BUSY, POLICY, NOW)
    assert (d.action, d.reasons) == (Action.STOP, (Reason.UNTAGGED,))
    assert d.tags_to_write == () and set(d.unwritable_tags) == {VIOLATION, STOP_AFTER, POLICY.stopped_by_tag}
    assert decide(old, BUSY, dataclasses.replace(POLICY, environments={
        **POLICY.environments, "dev": dataclasses.replace(POLICY.environments["dev"], mode="notify")}),
        NOW).action is Action.NOTIFY


def test_room_for_one_tag_writes_the_audit_tag_first() -> None:
    d = decide(resource(tags=_full(49, TAGS)), IDLE_GPU, POLICY, NOW)
    assert (d.action, d.tags_to_write, d.unwritable_tags) == (Action.STOP, (POLICY.stopped_by_tag,), ())
    d = decide(resource(tags=_full(50, TAGS)), IDLE_GPU, POLICY, NOW)
    assert (d.action, d.tags_to_write, d.unwritable_tags) == (Action.STOP, (), (POLICY.stopped_by_tag,))
    d = decide(resource(tags=_full(49, UNTAGGED), age=timedelta(hours=2)), BUSY, GRACE_0, NOW)
    assert d.action is Action.STOP and d.tags_to_write == (POLICY.stopped_by_tag,)


@pytest.mark.parametrize("value", [" ", ""])
def test_blank_tag_counts_as_missing(value: str) -> None:
    assert decide(resource(tags={**TAGS, "model": value}), BUSY, POLICY, NOW).action is Action.MARK


def test_during_grace_nothing_happens_silently_counted() -> None:
    r = resource(tags={**UNTAGGED, VIOLATION: "untagged", STOP_AFTER: "2026-11-27T12:30:00Z"})
    d = decide(r, BUSY, POLICY, NOW)
    assert (d.action, d.reasons) == (Action.NONE, (Reason.UNTAGGED,))
    assert "grace period until 2026-11-27T12:30:00Z" in d.detail


@pytest.mark.parametrize(("account", "action"), [(DEV, Action.STOP), (PROD, Action.NOTIFY),
                                                 (UNKNOWN_ACCOUNT, Action.NOTIFY)])
def test_deadline_passed_stops_in_stop_mode_else_notifies(account: str, action: Action) -> None:
    tags = {k: v for k, v in UNTAGGED.items() if k != "environment"}
    r = resource(account=account, tags={**tags, VIOLATION: "untagged", STOP_AFTER: "2026-11-27T11:59:59Z"})
    d = decide(r, BUSY, POLICY, NOW)
    assert (d.action, d.reasons) == (action, (Reason.UNTAGGED,))


@pytest.mark.parametrize("stop_after", ["soon", "2026-11-27T12:30:00", "2026-11-27T14:00:00Z"])
def test_malformed_naive_or_stretched_deadline_is_re_marked(stop_after: str) -> None:
    d = decide(resource(tags={**UNTAGGED, VIOLATION: "untagged", STOP_AFTER: stop_after}), BUSY, POLICY, NOW)
    assert (d.action, d.stop_after) == (Action.MARK, NOW + timedelta(minutes=60))
    assert stop_after in d.detail


def test_violation_tag_without_deadline_is_re_marked() -> None:
    assert decide(resource(tags={**UNTAGGED, VIOLATION: "untagged"}), BUSY, POLICY, NOW).action is Action.MARK


@pytest.mark.parametrize("marks", [{VIOLATION: "untagged"}, {STOP_AFTER: "2026-11-27T11:00:00Z"}])
def test_fixed_tags_are_unmarked(marks: dict[str, str]) -> None:
    d = decide(resource(tags={**TAGS, **marks}), BUSY, POLICY, NOW)
    assert (d.action, d.reasons) == (Action.UNMARK, (Reason.COMPLIANT,))


def test_deadline_is_rounded_up_to_the_second() -> None:
    now = NOW + timedelta(microseconds=1)
    d = decide(resource(tags=UNTAGGED), BUSY, POLICY, now)
    assert d.stop_after == NOW + timedelta(minutes=60, seconds=1)


def test_stop_after_format_round_trips() -> None:
    assert format_utc(NOW) == "2026-11-27T12:00:00Z"
    assert parse_utc("2026-11-27T13:00:00+01:00") == NOW
    assert parse_utc("2026-11-27T12:00:00") is None and parse_utc(None) is None


# --- idle -------------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("env", "action"), [("dev", Action.STOP), ("prod", Action.NOTIFY)])
def test_idle_gpu_decides_when_present(env: str, action: Action) -> None:
    d = decide(resource(account=ACCOUNT_OF[env], env=env), IDLE_GPU, POLICY, NOW)
    assert (d.action, d.reasons) == (action, (Reason.IDLE,))
    assert "GPU utilisation at most 1%" in d.detail


def test_busy_gpu_is_not_idle_even_with_quiet_cpu() -> None:
    s = Signals({Signal.GPU: 60.0, Signal.CPU: 0.5, Signal.NETWORK: 0.0}, covered=True)
    assert decide(resource(), s, POLICY, NOW).action is Action.NONE


def test_idle_falls_back_to_cpu_and_network() -> None:
    d = decide(resource(), IDLE_CPU, POLICY, NOW)
    assert (d.action, d.reasons) == (Action.STOP, (Reason.IDLE,))
    assert "no GPU metric; CPU at most 1%" in d.detail and "network" in d.detail


@pytest.mark.parametrize("maximum", [{Signal.CPU: 1.0, Signal.NETWORK: 50_000.0},
                                     {Signal.CPU: 5.0, Signal.NETWORK: 0.0}, {Signal.CPU: 50.0}])
def test_either_busy_fallback_signal_means_busy(maximum: dict[Signal, float]) -> None:
    assert decide(resource(), Signals(maximum, covered=True), POLICY, NOW).reasons == (Reason.COMPLIANT,)


@pytest.mark.parametrize(("signals", "age", "why"), [
    (IDLE_GPU, timedelta(minutes=119), "less than the 120-minute"),
    (Signals(IDLE_GPU.maximum, covered=False), timedelta(days=1), "do not cover"),
    (Signals({}, covered=True), timedelta(days=1), "no datapoints"),
    (Signals({Signal.CPU: 1.0}, covered=True), timedelta(days=1), "no network datapoints"),
])
def test_no_signal_is_never_idle(signals: Signals, age: timedelta, why: str) -> None:
    d = decide(resource(age=age), signals, POLICY, NOW)
    assert (d.action, d.reasons) == (Action.NOTIFY, (Reason.NO_SIGNAL,))
    assert why in d.detail
    quiet = dataclasses.replace(POLICY, no_signal="ignore")
    assert decide(resource(age=age), signals, quiet, NOW).action is Action.NONE


def test_endpoint_without_invocations_is_idle() -> None:
    d = decide(resource(Kind.ENDPOINT), Signals({}, covered=True), POLICY, NOW)
    assert (d.action, d.reasons) == (Action.STOP, (Reason.IDLE,))
    assert "no invocations" in d.detail
    zero = Signals({Signal.INVOCATIONS: 0.0, Signal.GPU: 2.0}, covered=True)
    assert decide(resource(Kind.ENDPOINT), zero, POLICY, NOW).action is Action.STOP


@pytest.mark.parametrize("maximum", [{Signal.INVOCATIONS: 1.0}, {Signal.INVOCATIONS: 0.0, Signal.GPU: 30.0}])
def test_endpoint_with_traffic_or_busy_gpu_is_busy(maximum: dict[Signal, float]) -> None:
    assert decide(resource(Kind.ENDPOINT), Signals(maximum, covered=True), POLICY, NOW).action is Action.NONE


def test_endpoint_with_uncovered_window_is_no_signal() -> None:
    d = decide(resource(Kind.ENDPOINT), Signals({}, covered=False), POLICY, NOW)
    assert d.reasons == (Reason.NO_SIGNAL,)


@pytest.mark.parametrize("kind", [Kind.NOTEBOOK, Kind.TRAINING_JOB])
def test_notebooks_and_training_jobs_have_no_idle_rule(kind: Kind) -> None:
    d = decide(resource(kind, age=timedelta(hours=1)), Signals({}, covered=False), POLICY, NOW)
    assert (d.action, d.reasons) == (Action.NONE, (Reason.COMPLIANT,))


# --- run time ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("env", "hours", "action"), [
    ("dev", 8, Action.NONE), ("dev", 8.01, Action.STOP), ("prod", 71, Action.NONE), ("prod", 73, Action.NOTIFY),
])
def test_training_beyond_the_environments_maximum(env: str, hours: float, action: Action) -> None:
    r = resource(Kind.TRAINING_JOB, account=ACCOUNT_OF[env], env=env, age=timedelta(hours=hours))
    d = decide(r, BUSY, POLICY, NOW)
    assert d.action is action
    if action is not Action.NONE:
        assert d.reasons == (Reason.TRAINING_TOO_LONG,)


def test_training_in_an_unknown_environment_uses_the_strictest_maximum_notify_only() -> None:
    r = resource(Kind.TRAINING_JOB, account=UNKNOWN_ACCOUNT, env="x", age=timedelta(hours=9))
    d = decide(r, BUSY, POLICY, NOW)
    assert (d.action, d.reasons) == (Action.NOTIFY, (Reason.ENVIRONMENT_UNKNOWN, Reason.TRAINING_TOO_LONG))


@pytest.mark.parametrize(("env", "hours", "action"), [
    ("dev", 12, Action.NONE), ("dev", 13, Action.STOP), ("prod", 500, Action.NONE),
])
def test_notebooks_beyond_the_maximum_outside_production(env: str, hours: float, action: Action) -> None:
    d = decide(resource(Kind.NOTEBOOK, account=ACCOUNT_OF[env], env=env, age=timedelta(hours=hours)), BUSY, POLICY, NOW)
    assert d.action is action
    if action is Action.STOP:
        assert d.reasons == (Reason.NOTEBOOK_TOO_LONG,)


def test_unknown_launch_time_skips_the_run_time_rules() -> None:
    r = resource(Kind.TRAINING_JOB)
    r = dataclasses.replace(r, launched_at=None)
    assert decide(r, BUSY, POLICY, NOW).action is Action.NONE


# --- accelerator types the environment does not allow ----------------------------------------------------

@pytest.mark.parametrize(("kind", "instance_type", "account", "action"), [
    (Kind.EC2_INSTANCE, "p5.48xlarge", DEV, Action.STOP), (Kind.EC2_INSTANCE, "p3.2xlarge", STAGING, Action.STOP),
    (Kind.EC2_INSTANCE, "p5.48xlarge", PROD, Action.NONE), (Kind.EC2_INSTANCE, "trn1.32xlarge", PROD, Action.NOTIFY),
    (Kind.ENDPOINT, "ml.p3.2xlarge", DEV, Action.STOP), (Kind.ENDPOINT, "ml.g4dn.xlarge", DEV, Action.NONE),
    (Kind.ENDPOINT, "ml.g4dn.xlarge", STAGING, Action.STOP), (Kind.NOTEBOOK, "ml.p2.xlarge", DEV, Action.STOP),
    (Kind.TRAINING_JOB, "ml.g6.xlarge", PROD, Action.NONE), (Kind.EC2_INSTANCE, "g4dn.xlarge", DEV, Action.STOP),
])
def test_a_type_the_environment_does_not_allow_is_reported_and_stopped_in_stop_mode(
        kind: Kind, instance_type: str, account: str, action: Action) -> None:
    """Routes the SCPs cannot see (EKS, Batch, EMR, Spot Fleet, service-linked roles): the account's environment
    decides what may run there."""
    env = {DEV: "dev", STAGING: "staging", PROD: "prod"}[account]
    d = decide(resource(kind, account=account, env=env, instance_type=instance_type, age=timedelta(hours=3)), BUSY,
               POLICY, NOW)
    assert d.action is action
    assert (Reason.ACCELERATOR_NOT_ALLOWED in d.reasons) == (action is not Action.NONE)
    if action is not Action.NONE:
        assert f"{instance_type} not allowed in {env}" in d.detail


def test_every_variant_of_an_endpoint_is_checked() -> None:
    r = dataclasses.replace(resource(Kind.ENDPOINT, instance_type="ml.g5.xlarge"),
                            fleet=(("ml.g5.xlarge", 1), ("ml.p4d.24xlarge", 1), ("ml.m5.large", 2)))
    d = decide(r, BUSY, POLICY, NOW)
    assert d.action is Action.STOP and "ml.p4d.24xlarge not allowed in dev" in d.detail and "m5" not in d.detail


# --- instances a manager keeps running ---------------------------------------------------------------------

@pytest.mark.parametrize(("tags", "manager"), [
    ({"aws:autoscaling:groupName": "gpu-asg"}, "Auto Scaling group 'gpu-asg'"),
    ({"eks:nodegroup-name": "gpu", "eks:cluster-name": "c", "aws:autoscaling:groupName": "eks-gpu-1"},
     "EKS managed node group 'gpu' (Auto Scaling group 'eks-gpu-1')"),
    ({"karpenter.sh/nodepool": "gpu", "aws:ec2:fleet-id": "fleet-1"},
     "Karpenter node pool 'gpu' (EC2 Fleet 'fleet-1')"),
    ({"AWSBatchServiceTag": "batch", "aws:autoscaling:groupName": "AWSBatch-ce-asg-1"},
     "AWS Batch compute environment 'batch' (Auto Scaling group 'AWSBatch-ce-asg-1')"),
    ({"aws:elasticmapreduce:job-flow-id": "j-1"}, "EMR cluster 'j-1'"),
    ({"aws:ec2spot:fleet-request-id": "sfr-1"}, "Spot Fleet request 'sfr-1'"),
    ({"parallelcluster:node-type": "Compute", "parallelcluster:cluster-name": "hpc", "aws:ec2:fleet-id": "f"},
     "ParallelCluster compute fleet 'hpc' (EC2 Fleet 'f')"),
])
@pytest.mark.parametrize("problem", ["idle", "untagged", "forbidden"])
def test_an_instance_a_manager_keeps_running_is_never_stopped_or_marked(tags: dict[str, str], manager: str,
                                                                         problem: str) -> None:
    base = UNTAGGED if problem == "untagged" else TAGS
    r = resource(tags={**base, **tags}, instance_type="p5.48xlarge" if problem == "forbidden" else "g5.xlarge")
    d = decide(r, IDLE_GPU if problem == "idle" else BUSY, GRACE_0, NOW)
    assert d.action is Action.NOTIFY and d.managed_by == manager
    assert f"managed by {manager}" in d.detail


@pytest.mark.parametrize(("tags", "manager"), [
    ({"aws:eks:cluster-name": "ml"}, "EKS cluster 'ml'"),
    ({"eks:nodegroup-name": "gpu", "aws:eks:cluster-name": "ml"}, "EKS managed node group 'gpu' (EKS cluster 'ml')"),
    ({"aws:batch:compute-environment": "ce-gpu"}, "AWS Batch compute environment 'ce-gpu'"),
    ({"aws:elasticmapreduce:instance-group-role": "CORE"}, "EMR cluster 'CORE'"),
    ({"aws:ecs:clusterName": "svc"}, "ECS cluster 'svc'"),
    ({"AWS:AutoScaling:GroupName": "asg"}, "Auto Scaling group 'asg'"),
])
def test_any_aws_tag_of_a_manager_service_proves_a_manager(tags: dict[str, str], manager: str) -> None:
    """Not only the four best-known keys: EKS writes `aws:eks:cluster-name`, EMR more than the job flow id. Only AWS
    writes `aws:` keys, so none of them can be spoofed, whatever the case."""
    d = decide(resource(tags={**UNTAGGED, **tags}), IDLE_GPU, GRACE_0, NOW)
    assert (d.action, d.managed_by) == (Action.NOTIFY, manager)


def test_a_standalone_or_cloudformation_instance_is_not_managed() -> None:
    """Only AWS's own `aws:` tags prove a manager: anyone may write `eks:nodegroup-name` on a standalone instance."""
    spoofed = ({"eks:nodegroup-name": "x"}, {"karpenter.sh/nodepool": "x"}, {"AWSBatchServiceTag": "batch"},
               {"eks:cluster-name": "x"}, {"aws:ec2launchtemplate:id": "lt-1"}, {"aws:eks:cluster-name": ""},
               {"AmazonECSManaged": ""}, {"elasticbeanstalk:environment-name": "e"},
               {"parallelcluster:node-type": "Compute"}, {"aws:autoscaling:groupName": " "})
    for tags in ({}, {"aws:cloudformation:stack-name": "s"}, {"parallelcluster:node-type": "HeadNode"}, *spoofed):
        d = decide(resource(tags={**TAGS, **tags}), IDLE_GPU, POLICY, NOW)
        assert (d.action, d.managed_by) == (Action.STOP, None)


def test_managed_instance_with_fixed_tags_is_still_unmarked() -> None:
    d = decide(resource(tags={**TAGS, VIOLATION: "untagged", "aws:autoscaling:groupName": "g"}), BUSY, POLICY, NOW)
    assert d.action is Action.UNMARK


# --- signals not measured ----------------------------------------------------------------------------------

def test_needs_signals_only_where_they_can_change_the_action() -> None:
    assert needs_signals(resource(), POLICY, NOW)
    assert needs_signals(resource(Kind.ENDPOINT), POLICY, NOW)
    assert not needs_signals(resource(Kind.NOTEBOOK), POLICY, NOW)
    assert not needs_signals(resource(tags={EXEMPT: "2026-12-01"}), POLICY, NOW)
    assert not needs_signals(resource(tags=UNTAGGED), GRACE_0, NOW)
    assert not needs_signals(resource(instance_type="p5.48xlarge"), POLICY, NOW)
    assert needs_signals(resource(account=PROD, env="prod", instance_type="trn1.32xlarge"), POLICY, NOW)
    unmeasured = decide(resource(), None, POLICY, NOW)
    assert (unmeasured.action, unmeasured.reasons) == (Action.NONE, (Reason.COMPLIANT,))


# --- combinations -----------------------------------------------------------------------------------------

def test_strongest_action_wins_and_every_reason_is_kept() -> None:
    d = decide(resource(tags={**UNTAGGED, "environment": "dev"}), IDLE_GPU, POLICY, NOW)
    assert (d.action, d.reasons, d.stop_after) == (Action.STOP, (Reason.UNTAGGED, Reason.IDLE), None)
    d = decide(resource(account=PROD, tags={**UNTAGGED, "environment": "prod"}), IDLE_GPU, POLICY, NOW)
    assert (d.action, d.reasons) == (Action.MARK, (Reason.UNTAGGED, Reason.IDLE))
    assert d.stop_after == datetime(2026, 11, 27, 13, 0, tzinfo=UTC)


# --- what an independent review found (issue 11) -------------------------------------------------------------

def test_a_partial_gpu_metric_proves_use_but_never_idleness() -> None:
    quiet_gpu = Signals({Signal.GPU: 0.0, Signal.CPU: 95.0, Signal.NETWORK: 6e8}, covered=True,
                        partial=frozenset({Signal.GPU}))
    assert decide(resource(), quiet_gpu, POLICY, NOW).action is Action.NONE  # CPU and network decide: busy
    idle = Signals({Signal.GPU: 0.0, Signal.CPU: 1.0, Signal.NETWORK: 10.0}, covered=True,
                   partial=frozenset({Signal.GPU}))
    assert decide(resource(), idle, POLICY, NOW).reasons == (Reason.IDLE,)
    busy_gpu = Signals({Signal.GPU: 80.0, Signal.CPU: 1.0, Signal.NETWORK: 10.0}, covered=True,
                       partial=frozenset({Signal.GPU}))
    assert decide(resource(), busy_gpu, POLICY, NOW).action is Action.NONE


def test_marks_older_than_the_resource_are_not_its_deadline() -> None:
    """Copied with "launch more like this" or a launch template: the new instance gets its own grace period."""
    copied = {**UNTAGGED, VIOLATION: "untagged", STOP_AFTER: "2026-11-01T00:00:00Z"}
    d = decide(resource(tags=copied, age=timedelta(minutes=1)), BUSY, POLICY, NOW)
    assert (d.action, d.stop_after) == (Action.MARK, NOW + timedelta(minutes=60))
    assert "older than the resource" in d.detail


def test_a_family_only_the_api_knows_is_not_allowed_anywhere() -> None:
    r = dataclasses.replace(resource(instance_type="zz9.xlarge", age=timedelta(hours=3)),
                            accelerated_types=("zz9.xlarge",))
    d = decide(r, BUSY, POLICY, NOW)
    assert (d.action, d.reasons) == (Action.STOP, (Reason.ACCELERATOR_NOT_ALLOWED,))


def test_an_endpoint_scaled_to_zero_is_reported_not_deleted() -> None:
    r = dataclasses.replace(resource(Kind.ENDPOINT, instance_type="ml.g5.xlarge", count=0),
                            fleet=(("ml.g5.xlarge", 0), ("ml.p5.48xlarge", 0)))
    d = decide(r, Signals({}, covered=True), POLICY, NOW)
    assert (d.action, d.reasons) == (Action.NOTIFY, (Reason.IDLE,))  # the idle p5 variant has no instance now
    assert "scaled to zero instances" in d.detail
    untagged = dataclasses.replace(r, tags=UNTAGGED)
    assert decide(untagged, BUSY, GRACE_0, NOW).action is Action.NOTIFY


def test_an_endpoint_whose_config_is_gone_is_reported_not_deleted() -> None:
    r = dataclasses.replace(resource(Kind.ENDPOINT, instance_type="", tags=UNTAGGED), fleet=(("", 2),),
                            missing_config="cfg-gone")
    d = decide(r, Signals({}, covered=True), GRACE_0, NOW)
    assert d.action is Action.NOTIFY and {Reason.UNTAGGED, Reason.IDLE} <= set(d.reasons)
    assert "endpoint config cfg-gone no longer exists" in d.detail


def test_an_expired_exemption_is_named_and_the_fixed_marks_are_not_claimed_removed() -> None:
    d = decide(resource(tags={**TAGS, EXEMPT: "2026-11-01", VIOLATION: "untagged"}), IDLE_GPU, POLICY, NOW)
    assert (d.action, d.reasons) == (Action.STOP, (Reason.IDLE,))
    assert "has expired" in d.detail and "marks removed" not in d.detail


def test_the_team_comes_from_the_configured_tag() -> None:
    assert decide(resource(), IDLE_GPU, POLICY, NOW).team == "search"
    renamed = dataclasses.replace(POLICY, team_tag="squad")
    assert decide(resource(tags={**TAGS, "squad": "x"}), IDLE_GPU, renamed, NOW).team == "x"
