"""The guard's judgement: resource + signals + policy + now -> Decision with reason codes. Pure: no clock,
no AWS calls; the same inputs always give the same decision.

Rules (mode = the environment's guard mode; an unknown environment is treated as notify-only):
- environment: the `environment` tag when it names a configured environment, else the account's. A tag naming
  another environment than the account's (an account not listed there) is a finding (NOTIFY), and the more
  cautious of the two modes applies: a mislabelled production resource is never stopped, and relabelling a dev
  resource `prod` buys no silence (the digest reports it).
- exempt (`exempt-until` a valid ISO date, today or later, at most exemptionMaxDays ahead): NONE, nothing else
  is looked at. A malformed or too distant exemption exempts nothing and is itself a finding (NOTIFY).
- untagged (a required tag missing or blank): MARK (stop-after = now + grace) when not validly marked; NONE
  while the grace period runs (the MARK already notified); after the deadline STOP in stop mode, else NOTIFY.
  Tags fixed while marked: UNMARK.
- idle (EC2, endpoints; the whole window below every threshold): STOP in stop mode, else NOTIFY. Too young,
  window not covered, or no datapoints: NO_SIGNAL, never idle (NOTIFY when noSignal is notify, else NONE).
- training jobs beyond the environment's maxTrainingHours, notebooks beyond notebookMaxHours outside
  production: STOP in stop mode, else NOTIFY.
- several findings: the strongest action wins (STOP > MARK > UNMARK > NOTIFY > NONE); every reason is kept.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from .model import Action, Decision, Kind, Reason, Resource, Signal, Signals
from .policy import EnvironmentPolicy, GuardPolicy

__all__ = ["decide", "environment_of", "format_utc", "parse_utc"]

_STRENGTH = {Action.NONE: 0, Action.NOTIFY: 1, Action.UNMARK: 2, Action.MARK: 3, Action.STOP: 4}
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


@dataclass(frozen=True)
class _Finding:
    reason: Reason | None  # None: no finding of its own (UNMARK of a fixed resource)
    action: Action
    detail: str
    stop_after: datetime | None = None


def decide(resource: Resource, signals: Signals, policy: GuardPolicy, now: datetime) -> Decision:
    """The one decision for `resource` at `now` (timezone-aware)."""
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware (UTC)")
    now = now.astimezone(UTC)
    environment = environment_of(resource, policy)
    env = policy.environments.get(environment) if environment else None
    mismatch = _account_environment_if_other(resource, policy, env)
    stop_mode = env is not None and env.mode == "stop" and (mismatch is None or mismatch.mode == "stop")
    enforce = Action.STOP if stop_mode else Action.NOTIFY
    price = policy.price(resource.instance_type)
    hourly = round(price.usd * resource.instance_count, 4) if price is not None else None

    def decision(action: Action, reasons: tuple[Reason, ...], detail: str,
                 stop_after: datetime | None = None) -> Decision:
        return Decision(resource=resource, action=action, reasons=reasons, environment=environment, detail=detail,
                        stop_after=stop_after, hourly_usd=hourly, price_estimate=price is not None and price.estimate)

    findings: list[_Finding] = []
    if mismatch is not None:
        findings.append(_Finding(Reason.ENVIRONMENT_MISMATCH, Action.NOTIFY,
                                 f"tagged {policy.environment_tag}={environment} in an account of {mismatch.name}: "
                                 f"the more cautious guard mode applies"))
    exemption = _exemption(resource, policy, now)
    if isinstance(exemption, date):
        return decision(Action.NONE, (Reason.EXEMPT,), f"exempt until {exemption.isoformat()} (end of day, UTC)")
    if exemption is not None:
        findings.append(_Finding(Reason.BAD_EXEMPTION, Action.NOTIFY, exemption))
    findings += _untagged(resource, policy, now, enforce)
    findings += _activity(resource, signals, policy, now, enforce)
    findings += _runtime(resource, policy, now, enforce, env)
    if not findings:
        return decision(Action.NONE, (Reason.COMPLIANT,), "compliant")
    strongest = max(findings, key=lambda f: _STRENGTH[f.action])
    reasons = tuple(dict.fromkeys(f.reason for f in findings if f.reason is not None)) or (Reason.COMPLIANT,)
    stop_after = strongest.stop_after if strongest.action is Action.MARK else None
    return decision(strongest.action, reasons, "; ".join(f.detail for f in findings), stop_after)


def environment_of(resource: Resource, policy: GuardPolicy) -> str | None:
    """The resource's environment tag when it names a configured environment, else its account's environment."""
    tagged = resource.tags.get(policy.environment_tag, "").strip()
    if tagged in policy.environments:
        return tagged
    return policy.accounts.get(resource.account)


def _account_environment_if_other(resource: Resource, policy: GuardPolicy,
                                  tagged: EnvironmentPolicy | None) -> EnvironmentPolicy | None:
    """The account's environment when the tag names another one that does not list this account."""
    name = policy.accounts.get(resource.account)
    if tagged is None or name is None or name == tagged.name or resource.account in tagged.accounts:
        return None
    return policy.environments.get(name)


