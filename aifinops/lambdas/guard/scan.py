"""One guard scan: per region inventory -> signals -> decide -> act, regions concurrently (one thread per region,
at most MAX_WORKERS), into one Summary.

Time budget: the clock is checked before each stage of each region (and between action batches); once the
budget is spent the scan stops cleanly and lists what it did not reach (`not_reached`: region, stage, resource
ids; "*" for a region whose inventory never started). API calls are counted per `service:Operation` with a
botocore `before-call` hook on every client the scan uses (logical calls: retries are not counted again).
Accelerated = DescribeInstanceTypes (GPU, inference accelerator or Neuron info) plus the policy's families;
SageMaker resources count when their type without `ml.` is accelerated. Without the type list (the call
failed) EC2 is skipped for the region (error reported) and SageMaker is matched on the families alone.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable, Collection, MutableMapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from . import inventory, signals
from .act import NOT_REACHED, apply
from .clients import Clients
from .decide import decide, format_utc
from .model import Action, Decision, Kind, Resource
from .policy import GuardPolicy
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
    not_reached: list[dict[str, Any]] = field(default_factory=list)


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

    def expired() -> bool:
        return deadline is not None and clock() >= deadline

    def one(region: str) -> _Region:
        return _scan_region(policy, counting, region, now=now, enforce=enforce, expired=expired, only=only,
                            progress=progress or (lambda _r, _s: None),
                            types=type_cache if type_cache is not None else {})

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
        summary.not_reached += result.not_reached
    summary.api_calls = dict(counting.calls)
    summary.duration_ms = int((clock() - started) * 1000)
    return summary


def _scan_region(policy: GuardPolicy, clients: CountingClients, region: str, *, now: datetime, enforce: bool,
                 expired: Callable[[], bool], only: Collection[str] | None, progress: Progress,
                 types: MutableMapping[str, frozenset[str]]) -> _Region:
    out = _Region()
    if expired():
        out.not_reached.append({"region": region, "stage": "inventory", "resources": ["*"]})
        return out
    progress(region, "inventory")
    ec2, sm = clients.client("ec2", region), clients.client("sagemaker", region)
    families = frozenset(f for f in policy.accelerated_families if "." not in f)
    found = inventory.InventoryResult()
    try:
        accelerated: frozenset[str] | None = types.get(region)
        if accelerated is None:
            accelerated = types[region] = inventory.accelerated_types(ec2, policy.accelerated_families)
    except (ClientError, BotoCoreError) as exc:
        accelerated = None
        code, message = _describe(exc)
        out.errors.append({"resource": "*", "kind": Kind.EC2_INSTANCE.value, "region": region,
                           "operation": "DescribeInstanceTypes", "code": code, "message": message})
    if accelerated is not None:
        found.extend(inventory.ec2_instances(ec2, accelerated))
    found.extend(inventory.endpoints(sm, accelerated))
    found.extend(inventory.notebooks(sm))
    found.extend(inventory.training_jobs(sm))

    def wanted(r: Resource) -> bool:
        if only is not None and r.id not in only:
            return False
        if r.kind is Kind.EC2_INSTANCE:
            return True
        hardware = r.instance_type.removeprefix("ml.")
        return (accelerated is not None and hardware in accelerated) or hardware.split(".")[0] in families

    resources = [r for r in found.resources if wanted(r)]
    out.errors += [{**vars(e), "region": region} for e in found.errors]
    if expired():
        out.not_reached.append({"region": region, "stage": "signals", "resources": [r.id for r in resources]})
        return out
    progress(region, "signals")
    measured = signals.collect(clients.client("cloudwatch", region), resources,
                               window_minutes=policy.idle_window_minutes, now=now)
    out.errors += [{**vars(e), "region": region} for e in measured.errors]
    progress(region, "decide")
    decisions = [decide(r, measured.signals[r.id], policy, now) for r in resources]
    acting = [d for d in decisions if d.action in (Action.MARK, Action.UNMARK, Action.STOP)]
    if expired():
        out.decisions = [(d, NOT_REACHED if d in acting else "") for d in decisions]
        out.not_reached.append({"region": region, "stage": "act", "resources": [d.resource.id for d in acting]})
        return out
    progress(region, "act" if enforce else "plan")
    outcome = apply(acting, clients, policy, now=now, dry_run=not enforce, expired=expired)
    out.errors += outcome.errors
    out.decisions = [(d, outcome.results.get(d.resource.arn, "")) for d in decisions]
    late = [d.resource.id for d in acting if outcome.results.get(d.resource.arn) == NOT_REACHED]
    if late:
        out.not_reached.append({"region": region, "stage": "act", "resources": late})
    progress(region, "done")
    return out


def _describe(exc: ClientError | BotoCoreError) -> tuple[str, str]:
    if isinstance(exc, ClientError):
        err = exc.response.get("Error", {})
        return str(err.get("Code", "Unknown")), str(err.get("Message", exc))
    return type(exc).__name__, str(exc)
