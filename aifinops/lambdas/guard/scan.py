"""One guard scan: per region inventory -> tags -> signals -> decide -> confirm -> price -> act, regions
concurrently (one thread per region, at most MAX_WORKERS), into one Summary.

- Accelerated: one `inventory.Classifier` for every kind (DescribeInstanceTypes' accelerator info, or a catalog
  family). Without the type list (the call failed) the catalog alone decides and the error is reported.
- Signals are read only where they can still change the action (`decide.needs_signals`): not for exempt
  resources, nor for those already stopped for another reason (untagged with grace 0, a forbidden type).
- Confirm: a SageMaker resource about to be stopped on tags read from the tagging API (which can lag) has its
  tags read again with ListTags and is decided again; if they cannot be read, it is not stopped (notified).
- Price: every listed decision (pricing.py); the Price List is asked only for what the catalog cannot price.

Time budget: the clock is checked before each stage of each region (and between action batches); once the
budget is spent the scan stops cleanly and lists what it did not reach (`not_reached`: region, stage, resource
ids; "*" for a region whose inventory never started). API calls are counted per `service:Operation` with a
botocore `before-call` hook on every client the scan uses (logical calls: retries are not counted again).
"""

from __future__ import annotations

import dataclasses
import threading
import time
from collections import Counter
from collections.abc import Callable, Collection, MutableMapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from aifinops_runtime.clients import API_ERRORS, describe_error

from . import inventory, signals, tags
from .act import NOT_REACHED, apply
from .clients import Clients
from .decide import decide, format_utc, needs_signals
from .model import Action, Decision, Kind, Reason, Resource, Signals
from .policy import GuardPolicy
from .pricing import PriceBook
from .report import Summary

__all__ = ["MAX_WORKERS", "CountingClients", "scan"]

MAX_WORKERS = 4
Progress = Callable[[str, str], None]  # (region, stage)


class CountingClients:
    """Wraps a Clients and counts each client's API calls per `service:Operation` (thread-safe)."""

    def __init__(self, inner: Clients) -> None:
        self.inner = inner
        self.calls: Counter[str] = Counter()
        self._hooked: dict[int, Any] = {}
        self._lock = threading.Lock()

    def client(self, service: str, region: str) -> Any:
        client = self.inner.client(service, region)
        with self._lock:
            if id(client) not in self._hooked:
                self._hooked[id(client)] = client
                client.meta.events.register("before-call", self._count)
        return client

    def close(self) -> None:
        """Unhook from the (cached, possibly reused) clients."""
        with self._lock:
            for client in self._hooked.values():
                client.meta.events.unregister("before-call", self._count)
            self._hooked.clear()

    def _count(self, model: Any = None, **_: Any) -> None:
        if model is not None:
            with self._lock:
                self.calls[f"{model.service_model.service_name}:{model.name}"] += 1


@dataclass
class _Region:
    decisions: list[tuple[Decision, str]] = field(default_factory=list)
    errors: list[Any] = field(default_factory=list)
    warnings: list[dict[str, Any]] = field(default_factory=list)
    not_reached: list[dict[str, Any]] = field(default_factory=list)
    unwritten: dict[str, tuple[str, ...]] = field(default_factory=dict)  # ARN -> guard tags act could not write