def format_utc(moment: datetime) -> str:
    """The aifinops:stop-after format: ISO-8601 UTC to the second, e.g. 2026-11-27T09:30:00Z."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_utc(text: str | None) -> datetime | None:
    """An ISO-8601 timestamp with a UTC offset (Z or +00:00 style), or None when malformed or naive."""
    if text is None:
        return None
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        return None
    return moment.astimezone(UTC) if moment.tzinfo is not None else None


def _exemption(resource: Resource, policy: GuardPolicy, now: datetime) -> date | str | None:
    """The date a valid exemption runs to; a problem sentence for a bad one; None for none (or expired)."""
    raw = resource.tags.get(policy.exempt_until_tag)
    if raw is None:
        return None
    text = raw.strip()
    try:
        until = date.fromisoformat(text) if _ISO_DATE.fullmatch(text) else None
    except ValueError:
        until = None
    if until is None:
        return f"{policy.exempt_until_tag}={raw!r} is not an ISO date (YYYY-MM-DD): not exempt"
    today = now.date()
    if until < today:
        return None  # expired: simply no exemption any more
    if until > today + timedelta(days=policy.exemption_max_days):
        return (f"{policy.exempt_until_tag}={text} is more than {policy.exemption_max_days} days ahead "
                f"(the configured maximum): not exempt")
    return until


def _untagged(resource: Resource, policy: GuardPolicy, now: datetime, enforce: Action) -> list[_Finding]:
    tags = resource.tags
    missing = [key for key in policy.required_tags if not tags.get(key, "").strip()]
    marked = policy.violation_tag in tags or policy.stop_after_tag in tags
    if not missing:
        fixed = _Finding(None, Action.UNMARK, "required tags fixed before the deadline: marks removed")
        return [fixed] if marked else []
    what = f"missing required tags: {', '.join(missing)}"
    latest = _ceil_second(now + timedelta(minutes=policy.grace_minutes))
    raw = tags.get(policy.stop_after_tag)
    deadline = parse_utc(raw)
    if deadline is None or deadline > latest:
        why = ""
        if raw is not None:
            why = (f" ({policy.stop_after_tag}={raw!r} is malformed)" if deadline is None
                   else f" ({policy.stop_after_tag}={raw!r} is beyond the grace period)")
        return [_Finding(Reason.UNTAGGED, Action.MARK, f"{what}; stop after {format_utc(latest)}{why}", latest)]
    if now <= deadline:
        return [_Finding(Reason.UNTAGGED, Action.NONE, f"{what}; grace period until {format_utc(deadline)}")]
    return [_Finding(Reason.UNTAGGED, enforce, f"{what}; grace period ended {format_utc(deadline)}")]


def _activity(resource: Resource, signals: Signals, policy: GuardPolicy, now: datetime,
              enforce: Action) -> list[_Finding]:
    """Idle or no signal, for the kinds that publish activity metrics (EC2 instances, endpoints)."""
    if resource.kind not in (Kind.EC2_INSTANCE, Kind.ENDPOINT):
        return []
    minutes = policy.idle_window_minutes
    quiet = Action.NOTIFY if policy.no_signal == "notify" else Action.NONE
    launched = _utc(resource.launched_at)
    if launched is not None and now - launched < timedelta(minutes=minutes):
        return [_Finding(Reason.NO_SIGNAL, quiet, f"running for less than the {minutes}-minute idle window")]
    if not signals.covered:
        return [_Finding(Reason.NO_SIGNAL, quiet, f"datapoints do not cover the {minutes}-minute idle window")]
    top = {s: v for s, v in signals.maximum.items() if math.isfinite(v)}
    if resource.kind is Kind.ENDPOINT:
        return _endpoint_idle(top, policy, enforce)
    if not top:
        return [_Finding(Reason.NO_SIGNAL, quiet, f"no datapoints in the {minutes}-minute idle window")]
    if Signal.GPU in top:
        if top[Signal.GPU] >= policy.gpu_percent:
            return []
        return [_Finding(Reason.IDLE, enforce, f"idle: GPU utilisation at most {top[Signal.GPU]:g}% (threshold "
                                               f"{policy.gpu_percent:g}%) over {minutes} minutes")]
    cpu, network = top.get(Signal.CPU), top.get(Signal.NETWORK)
    if (cpu is not None and cpu >= policy.cpu_percent) or (
            network is not None and network >= policy.network_bytes_per_second):
        return []
    if cpu is None or network is None:
        absent = "CPU" if cpu is None else "network"
        return [_Finding(Reason.NO_SIGNAL, quiet, f"no GPU metric and no {absent} datapoints: cannot call it idle")]
    return [_Finding(Reason.IDLE, enforce,
                     f"idle: no GPU metric; CPU at most {cpu:g}% (threshold {policy.cpu_percent:g}%) and network at "
                     f"most {network:g} B/s (threshold {policy.network_bytes_per_second:g}) over {minutes} minutes")]


def _endpoint_idle(top: dict[Signal, float], policy: GuardPolicy, enforce: Action) -> list[_Finding]:
    """Zero invocations on every variant (absent datapoints mean zero traffic), and GPU below the threshold
    where published."""
    invocations = top.get(Signal.INVOCATIONS, 0.0)
    gpu = top.get(Signal.GPU)
    if invocations > 0 or (gpu is not None and gpu >= policy.gpu_percent):
        return []
    gpu_note = f"; GPU utilisation at most {gpu:g}%" if gpu is not None else ""
    return [_Finding(Reason.IDLE, enforce,
                     f"idle: no invocations on any variant over {policy.idle_window_minutes} minutes{gpu_note}")]


def _runtime(resource: Resource, policy: GuardPolicy, now: datetime, enforce: Action,
             env: EnvironmentPolicy | None) -> list[_Finding]:
    launched = _utc(resource.launched_at)
    if launched is None:
        return []
    running = now - launched
    hours = running.total_seconds() / 3600
    if resource.kind is Kind.TRAINING_JOB:
        # Unknown environment: the strictest maximum of the configured ones (notify-only there anyway).
        limit = env.max_training_hours if env else min(e.max_training_hours for e in policy.environments.values())
        if running > timedelta(hours=limit):
            return [_Finding(Reason.TRAINING_TOO_LONG, enforce,
                             f"training for {hours:.1f} h, beyond the maximum of {limit} h")]
    production = env is not None and env.production  # unknown environment: treated as non-production
    if resource.kind is Kind.NOTEBOOK and not production and running > timedelta(hours=policy.notebook_max_hours):
        return [_Finding(Reason.NOTEBOOK_TOO_LONG, enforce,
                         f"notebook running for {hours:.1f} h, beyond the maximum of {policy.notebook_max_hours} h "
                         f"outside production")]
    return []


def _utc(moment: datetime | None) -> datetime | None:
    if moment is None:
        return None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _ceil_second(moment: datetime) -> datetime:
    return moment if moment.microsecond == 0 else moment.replace(microsecond=0) + timedelta(seconds=1)
