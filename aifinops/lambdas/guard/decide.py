"""The guard's judgement: resource + signals + policy + now -> Decision with reason codes. Pure: no clock,
no AWS calls; the same inputs always give the same decision.

Rules (mode = the environment's guard mode; an unknown environment is treated as notify-only):
- environment: the `environment` tag when it names a configured environment, else the account's. A tag naming
  another environment than the account's (an account not listed there) is a finding (NOTIFY), and the more
  cautious of the two modes applies: a mislabelled production resource is never stopped, and relabelling a dev
  resource `prod` buys no silence (the digest reports it). A tag naming no configured environment is a finding
  too (environment-unknown, NOTIFY); the account's environment applies, notify-only.
- exempt (`exempt-until` a valid ISO 8601 date or date-time, not past, at most exemptionMaxDays ahead): NONE,
  nothing else is looked at. An exemption that cannot be parsed or reaches too far, or a tag key that differs from
  a guard key only in case or punctuation (a near miss), is a finding, and the resource is notified, never
  stopped or marked: the owner meant something, and the guard does not guess against them.
- untagged (a required tag missing or blank): MARK (stop-after = now + grace) when not validly marked; NONE
  while the grace period runs (the MARK already notified); after the deadline STOP in stop mode, else NOTIFY.
  Grace 0 in stop mode: STOP in the scan that finds it, writing the marks with the stop. Tags fixed while marked:
  UNMARK. No room for the marks (50 tags): the grace period runs from the launch time instead, the marks are
  reported as not written.
- idle (EC2, endpoints; the whole window below every threshold): STOP in stop mode, else NOTIFY. Too young,
  window not covered, or no datapoints: NO_SIGNAL, never idle (NOTIFY when noSignal is notify, else NONE).
  `signals=None` means not measured: the activity rule is skipped (the scan measures only what can still change
  the action).
- training jobs beyond the environment's maxTrainingHours, notebooks beyond notebookMaxHours outside
  production, and accelerated types the environment's `accelerators` do not allow: STOP in stop mode, else NOTIFY.
- an EC2 instance launched by a manager (Auto Scaling group, EKS, Karpenter, Batch, EMR, fleets): never stopped
  or marked, whatever the finding (its manager would replace it); NOTIFY with the manager's name.
- several findings: the strongest action wins (STOP > MARK > UNMARK > NOTIFY > NONE); every reason is kept.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from .exemption import exemption_lookalikes, near_misses, read_exemption
from .managers import manager_of
from .model import TAG_LIMIT, Action, Decision, Kind, Reason, Resource, Signal, Signals
from .policy import EnvironmentPolicy, GuardPolicy

__all__ = ["decide", "environment_of", "format_utc", "needs_signals", "parse_utc"]

_STRENGTH = {Action.NONE: 0, Action.NOTIFY: 1, Action.UNMARK: 2, Action.MARK: 3, Action.STOP: 4}
_SETTLED = (Reason.EXEMPT,)


@dataclass(frozen=True)
class _Finding:
    reason: Reason | None  # None: no finding of its own (UNMARK of a fixed resource)
    action: Action
    detail: str
    stop_after: datetime | None = None
    marks: bool = False  # STOP that also writes the marks (grace 0)
    unmarkable: bool = False  # untagged, and no room for the marks


@dataclass(frozen=True)
class _Setting:
    environment: str | None
    env: EnvironmentPolicy | None
    enforce: Action  # STOP in stop mode, else NOTIFY
    findings: tuple[_Finding, ...]


def decide(resource: Resource, signals: Signals | None, policy: GuardPolicy, now: datetime) -> Decision:
    """The one decision for `resource` at `now` (timezone-aware); `signals=None`: activity not measured."""
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware (UTC)")
    now = now.astimezone(UTC)
    setting = _setting(resource, policy)
    managed = manager_of(resource.tags) if resource.kind is Kind.EC2_INSTANCE else None

    def decision(action: Action, reasons: tuple[Reason, ...], detail: str, stop_after: datetime | None = None,
                 write: tuple[str, ...] = ()) -> Decision:
        fits, unwritable = _room(resource, write)
        if any(f.unmarkable for f in findings):
            unwritable = tuple(dict.fromkeys((policy.violation_tag, policy.stop_after_tag, *unwritable)))
        return Decision(resource=resource, action=action, reasons=reasons, environment=setting.environment,
                        detail=detail, stop_after=stop_after, managed_by=managed, tags_to_write=fits,
                        unwritable_tags=unwritable, team=resource.tags.get(policy.team_tag))

    findings = list(setting.findings)
    exemption = read_exemption(resource.tags, policy.exempt_until_tag, now, policy.exemption_max_days)
    if exemption is not None and exemption.until is not None and not exemption.expired:
        return decision(Action.NONE, _SETTLED, f"exempt until {format_utc(exemption.until)}")
    capped: list[str] = []
    if exemption is not None and exemption.expired:
        findings.append(_Finding(None, Action.NONE, f"{policy.exempt_until_tag}={exemption.raw.strip()[:40]} has "
                                                    f"expired"))
    if exemption is not None and exemption.problem:
        findings.append(_Finding(Reason.BAD_EXEMPTION, Action.NOTIFY, f"{exemption.problem}: notified, not stopped"))
        capped.append("exemption")
    # A look-alike of the exemption key is the owner's word, mistyped: honoured as "notify, never stop" (like an
    # unreadable value). Also without its prefix (`exempt-until`): bare `violation` or `managed` keys are common for
    # other purposes. A look-alike of a key the guard itself writes (stop-after, violation, ...) says nothing of
    # the owner's intent: reported, and it changes nothing (else one self-written tag would make a GPU unstoppable).
    exempt_misses = exemption_lookalikes(resource.tags, policy.exempt_until_tag)
    guard_misses = {t: k for t, k in near_misses(resource.tags, policy.guard_tag_keys).items()
                    if k != policy.exempt_until_tag and t not in exempt_misses}
    if exempt_misses:
        said = ", ".join(f"'{tag}' looks like '{key}'" for tag, key in sorted(exempt_misses.items()))
        findings.append(_Finding(Reason.NEAR_MISS_TAG, Action.NOTIFY, f"{said} (tag keys are exact): notified, "
                                                                      f"not stopped"))
        capped.append("near miss")
    if guard_misses:
        said = ", ".join(f"'{tag}' looks like '{key}'" for tag, key in sorted(guard_misses.items()))
        findings.append(_Finding(Reason.NEAR_MISS_TAG, Action.NOTIFY, f"{said}: a key the guard writes itself; "
                                                                      f"it changes nothing"))
    findings += _untagged(resource, policy, now, setting.enforce)
    if signals is not None:
        findings += _activity(resource, signals, policy, now, setting.enforce)
    findings += _runtime(resource, policy, now, setting.enforce, setting.env)
    findings += _accelerators(resource, policy, setting.enforce)
    if managed is not None:
        capped.append(f"managed by {managed}: not stopped or marked (its manager would replace it); scale or fix "
                      f"the manager instead")
    if resource.kind is Kind.ENDPOINT and resource.missing_config:
        capped.append(f"its endpoint config {resource.missing_config} no longer exists, so its instance types "
                      f"cannot be read: notified, not deleted")
    elif resource.kind is Kind.ENDPOINT and not any(count > 0 for _, count in resource.billed()):
        capped.append("scaled to zero instances: nothing to stop")
    if not any(f.reason is not None or f.action is not Action.NONE for f in findings):
        return decision(Action.NONE, (Reason.COMPLIANT,), "compliant")
    strongest = max(findings, key=lambda f: _STRENGTH[f.action])
    reasons = tuple(dict.fromkeys(f.reason for f in findings if f.reason is not None)) or (Reason.COMPLIANT,)
    action = strongest.action
    details = [f.detail for f in findings if f.reason is not None or f.action is action or f.action is Action.NONE]
    if capped and action in (Action.STOP, Action.MARK):
        action = Action.NOTIFY
        details += [c for c in capped if c.startswith(("managed", "its endpoint", "scaled"))]
    if action is Action.MARK:
        return decision(action, reasons, "; ".join(details), strongest.stop_after,
                        (policy.violation_tag, policy.stop_after_tag))
    if action is Action.STOP:
        write = (policy.stopped_by_tag, policy.violation_tag, policy.stop_after_tag) if strongest.marks else (
            policy.stopped_by_tag,)
        return decision(action, reasons, "; ".join(details), strongest.stop_after if strongest.marks else None,
                        write if resource.kind is not Kind.ENDPOINT else ())
    return decision(action, reasons, "; ".join(details))


def needs_signals(resource: Resource, policy: GuardPolicy, now: datetime) -> bool:
    """Whether CloudWatch can still change the decision: EC2 instances and endpoints that are neither exempt nor
    already stopped for another reason (untagged with grace 0, a forbidden type)."""
    if resource.kind not in (Kind.EC2_INSTANCE, Kind.ENDPOINT):
        return False
    early = decide(resource, None, policy, now)
    return early.reasons != _SETTLED and early.action is not Action.STOP


def environment_of(resource: Resource, policy: GuardPolicy) -> str | None:
    """The resource's environment tag when it names a configured environment, else its account's environment."""
    tagged = resource.tags.get(policy.environment_tag, "").strip()
    if tagged in policy.environments:
        return tagged
    return policy.account_environment(resource.account)


def _setting(resource: Resource, policy: GuardPolicy) -> _Setting:
    """The environment that applies, the mode, and the environment findings (mismatch, unknown)."""
    environment = environment_of(resource, policy)
    env = policy.environments.get(environment) if environment else None
    tagged = resource.tags.get(policy.environment_tag, "").strip()
    findings: list[_Finding] = []
    cautious = False
    if tagged and tagged not in policy.environments:
        findings.append(_Finding(Reason.ENVIRONMENT_UNKNOWN, Action.NOTIFY,
                                 f"tagged {policy.environment_tag}={tagged[:64]!r}, not a configured environment "
                                 f"({', '.join(policy.environments)}): the account's environment applies, "
                                 f"notify-only"))
        cautious = True
    mismatch = _account_environment_if_other(resource, policy, env)
    if mismatch is not None:
        findings.append(_Finding(Reason.ENVIRONMENT_MISMATCH, Action.NOTIFY,
                                 f"tagged {policy.environment_tag}={environment} in an account of {mismatch.name}: "
                                 f"the more cautious guard mode applies"))
    stop_mode = (env is not None and env.mode == "stop" and not cautious
                 and (mismatch is None or mismatch.mode == "stop"))
    return _Setting(environment, env, Action.STOP if stop_mode else Action.NOTIFY, tuple(findings))


def _account_environment_if_other(resource: Resource, policy: GuardPolicy,
                                  tagged: EnvironmentPolicy | None) -> EnvironmentPolicy | None:
    """The account's environment when the tag names another one that does not list this account."""
    name = policy.account_environment(resource.account)
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
        return moment.astimezone(UTC) if moment.tzinfo is not None else None
    except (ValueError, OverflowError):
        return None