def scan(policy: GuardPolicy, clients: Clients, regions: Sequence[str], *, now: datetime, enforce: bool,
         time_budget_seconds: float | None = None, clock: Callable[[], float] = time.monotonic,
         only: Collection[str] | None = None, trigger: str = "schedule", progress: Progress | None = None,
         type_cache: MutableMapping[str, frozenset[str]] | None = None) -> Summary:
    """Scan `regions` at `now`; act only with `enforce` (else decisions only, results "planned"). `only`
    restricts decisions and actions to those resource ids (a create event). `type_cache` (region -> accelerated
    type names) keeps DescribeInstanceTypes' answer across scans (a warm Lambda container, tests)."""
    started = clock()
    deadline = None if time_budget_seconds is None else started + time_budget_seconds
    counting = CountingClients(clients)
    prices = PriceBook(policy, counting)

    def expired() -> bool:
        return deadline is not None and clock() >= deadline

    def one(region: str) -> _Region:
        try:
            return _scan_region(policy, counting, prices, region, now=now, enforce=enforce, expired=expired,
                                only=only, progress=progress or (lambda _r, _s: None),
                                types=type_cache if type_cache is not None else {})
        except Exception as exc:  # a bug in one region must not hide what the others did
            failed = _Region()
            failed.errors.append({"resource": "*", "kind": "scan", "region": region, "operation": "scan",
                                  "code": type(exc).__name__, "message": str(exc)[:500]})
            return failed

    regions = list(dict.fromkeys(regions))  # a region listed twice is scanned (and acted on) once
    summary = Summary(scanned_at=format_utc(now), dry_run=not enforce, regions=list(regions), trigger=trigger)
    results: list[_Region] = []
    try:
        if regions:
            with ThreadPoolExecutor(max_workers=min(len(regions), MAX_WORKERS)) as pool:
                results = list(pool.map(one, regions))
    finally:
        counting.close()
    for result in results:
        summary.decisions += result.decisions
        for error in result.errors:
            summary.add_error(error)
        summary.warnings += result.warnings
        summary.not_reached += result.not_reached
        summary.unwritten.update(result.unwritten)
    summary.warnings += prices.warnings
    summary.api_calls = dict(counting.calls)
    summary.duration_ms = int((clock() - started) * 1000)
    return summary


def _scan_region(policy: GuardPolicy, clients: CountingClients, prices: PriceBook, region: str, *, now: datetime,
                 enforce: bool, expired: Callable[[], bool], only: Collection[str] | None, progress: Progress,
                 types: MutableMapping[str, frozenset[str]]) -> _Region:
    out = _Region()
    if expired():
        out.not_reached.append({"region": region, "stage": "inventory", "resources": ["*"]})
        return out
    progress(region, "inventory")
    resources = _inventory(policy, clients, region, types, out, only)
    if expired():
        out.not_reached.append({"region": region, "stage": "signals", "resources": [r.id for r in resources]})
        return out
    progress(region, "signals")
    cloudwatch = clients.client("cloudwatch", region)
    read = _measure(cloudwatch, [r for r in resources if needs_signals(r, policy, now)], policy, now, out)
    progress(region, "decide")
    decisions = [decide(r, read.get(r.arn), policy, now) for r in resources]
    decisions = _confirmed(decisions, policy, clients.client("sagemaker", region), cloudwatch, read, now, out)
    decisions = [_priced(d, prices) for d in decisions]
    acting = [d for d in decisions if d.action in (Action.MARK, Action.UNMARK, Action.STOP)]
    if expired():
        out.decisions = [(d, NOT_REACHED if d in acting else "") for d in decisions]
        out.not_reached.append({"region": region, "stage": "act", "resources": [d.resource.id for d in acting]})
        return out
    progress(region, "act" if enforce else "plan")
    outcome = apply(acting, clients, policy, now=now, dry_run=not enforce, expired=expired)
    out.errors += outcome.errors
    out.unwritten.update(outcome.unwritten)
    out.decisions = [(d, outcome.results.get(d.resource.arn, "")) for d in decisions]
    late = [d.resource.id for d in acting if outcome.results.get(d.resource.arn) == NOT_REACHED]
    if late:
        out.not_reached.append({"region": region, "stage": "act", "resources": late})
    progress(region, "done")
    return out


