"""Signals: what CloudWatch says about each resource over the idle window, with as few calls as possible.

One `GetMetricData` call carries up to 500 queries (the API's limit, documented for `MetricDataQueries`) for many
resources; the queries of the whole fleet go in chunks of 500, each chunk paginated with NextToken (100,800
datapoints per response at most; a 1-hour window at 300 s is 12 datapoints a query, so a chunk fits in one
response). moto 5.2.5 neither rejects more than 500 queries nor returns a NextToken: the chunking is ours. Calls:
ceil(Q/500) with Q = 4 per EC2 instance (+1 per GPU stream with more dimensions than InstanceId) + 2 per endpoint
variant (3 per variant + 1 for an asynchronous endpoint), and ceil(G/500) ListMetrics for G GPU streams (moto lists
a stream once per datapoint). Notebooks and training jobs have no idle metric (their rules are tags and running time)
and get no queries.

Queries:
- EC2: `AWS/EC2` CPUUtilization (Maximum), NetworkIn and NetworkOut (Sum per period, summed per timestamp and
  divided by the period: bytes per second), and the CloudWatch agent's `CWAgent` `nvidia_smi_utilization_gpu`
  (Maximum) with the single dimension InstanceId. The agent publishes that metric per GPU with `index`, `name`,
  `host` and whatever `append_dimensions` adds; an exact-dimension query only matches a metric with exactly
  {InstanceId} (the agent's `aggregation_dimensions: [["InstanceId"]]`), so one ListMetrics pass for that metric
  (`gpu_streams`) finds every other stream naming an instance (`append_dimensions` with InstanceId), and each
  gets a query of its own: the busiest GPU counts. We do not use a SEARCH expression (one per instance would be
  needed, and moto returns nothing for it). An instance without that metric simply has no GPU signal and is
  judged on CPU and network.
- Endpoints, every variant: `AWS/SageMaker` Invocations (Sum) and `/aws/sagemaker/Endpoints` GPUUtilization
  (Maximum), dimensions EndpointName + VariantName. Invocations are emitted only with traffic: when the window is
  covered, no datapoint means 0. An asynchronous endpoint publishes no Invocations at all (AWS: "Any metric not
  listed below is not published if the endpoint is enabled for asynchronous inference"): its variants also get
  InvocationsProcessed (Sum), and the endpoint ApproximateBacklogSize (Maximum, dimension EndpointName); requests
  processed or waiting count as invocations.

`Signals.maximum[s]` is the largest datapoint of signal `s` in the window; for an endpoint, Invocations are summed
over its variants per period and GPUUtilization is the busiest variant's. Coverage rule (`covered`):
- the resource's `launched_at` is known and at least `window_minutes` before `now`, and
- EC2 only: a CPUUtilization datapoint exists within the first two periods of the window (timestamp < start +
  2 * period: one late or missing period is tolerated, the instance was reporting when the window opened).
  An instance with no datapoints at all is therefore never covered.
A chunk whose call fails, or a query answered with StatusCode InternalError or Forbidden inside a successful
answer, leaves its resources uncovered (no signal: never called idle) and records the error. A GPU metric whose
datapoints start after the window opened (the agent restarted) is `partial`: it can show use, never idleness.
Results are keyed by ARN: an endpoint may legally be named like an instance id.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from aifinops_runtime.clients import API_ERRORS, describe_error, pages

from .model import Kind, Resource, Signal, Signals

__all__ = ["QUERIES_PER_CALL", "SignalsError", "SignalsResult", "collect", "gpu_streams", "queries_for"]

QUERIES_PER_CALL = 500
GPU_NAMESPACE, GPU_METRIC = "CWAgent", "nvidia_smi_utilization_gpu"
RECENTLY_ACTIVE_MINUTES = 180  # ListMetrics RecentlyActive=PT3H: streams with a datapoint in the last 3 hours
DEFAULT_PERIOD = 300
FAILED_STATUS = ("InternalError", "Forbidden")  # a query's StatusCode: its datapoints (if any) are not the truth


Dimensions = tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class _Query:
    resource: str  # the resource's ARN (an endpoint may be named like an instance id)
    signal: Signal
    part: str  # which metric of the signal: "cpu", "in", "out", "gpu", "invocations"
    namespace: str
    metric: str
    dimensions: Dimensions
    stat: str


@dataclass(frozen=True)
class SignalsError:
    resources: tuple[str, ...]  # the ids of the resources the failed call or query was about
    operation: str
    code: str
    message: str


@dataclass
class SignalsResult:
    signals: dict[str, Signals] = field(default_factory=dict)  # resource ARN -> Signals (every resource given)
    calls: int = 0  # GetMetricData calls made (pages included)
    queries: int = 0
    errors: list[SignalsError] = field(default_factory=list)


def queries_for(resource: Resource, gpu_streams: Iterable[Dimensions] = ()) -> list[_Query]:
    """The metric queries one resource needs (none for notebooks and training jobs); for an EC2 instance also one
    per GPU metric stream of `gpu_streams` (the agent's dimension sets naming the instance, see `gpu_streams`)."""
    rid, key = resource.id, resource.arn
    dims: Dimensions
    if resource.kind is Kind.EC2_INSTANCE:
        dims = (("InstanceId", rid),)
        return [_Query(key, Signal.CPU, "cpu", "AWS/EC2", "CPUUtilization", dims, "Maximum"),
                _Query(key, Signal.NETWORK, "in", "AWS/EC2", "NetworkIn", dims, "Sum"),
                _Query(key, Signal.NETWORK, "out", "AWS/EC2", "NetworkOut", dims, "Sum"),
                _Query(key, Signal.GPU, "gpu", GPU_NAMESPACE, GPU_METRIC, dims, "Maximum"),
                *(_Query(key, Signal.GPU, "gpu", GPU_NAMESPACE, GPU_METRIC, stream, "Maximum")
                  for stream in gpu_streams if set(stream) != set(dims))]
    if resource.kind is Kind.ENDPOINT:
        out: list[_Query] = []
        for variant in resource.variants:
            dims = (("EndpointName", rid), ("VariantName", variant))
            out += [_Query(key, Signal.INVOCATIONS, "invocations", "AWS/SageMaker", "Invocations", dims, "Sum"),
                    _Query(key, Signal.GPU, "gpu", "/aws/sagemaker/Endpoints", "GPUUtilization", dims, "Maximum")]
            if resource.asynchronous:  # no `Invocations` for an asynchronous endpoint: requests processed
                out.append(_Query(key, Signal.INVOCATIONS, "invocations", "AWS/SageMaker", "InvocationsProcessed",
                                  dims, "Sum"))
        if resource.asynchronous:  # and requests waiting in its queue (dimension EndpointName only)
            out.append(_Query(key, Signal.INVOCATIONS, "backlog", "AWS/SageMaker", "ApproximateBacklogSize",
                              (("EndpointName", rid),), "Maximum"))
        return out
    return []


def collect(cloudwatch: Any, resources: Iterable[Resource], *, window_minutes: int,
            period_seconds: int = DEFAULT_PERIOD, now: datetime | None = None) -> SignalsResult:
    """Signals for every resource over [now - window, now], in ceil(queries / 500) GetMetricData calls."""
    now = (now or datetime.now(UTC)).astimezone(UTC)
    window = timedelta(minutes=window_minutes)
    epoch = math.ceil((now - window).timestamp())
    # Aligned to the period, up: every datapoint read lies inside the window, so activity before it (busy, then
    # idle for the whole window) never counts.
    start = datetime.fromtimestamp(epoch + (-epoch % period_seconds), UTC)
    items = list(resources)
    ids = {r.arn: r.id for r in items}
    result = SignalsResult()
    streams = gpu_streams(cloudwatch, [r for r in items if r.kind is Kind.EC2_INSTANCE], window_minutes, result)
    queries = [q for r in items for q in queries_for(r, streams.get(r.id, ()))]
    result.queries = len(queries)
    # resource ARN -> part -> timestamp -> value
    series: dict[str, dict[str, dict[datetime, float]]] = defaultdict(lambda: defaultdict(dict))
    failed: set[str] = set()
    for offset in range(0, len(queries), QUERIES_PER_CALL):
        chunk = queries[offset:offset + QUERIES_PER_CALL]
        request = [_request(f"q{offset + i}", q, period_seconds) for i, q in enumerate(chunk)]
        try:
            for page in _pages(cloudwatch, request, start, now, result):
                for data in page.get("MetricDataResults", []):
                    query = queries[int(data["Id"][1:])]
                    if data.get("StatusCode") in FAILED_STATUS:  # an error inside a successful answer
                        if query.resource not in failed:
                            failed.add(query.resource)
                            result.errors.append(SignalsError((ids[query.resource],), "GetMetricData",
                                                              str(data["StatusCode"]), _messages(data)))
                        continue
                    values = series[query.resource][query.part]
                    for ts, value in zip(data.get("Timestamps", []), data.get("Values", []), strict=False):
                        key = ts.astimezone(UTC)
                        if key not in values:
                            values[key] = value
                        elif query.part == "invocations":  # endpoint variants: summed per period
                            values[key] += value
                        else:  # variants' GPU: the busiest one
                            values[key] = max(values[key], value)
        except API_ERRORS as exc:
            arns = tuple(dict.fromkeys(q.resource for q in chunk))
            failed.update(arns)
            code, message = describe_error(exc)
            result.errors.append(SignalsError(tuple(ids[a] for a in arns), "GetMetricData", code, message))
    for resource in items:
        if resource.arn in failed:
            result.signals[resource.arn] = Signals()  # no signal: never called idle
            continue
        result.signals[resource.arn] = _signals(resource, series.get(resource.arn, {}), start=start, now=now,
                                                window=window, period=period_seconds)
    return result


def gpu_streams(cloudwatch: Any, instances: list[Resource], window_minutes: int,
                result: SignalsResult) -> dict[str, list[Dimensions]]:
    """Instance id -> the dimension sets of the agent's GPU metric streams that name it (InstanceId among them):
    the agent publishes one stream per GPU (`index`, `name`, `host`, and what `append_dimensions` adds: InstanceId,
    InstanceType, ImageId ...), which the query by InstanceId alone never matches unless the agent also aggregates
    by InstanceId. Unread, a GPU-bound instance with a quiet CPU and network would look idle. ListMetrics for the
    one metric, ceil(streams / 500) calls (none without instances); RecentlyActive (the last 3 hours) when the
    window fits in it. A failure is recorded and the instances are queried by InstanceId alone, as before."""
    wanted = {r.id for r in instances}
    found: dict[str, list[Dimensions]] = defaultdict(list)
    if not wanted:
        return found
    kwargs: dict[str, Any] = {"Namespace": GPU_NAMESPACE, "MetricName": GPU_METRIC}
    if window_minutes <= RECENTLY_ACTIVE_MINUTES:
        kwargs["RecentlyActive"] = "PT3H"
    try:
        for page in pages(cloudwatch.list_metrics, "NextToken", **kwargs):
            for metric in page.get("Metrics", []):
                # In the order listed: moto 5.2.5 matches a query's dimensions to a stream's in order (its
                # Dimension.__lt__ is broken); AWS matches them as a set.
                dims = tuple((str(d["Name"]), str(d["Value"])) for d in metric.get("Dimensions", []) if "Value" in d)
                instance = dict(dims).get("InstanceId")
                if instance in wanted and not any(set(dims) == set(seen) for seen in found[instance]):
                    found[instance].append(dims)
    except API_ERRORS as exc:
        code, message = describe_error(exc)
        result.errors.append(SignalsError(tuple(sorted(wanted)), "ListMetrics", code,
                                          f"{message[:300]} (GPU metrics read by InstanceId alone)"))
    return found


def _messages(data: dict[str, Any]) -> str:
    return "; ".join(str(m.get("Value", m.get("Code", ""))) for m in data.get("Messages", [])) or "no datapoints"


def _signals(resource: Resource, parts: dict[str, dict[datetime, float]], *, start: datetime, now: datetime,
             window: timedelta, period: int) -> Signals:
    maximum: dict[Signal, float] = {}
    for part, signal in (("cpu", Signal.CPU), ("gpu", Signal.GPU), ("invocations", Signal.INVOCATIONS),
                         ("backlog", Signal.INVOCATIONS)):
        if parts.get(part):
            maximum[signal] = max(maximum.get(signal, -math.inf), *parts[part].values())
    network_in, network_out = parts.get("in", {}), parts.get("out", {})
    if network_in or network_out:
        maximum[Signal.NETWORK] = max((network_in.get(ts, 0.0) + network_out.get(ts, 0.0)) / period
                                      for ts in network_in.keys() | network_out.keys())
    old_enough = resource.launched_at is not None and resource.launched_at <= now - window
    covered = old_enough
    opened = start + timedelta(seconds=2 * period)  # one late or missing period is tolerated
    partial: set[Signal] = set()
    if resource.kind is Kind.EC2_INSTANCE:
        covered = old_enough and any(ts < opened for ts in parts.get("cpu", {}))
        if parts.get("gpu") and not any(ts < opened for ts in parts["gpu"]):
            partial.add(Signal.GPU)  # the agent started reporting within the window: proof of use, not of idleness
    elif resource.kind is Kind.ENDPOINT and covered:
        maximum.setdefault(Signal.INVOCATIONS, 0.0)  # no datapoint over a covered window: no traffic
    elif resource.kind not in (Kind.EC2_INSTANCE, Kind.ENDPOINT):
        covered = False  # no idle metric for notebooks and training jobs
    return Signals(maximum=maximum, covered=covered, partial=frozenset(partial))


def _request(query_id: str, query: _Query, period: int) -> dict[str, Any]:
    return {"Id": query_id, "ReturnData": True,
            "MetricStat": {"Metric": {"Namespace": query.namespace, "MetricName": query.metric,
                                      "Dimensions": [{"Name": k, "Value": v} for k, v in query.dimensions]},
                           "Period": period, "Stat": query.stat}}


def _pages(cloudwatch: Any, request: list[dict[str, Any]], start: datetime, end: datetime,
           result: SignalsResult) -> Iterator[dict[str, Any]]:
    kwargs: dict[str, Any] = {"MetricDataQueries": request, "StartTime": start, "EndTime": end,
                              "ScanBy": "TimestampAscending"}
    while True:
        result.calls += 1
        page: dict[str, Any] = cloudwatch.get_metric_data(**kwargs)
        yield page
        token = page.get("NextToken")
        if not token:
            return
        kwargs["NextToken"] = token