def _room(resource: Resource, keys: tuple[str, ...]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(keys that fit, keys that do not) under the tag limit, in the order given (the most important first).
    Keys already on the resource are overwritten and always fit; `aws:` system tags do not count."""
    used = sum(1 for key in resource.tags if not key.startswith("aws:"))
    fits: list[str] = []
    left: list[str] = []
    for key in keys:
        if key in resource.tags:
            fits.append(key)
        elif used < TAG_LIMIT:
            fits.append(key)
            used += 1
        else:
            left.append(key)
    return tuple(fits), tuple(left)


def _untagged(resource: Resource, policy: GuardPolicy, now: datetime, enforce: Action) -> list[_Finding]:
    tags = resource.tags
    missing = [key for key in policy.required_tags if not tags.get(key, "").strip()]
    marked = policy.violation_tag in tags or policy.stop_after_tag in tags
    if not missing:
        fixed = _Finding(None, Action.UNMARK, "required tags fixed before the deadline: marks removed")
        return [fixed] if marked else []
    lookalikes = near_misses(tags, missing)
    what = f"missing required tags: {', '.join(missing)}"
    if lookalikes:
        what += " (" + ", ".join(f"'{t}' is not '{k}': keys are case-sensitive" for t, k in lookalikes.items()) + ")"
    grace = timedelta(minutes=policy.grace_minutes)
    latest = _ceil_second(now + grace)
    if _room(resource, (policy.violation_tag, policy.stop_after_tag))[1]:
        return [_unmarkable(resource, policy, now, enforce, what)]
    raw = tags.get(policy.stop_after_tag)
    deadline = parse_utc(raw)
    launched = _utc(resource.launched_at)
    stale = deadline is not None and launched is not None and deadline < launched
    if deadline is None or deadline > latest or stale:
        why = ""
        if raw is not None:
            why = (f" ({policy.stop_after_tag}={raw[:40]!r} is malformed)" if deadline is None
                   else f" ({policy.stop_after_tag}={raw!r} is older than the resource: copied, not ours)" if stale
                   else f" ({policy.stop_after_tag}={raw!r} is beyond the grace period)")
        if policy.grace_minutes == 0 and enforce is Action.STOP:
            return [_Finding(Reason.UNTAGGED, Action.STOP, f"{what}; no grace period{why}",
                             now.replace(microsecond=0), marks=True)]
        return [_Finding(Reason.UNTAGGED, Action.MARK, f"{what}; deadline {format_utc(latest)}{why}", latest)]
    if now <= deadline and policy.grace_minutes > 0:
        return [_Finding(Reason.UNTAGGED, Action.NONE, f"{what}; grace period until {format_utc(deadline)}")]
    return [_Finding(Reason.UNTAGGED, enforce, f"{what}; grace period ended {format_utc(deadline)}")]


def _unmarkable(resource: Resource, policy: GuardPolicy, now: datetime, enforce: Action, what: str) -> _Finding:
    """Untagged, and no room for the marks: the grace period runs from the launch time."""
    note = (f"no room for {policy.violation_tag} and {policy.stop_after_tag} ({TAG_LIMIT}-tag limit): "
            f"grace period counted from launch")
    launched = _utc(resource.launched_at)
    if launched is None:
        return _Finding(Reason.UNTAGGED, Action.NOTIFY, f"{what}; {note}, and the launch time is unknown",
                        unmarkable=True)
    deadline = _ceil_second(launched + timedelta(minutes=policy.grace_minutes))
    if now < deadline:
        return _Finding(Reason.UNTAGGED, Action.NOTIFY, f"{what}; {note}: until {format_utc(deadline)}",
                        unmarkable=True)
    return _Finding(Reason.UNTAGGED, enforce, f"{what}; {note}: ended {format_utc(deadline)}", unmarkable=True)


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
        if Signal.GPU not in signals.partial:
            return [_Finding(Reason.IDLE, enforce, f"idle: GPU utilisation at most {top[Signal.GPU]:g}% (threshold "
                                                   f"{policy.gpu_percent:g}%) over {minutes} minutes")]
        del top[Signal.GPU]  # reported for part of the window only: CPU and network decide
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


def _accelerators(resource: Resource, policy: GuardPolicy, enforce: Action) -> list[_Finding]:
    """Accelerated types (the scan's classification; else the catalog's) running now that the environment of the
    account (where it runs; else of the tag) does not allow: routes the SCPs cannot see (EKS, Batch, EMR, Spot
    Fleet, service-linked roles, the management account). A family only DescribeInstanceTypes knows is not
    allowed anywhere until the catalog classifies it."""
    name = policy.account_environment(resource.account) or environment_of(resource, policy)
    env = policy.environments.get(name) if name else None
    if env is None:
        return []
    sagemaker = resource.kind is not Kind.EC2_INSTANCE
    accelerated = set(resource.accelerated_types)
    running = {t for t, count in resource.billed() if count > 0 and t}
    refused = sorted(t for t in running if (t in accelerated if accelerated else policy.is_catalog_accelerated(t))
                     and not env.allows(t, sagemaker=sagemaker))
    if not refused:
        return []
    allowed = ", ".join(a for a in env.accelerators if a.startswith("ml.") == sagemaker) or "none"
    return [_Finding(Reason.ACCELERATOR_NOT_ALLOWED, enforce,
                     f"{', '.join(refused)} not allowed in {env.name} (allowed: {allowed})")]


def _utc(moment: datetime | None) -> datetime | None:
    if moment is None:
        return None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _ceil_second(moment: datetime) -> datetime:
    return moment if moment.microsecond == 0 else moment.replace(microsecond=0) + timedelta(seconds=1)
