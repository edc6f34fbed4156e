"""decide: one test per rule, in each mode."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from aifinops.lambdas.guard.decide import decide, environment_of, format_utc, parse_utc
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
    assert (d.hourly_usd, d.price_estimate) == (1.006, False)


def test_hourly_cost_is_price_times_count_and_flags_sagemaker_estimates() -> None:
    d = decide(resource(Kind.ENDPOINT, instance_type="ml.g5.12xlarge", count=3), BUSY, POLICY, NOW)
    assert (d.hourly_usd, d.price_estimate) == (17.016, True)
    assert decide(resource(instance_type="g7e.2xlarge"), BUSY, POLICY, NOW).hourly_usd is None


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


def test_unknown_environment_is_notify_only() -> None:
    r = resource(account=UNKNOWN_ACCOUNT, env="nonsense")
    d = decide(r, IDLE_GPU, POLICY, NOW)
    assert (d.action, d.reasons, d.environment) == (Action.NOTIFY, (Reason.IDLE,), None)


# --- exemptions -------------------------------------------------------------------------------------------

@pytest.mark.parametrize("until", ["2026-11-27", "2026-12-27", " 2026-12-01 "])
def test_valid_exemption_wins_over_everything(until: str) -> None:
    r = resource(tags={EXEMPT: until, STOP_AFTER: "2026-01-01T00:00:00Z"})  # untagged, past its deadline
    d = decide(r, IDLE_GPU, POLICY, NOW)
    assert (d.action, d.reasons) == (Action.NONE, (Reason.EXEMPT,))


@pytest.mark.parametrize(("until", "why"), [
    ("2026-12-28", "more than 30 days ahead"), ("tomorrow", "not an ISO date"), ("2026-13-01", "not an ISO date"),
    ("2026-11-28T00:00:00Z", "not an ISO date"), ("20261128", "not an ISO date"),
])
def test_bad_exemption_is_a_finding_and_exempts_nothing(until: str, why: str) -> None:
    d = decide(resource(tags={**TAGS, EXEMPT: until}), BUSY, POLICY, NOW)
    assert (d.action, d.reasons) == (Action.NOTIFY, (Reason.BAD_EXEMPTION,))
    assert why in d.detail
    d = decide(resource(tags={**TAGS, EXEMPT: until}), IDLE_GPU, POLICY, NOW)
    assert (d.action, d.reasons) == (Action.STOP, (Reason.BAD_EXEMPTION, Reason.IDLE))


def test_expired_exemption_is_simply_gone() -> None:
    d = decide(resource(tags={**TAGS, EXEMPT: "2026-11-26"}), BUSY, POLICY, NOW)
    assert (d.action, d.reasons) == (Action.NONE, (Reason.COMPLIANT,))


# --- untagged ---------------------------------------------------------------------------------------------

def test_untagged_is_marked_with_the_grace_deadline() -> None:
    d = decide(resource(tags=UNTAGGED), BUSY, POLICY, NOW)
    assert (d.action, d.reasons, d.stop_after) == (Action.MARK, (Reason.UNTAGGED,), NOW + timedelta(minutes=60))
    assert "team" in d.detail and "2026-11-27T13:00:00Z" in d.detail


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
    quiet = POLICY.__class__(**{**POLICY.__dict__, "no_signal": "ignore"})
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
    assert (d.action, d.reasons) == (Action.NOTIFY, (Reason.TRAINING_TOO_LONG,))


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
    r = r.__class__(**{**r.__dict__, "launched_at": None})
    assert decide(r, BUSY, POLICY, NOW).action is Action.NONE


# --- combinations -----------------------------------------------------------------------------------------

def test_strongest_action_wins_and_every_reason_is_kept() -> None:
    d = decide(resource(tags={**UNTAGGED, "environment": "dev"}), IDLE_GPU, POLICY, NOW)
    assert (d.action, d.reasons, d.stop_after) == (Action.STOP, (Reason.UNTAGGED, Reason.IDLE), None)
    d = decide(resource(account=PROD, tags={**UNTAGGED, "environment": "prod"}), IDLE_GPU, POLICY, NOW)
    assert (d.action, d.reasons) == (Action.MARK, (Reason.UNTAGGED, Reason.IDLE))
    assert d.stop_after == datetime(2026, 11, 27, 13, 0, tzinfo=UTC)