def _inventory(policy: GuardPolicy, clients: CountingClients, region: str,
               types: MutableMapping[str, frozenset[str]], out: _Region,
               only: Collection[str] | None) -> list[Resource]:
    """The region's running accelerated resources (of `only`, when given), SageMaker ones with their tags."""
    ec2, sm = clients.client("ec2", region), clients.client("sagemaker", region)
    described = types.get(region)
    if described is None:
        try:
            described = types[region] = inventory.accelerated_types(ec2)
        except API_ERRORS as exc:
            described = frozenset()
            code, message = describe_error(exc)
            out.errors.append({"resource": "*", "kind": Kind.EC2_INSTANCE.value, "region": region,
                               "operation": "DescribeInstanceTypes", "code": code,
                               "message": f"{message} (the catalog's accelerated types were scanned)"})
    accelerated = inventory.Classifier(frozenset(policy.accelerated_families), described)
    found = inventory.ec2_instances(ec2, described | set(policy.accelerated_types), accelerated)
    found.extend(inventory.endpoints(sm, accelerated))
    found.extend(inventory.notebooks(sm, accelerated))
    found.extend(inventory.training_jobs(sm, accelerated))
    out.errors += [{**vars(e), "region": region} for e in found.errors]
    wanted = [r for r in found.resources if only is None or r.id in only]
    machines = [r for r in wanted if r.kind is Kind.EC2_INSTANCE]
    tagged = tags.sagemaker_tags(clients.client("resourcegroupstaggingapi", region), sm,
                                 [r for r in wanted if r.kind is not Kind.EC2_INSTANCE])
    out.errors += [{**e, "region": region} for e in tagged.errors]
    out.warnings += [{**w, "region": region} for w in tagged.warnings]
    return machines + tagged.resources


def _measure(cloudwatch: Any, resources: list[Resource], policy: GuardPolicy, now: datetime,
             out: _Region) -> dict[str, Signals]:
    """Resource ARN -> its signals, for the resources given (none: no call)."""
    if not resources:
        return {}
    measured = signals.collect(cloudwatch, resources, window_minutes=policy.idle_window_minutes, now=now)
    out.errors += [{**vars(e), "region": resources[0].region} for e in measured.errors]
    return dict(measured.signals)


def _confirmed(decisions: list[Decision], policy: GuardPolicy, sm: Any, cloudwatch: Any, read: dict[str, Signals],
               now: datetime, out: _Region) -> list[Decision]:
    """Stops of SageMaker resources decided on tagging-API tags, decided again on the tags SageMaker holds now;
    one whose fresh tags make signals matter again (it was to be stopped as untagged, it is tagged after all) is
    measured first."""
    confirmed: list[Decision] = []
    fresh_ones: dict[int, Resource] = {}
    for d in decisions:
        if d.action is not Action.STOP or d.resource.tags_source != tags.TAGGING_API:
            confirmed.append(d)
            continue
        try:
            fresh = tags.confirm(sm, d.resource)
        except API_ERRORS as exc:
            code, message = describe_error(exc)
            out.errors.append({"resource": d.resource.id, "kind": d.resource.kind.value,
                               "region": d.resource.region, "operation": "ListTags", "code": code,
                               "message": message[:500]})
            confirmed.append(dataclasses.replace(
                d, action=Action.NOTIFY, tags_to_write=(),
                detail=f"{d.detail}; not stopped: its tags could not be confirmed ({code})"))
            continue
        fresh_ones[len(confirmed)] = fresh
        confirmed.append(d)
    unmeasured = [r for r in fresh_ones.values() if r.arn not in read and needs_signals(r, policy, now)]
    read = {**read, **_measure(cloudwatch, unmeasured, policy, now, out)}
    for index, fresh in fresh_ones.items():
        confirmed[index] = decide(fresh, read.get(fresh.arn), policy, now)
    return confirmed


def _priced(decision: Decision, prices: PriceBook) -> Decision:
    if decision.action is Action.NONE and decision.reasons == (Reason.COMPLIANT,):
        return decision  # not listed: no price needed
    quote = prices.quote(decision.resource)
    note = decision.resource.pricing_note
    return dataclasses.replace(decision, hourly_usd=quote.usd, price_estimate=quote.estimate,
                               price_source=quote.source, unpriced_types=quote.unpriced,
                               detail=f"{decision.detail}; price: {note}" if note else decision.detail)
