"""Signals on a moto server: GetMetricData in chunks of 500 queries across many resources, per-signal maxima,
endpoint invocations 0 when absent over a covered window, coverage. Datapoints are few (one every 5 minutes
over the window, for a handful of resources): moto scans every stored datapoint on each query."""

from __future__ import annotations

import math
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

from botocore.stub import Stubber

from aifinops.lambdas.guard.clients import ClientFactory
from aifinops.lambdas.guard.inventory import ec2_instances, endpoints
from aifinops.lambdas.guard.model import Kind, Resource, Signal, Signals
from aifinops.lambdas.guard.signals import QUERIES_PER_CALL, collect, queries_for
from tests.lambdas.guard.conftest import REGION, count_calls

WINDOW = 60  # minutes
PERIOD = 300
ROLE = "arn:aws:iam::123456789012:role/sagemaker"


def _window(now: datetime) -> list[datetime]:
    epoch = int((now - timedelta(minutes=WINDOW)).timestamp())
    start = datetime.fromtimestamp(epoch - epoch % PERIOD, UTC)
    return [start + timedelta(seconds=PERIOD * i) for i in range(WINDOW * 60 // PERIOD)]


def _put(cw: Any, namespace: str, metric: str, dims: dict[str, str], points: list[tuple[datetime, float]]) -> None:
    cw.put_metric_data(Namespace=namespace, MetricData=[
        {"MetricName": metric, "Dimensions": [{"Name": k, "Value": v} for k, v in dims.items()], "Timestamp": ts,
         "Value": value} for ts, value in points])


def _old(resource: Resource, now: datetime) -> Resource:
    """moto launches everything now; the fixture ages a resource beyond the window."""
    return replace(resource, launched_at=now - timedelta(minutes=2 * WINDOW))


def test_fleet_needing_800_queries_takes_two_calls(clients: ClientFactory) -> None:
    ec2, cw = clients.client("ec2", REGION), clients.client("cloudwatch", REGION)
    ec2.run_instances(ImageId="ami-12c6146b", MinCount=200, MaxCount=200, InstanceType="g5.xlarge")
    now = datetime.now(UTC)
    fleet = [_old(r, now) for r in ec2_instances(ec2, ["g5.xlarge"]).resources]
    busy, quiet, late, bare = (r.id for r in fleet[:4])
    young = fleet[4].id
    fleet[4] = replace(fleet[4], launched_at=now - timedelta(minutes=10))
    slots = _window(now)
    cpu = [5.0] * (len(slots) - 1) + [42.0]
    _put(cw, "AWS/EC2", "CPUUtilization", {"InstanceId": busy}, list(zip(slots, cpu, strict=True)))
    _put(cw, "AWS/EC2", "NetworkIn", {"InstanceId": busy}, [(ts, 30000.0 if i == 3 else 3000.0)
                                                            for i, ts in enumerate(slots)])
    _put(cw, "AWS/EC2", "NetworkOut", {"InstanceId": busy}, [(ts, 600.0) for ts in slots])
    _put(cw, "CWAgent", "nvidia_smi_utilization_gpu", {"InstanceId": busy}, [(ts, 71.0) for ts in slots[:6]])
    _put(cw, "AWS/EC2", "CPUUtilization", {"InstanceId": quiet}, [(ts, 1.5) for ts in slots])
    _put(cw, "AWS/EC2", "CPUUtilization", {"InstanceId": late}, [(ts, 1.0) for ts in slots[6:]])
    _put(cw, "AWS/EC2", "CPUUtilization", {"InstanceId": young}, [(ts, 1.0) for ts in slots[-2:]])
    calls = count_calls(cw, "GetMetricData")

    result = collect(cw, fleet, window_minutes=WINDOW, period_seconds=PERIOD, now=now)
    got = {r.id: result.signals[r.arn] for r in fleet}  # keyed by ARN

    assert result.queries == 800 and calls[0] == result.calls == math.ceil(800 / QUERIES_PER_CALL) == 2
    assert result.errors == [] and set(result.signals) == {r.arn for r in fleet}
    assert got[busy] == Signals(
        maximum={Signal.CPU: 42.0, Signal.NETWORK: (30000.0 + 600.0) / PERIOD, Signal.GPU: 71.0}, covered=True)
    assert got[quiet] == Signals(maximum={Signal.CPU: 1.5}, covered=True)
    assert got[late] == Signals(maximum={Signal.CPU: 1.0}, covered=False)  # nothing near the start
    assert got[bare] == Signals(maximum={}, covered=False)  # no datapoints at all: never covered
    assert got[young].covered is False  # younger than the window


def test_endpoints_every_variant_and_zero_invocations(clients: ClientFactory) -> None:
    sm, cw = clients.client("sagemaker", REGION), clients.client("cloudwatch", REGION)
    sm.create_model(ModelName="model", ExecutionRoleArn=ROLE, PrimaryContainer={"Image": "image"})
    sm.create_endpoint_config(EndpointConfigName="two", ProductionVariants=[
        {"VariantName": v, "ModelName": "model", "InitialInstanceCount": 1, "InstanceType": "ml.g4dn.xlarge"}
        for v in ("a", "b")])
    for name in ("served", "silent", "new"):
        sm.create_endpoint(EndpointName=name, EndpointConfigName="two")
    now = datetime.now(UTC)
    found = {r.id: r for r in endpoints(sm, lambda _t: True).resources}
    fleet = [_old(found["served"], now), _old(found["silent"], now), found["new"]]
    slots = _window(now)
    _put(cw, "AWS/SageMaker", "Invocations", {"EndpointName": "served", "VariantName": "b"},
         [(slots[2], 7.0), (slots[9], 19.0)])
    _put(cw, "AWS/SageMaker", "Invocations", {"EndpointName": "served", "VariantName": "a"}, [(slots[9], 5.0)])
    _put(cw, "/aws/sagemaker/Endpoints", "GPUUtilization", {"EndpointName": "served", "VariantName": "a"},
         [(ts, 12.0 + i) for i, ts in enumerate(slots)])

    result = collect(cw, fleet, window_minutes=WINDOW, period_seconds=PERIOD, now=now)
    got = {r.id: result.signals[r.arn] for r in fleet}

    assert result.calls == 1 and result.queries == 3 * 2 * 2
    assert got["served"] == Signals(
        maximum={Signal.INVOCATIONS: 19.0 + 5.0, Signal.GPU: 12.0 + len(slots) - 1}, covered=True)
    assert got["silent"] == Signals(maximum={Signal.INVOCATIONS: 0.0}, covered=True)
    assert got["new"] == Signals(maximum={}, covered=False)  # young: no traffic claim


def _resource(kind: Kind, rid: str, launched: datetime | None, variants: tuple[str, ...] = ()) -> Resource:
    return Resource(kind=kind, id=rid, arn=f"arn:{rid}", account="1", region=REGION, instance_type="g5.xlarge",
                    instance_count=1, launched_at=launched, variants=variants)


def test_failed_chunk_leaves_resources_uncovered_and_paginates() -> None:
    """Stubber: moto never returns a NextToken. First chunk (500 queries) pages twice; the second chunk fails."""
    import boto3

    cw = boto3.client("cloudwatch", region_name=REGION, aws_access_key_id="x", aws_secret_access_key="x")
    now = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)
    old = now - timedelta(hours=3)
    fleet = [_resource(Kind.EC2_INSTANCE, f"i-{n:04d}", old) for n in range(130)]  # 520 queries
    fleet.append(_resource(Kind.NOTEBOOK, "nb", old))
    start = datetime(2026, 11, 27, 11, 0, tzinfo=UTC)
    stub = Stubber(cw)
    stub.add_response("list_metrics", {"Metrics": []})  # the GPU streams of the instances: none
    stub.add_response("get_metric_data", {"MetricDataResults": [], "NextToken": "more"})
    stub.add_response("get_metric_data", {"MetricDataResults": [
        {"Id": "q0", "Label": "cpu", "Timestamps": [start], "Values": [3.0], "StatusCode": "Complete"}]})
    stub.add_client_error("get_metric_data", "Throttling", "rate exceeded", http_status_code=400)
    with stub:
        result = collect(cw, fleet, window_minutes=WINDOW, now=now)
        stub.assert_no_pending_responses()
    assert [len(queries_for(r)) for r in fleet[-2:]] == [4, 0]
    assert result.calls == 3
    assert result.signals["arn:i-0000"] == Signals(maximum={Signal.CPU: 3.0}, covered=True)
    assert result.signals["arn:i-0129"] == Signals() and result.signals["arn:nb"] == Signals()
    [error] = result.errors
    assert (error.operation, error.code, error.resources) == ("GetMetricData", "Throttling", ("i-0125", "i-0126",
                                                                                          "i-0127", "i-0128", "i-0129"))


def test_only_datapoints_inside_the_window_count(clients: ClientFactory) -> None:
    """Busy until the window opened, idle all through it: the period that started before the window is not read,
    so the instance is idle (issue 11, "idle after busy")."""
    ec2, cw = clients.client("ec2", REGION), clients.client("cloudwatch", REGION)
    ec2.run_instances(ImageId="ami-12c6146b", MinCount=1, MaxCount=1, InstanceType="g5.xlarge")
    aligned = datetime.fromtimestamp(int(datetime.now(UTC).timestamp()) // PERIOD * PERIOD, UTC)
    now = aligned + timedelta(seconds=150)  # mid-period: the window opens mid-period too
    [resource] = [_old(r, now) for r in ec2_instances(ec2, ["g5.xlarge"]).resources]
    opened = now - timedelta(minutes=WINDOW)
    before = [opened - timedelta(seconds=150 + PERIOD * i) for i in range(4)]  # aligned, before the window
    inside = [before[0] + timedelta(seconds=PERIOD * i) for i in range(1, WINDOW * 60 // PERIOD + 1)]
    _put(cw, "AWS/EC2", "CPUUtilization", {"InstanceId": resource.id},
         [(ts, 95.0) for ts in before] + [(ts, 1.0) for ts in inside])
    _put(cw, "AWS/EC2", "NetworkIn", {"InstanceId": resource.id}, [(ts, 900.0) for ts in before + inside])
    result = collect(cw, [resource], window_minutes=WINDOW, period_seconds=PERIOD, now=now)
    assert result.signals[resource.arn] == Signals(maximum={Signal.CPU: 1.0, Signal.NETWORK: 900.0 / PERIOD},
                                                   covered=True)


def test_a_query_that_failed_inside_a_successful_answer_is_no_signal() -> None:
    """GetMetricData answers 200 with StatusCode InternalError or Forbidden for a query: that resource has no signal
    (an endpoint would otherwise read "no invocations" and be deleted as idle)."""
    import boto3

    cw = boto3.client("cloudwatch", region_name=REGION, aws_access_key_id="x", aws_secret_access_key="x")
    now = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)
    old = now - timedelta(hours=3)
    endpoint, fine = _resource(Kind.ENDPOINT, "ep", old, ("a",)), _resource(Kind.ENDPOINT, "ok", old, ("a",))
    stub = Stubber(cw)
    stub.add_response("get_metric_data", {"MetricDataResults": [
        {"Id": "q0", "Label": "invocations", "Timestamps": [], "Values": [], "StatusCode": "InternalError",
         "Messages": [{"Code": "InternalError", "Value": "try later"}]},
        {"Id": "q1", "Label": "gpu", "Timestamps": [], "Values": [], "StatusCode": "Complete"},
        {"Id": "q2", "Label": "invocations", "Timestamps": [], "Values": [], "StatusCode": "Complete"},
        {"Id": "q3", "Label": "gpu", "Timestamps": [], "Values": [], "StatusCode": "Forbidden"}]})
    with stub:
        result = collect(cw, [endpoint, fine], window_minutes=WINDOW, now=now)
    assert result.signals[endpoint.arn] == Signals() and result.signals[fine.arn] == Signals()
    assert [(e.resources, e.code, e.message) for e in result.errors] == [
        (("ep",), "InternalError", "try later"), (("ok",), "Forbidden", "no datapoints")]


def test_an_endpoint_named_like_an_instance_keeps_its_own_signals(clients: ClientFactory) -> None:
    ec2, cw = clients.client("ec2", REGION), clients.client("cloudwatch", REGION)
    ec2.run_instances(ImageId="ami-12c6146b", MinCount=1, MaxCount=1, InstanceType="g5.xlarge")
    now = datetime.now(UTC)
    [instance] = [_old(r, now) for r in ec2_instances(ec2, ["g5.xlarge"]).resources]
    endpoint = _resource(Kind.ENDPOINT, instance.id, now - timedelta(hours=3), ("a",))
    _put(cw, "CWAgent", "nvidia_smi_utilization_gpu", {"InstanceId": instance.id}, [(ts, 90.0) for ts in _window(now)])
    result = collect(cw, [instance, endpoint], window_minutes=WINDOW, period_seconds=PERIOD, now=now)
    assert result.signals[endpoint.arn] == Signals(maximum={Signal.INVOCATIONS: 0.0}, covered=True)
    assert result.signals[instance.arn].maximum[Signal.GPU] == 90.0


def test_a_gpu_metric_that_started_within_the_window_is_partial(clients: ClientFactory) -> None:
    """The agent restarted 10 minutes ago: its GPU datapoints may show use, never idleness (CPU decides)."""
    ec2, cw = clients.client("ec2", REGION), clients.client("cloudwatch", REGION)
    ec2.run_instances(ImageId="ami-12c6146b", MinCount=1, MaxCount=1, InstanceType="g5.xlarge")
    now = datetime.now(UTC)
    [instance] = [_old(r, now) for r in ec2_instances(ec2, ["g5.xlarge"]).resources]
    slots = _window(now)
    _put(cw, "AWS/EC2", "CPUUtilization", {"InstanceId": instance.id}, [(ts, 95.0) for ts in slots])
    _put(cw, "CWAgent", "nvidia_smi_utilization_gpu", {"InstanceId": instance.id}, [(ts, 0.0) for ts in slots[-2:]])
    signals = collect(cw, [instance], window_minutes=WINDOW, period_seconds=PERIOD, now=now).signals[instance.arn]
    assert signals.partial == frozenset({Signal.GPU}) and signals.covered


def test_an_asynchronous_endpoint_is_busy_by_requests_processed_or_waiting(clients: ClientFactory) -> None:
    """AWS publishes no `Invocations` for an asynchronous endpoint: read as idle, a busy one would be deleted."""
    sm, cw = clients.client("sagemaker", REGION), clients.client("cloudwatch", REGION)
    sm.create_model(ModelName="model", ExecutionRoleArn=ROLE, PrimaryContainer={"Image": "image"})
    sm.create_endpoint_config(EndpointConfigName="async", ProductionVariants=[
        {"VariantName": "a", "ModelName": "model", "InitialInstanceCount": 1, "InstanceType": "ml.g4dn.xlarge"}],
        AsyncInferenceConfig={"OutputConfig": {"S3OutputPath": "s3://bucket/out/"}})
    for name in ("processing", "queued", "quiet"):
        sm.create_endpoint(EndpointName=name, EndpointConfigName="async")
    now = datetime.now(UTC)
    found = {r.id: _old(r, now) for r in endpoints(sm, lambda _t: True).resources}
    assert all(r.asynchronous for r in found.values())
    slots = _window(now)
    _put(cw, "AWS/SageMaker", "InvocationsProcessed", {"EndpointName": "processing", "VariantName": "a"},
         [(slots[4], 4.0)])
    _put(cw, "AWS/SageMaker", "ApproximateBacklogSize", {"EndpointName": "queued"}, [(slots[7], 3.0)])

    result = collect(cw, found.values(), window_minutes=WINDOW, period_seconds=PERIOD, now=now)
    got = {rid: result.signals[r.arn].maximum for rid, r in found.items()}

    assert result.queries == 3 * (3 + 1)
    assert got == {"processing": {Signal.INVOCATIONS: 4.0}, "queued": {Signal.INVOCATIONS: 3.0},
                   "quiet": {Signal.INVOCATIONS: 0.0}}


def test_gpu_metrics_per_gpu_with_the_agents_dimensions_are_read(clients: ClientFactory) -> None:
    """The agent publishes one stream per GPU (`index`, `name`, `host` + `append_dimensions`); a query by InstanceId
    alone matches none of them, and a GPU-bound instance with a quiet CPU and network looked idle."""
    ec2, cw = clients.client("ec2", REGION), clients.client("cloudwatch", REGION)
    ec2.run_instances(ImageId="ami-12c6146b", MinCount=3, MaxCount=3, InstanceType="g5.12xlarge")
    now = datetime.now(UTC)
    fleet = [_old(r, now) for r in ec2_instances(ec2, ["g5.12xlarge"]).resources]
    training, idle, other = (r.id for r in fleet)
    slots = _window(now)
    for instance in (training, idle):
        _put(cw, "AWS/EC2", "CPUUtilization", {"InstanceId": instance}, [(ts, 2.0) for ts in slots])
    for index, busy in (("0", 3.0), ("1", 97.0)):  # one busy GPU of two
        _put(cw, "CWAgent", "nvidia_smi_utilization_gpu", {"InstanceId": training, "InstanceType": "g5.12xlarge",
                                                           "index": index, "name": "NVIDIA A10G", "host": "ip-1"},
             [(ts, busy) for ts in slots])
    _put(cw, "CWAgent", "nvidia_smi_utilization_gpu", {"InstanceId": idle, "index": "0", "host": "ip-2"},
         [(ts, 1.0) for ts in slots])
    _put(cw, "CWAgent", "nvidia_smi_utilization_gpu", {"host": "no-instance-id", "index": "0"}, [(slots[0], 99.0)])
    listed = count_calls(cw, "ListMetrics")

    result = collect(cw, fleet, window_minutes=WINDOW, period_seconds=PERIOD, now=now)
    got = {r.id: result.signals[r.arn] for r in fleet}

    assert listed[0] == 1 and result.errors == [] and result.queries == 3 * 4 + 2 + 1
    assert got[training].maximum[Signal.GPU] == 97.0 and got[idle].maximum[Signal.GPU] == 1.0
    assert Signal.GPU not in got[other].maximum


def test_no_instance_no_list_metrics_call() -> None:
    import boto3

    cw = boto3.client("cloudwatch", region_name=REGION, aws_access_key_id="x", aws_secret_access_key="x")
    stub = Stubber(cw)
    with stub:  # any call would fail: none is expected
        result = collect(cw, [_resource(Kind.NOTEBOOK, "nb", None)], window_minutes=WINDOW)
    assert result.calls == 0 and result.errors == []


def test_gpu_streams_unlisted_the_instances_are_still_measured_by_instance_id() -> None:
    import boto3

    cw = boto3.client("cloudwatch", region_name=REGION, aws_access_key_id="x", aws_secret_access_key="x")
    now = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)
    instance = _resource(Kind.EC2_INSTANCE, "i-1", now - timedelta(hours=3))
    stub = Stubber(cw)
    stub.add_client_error("list_metrics", "AccessDenied", "not allowed", http_status_code=403)
    stub.add_response("get_metric_data", {"MetricDataResults": [
        {"Id": "q3", "Label": "gpu", "Timestamps": [now - timedelta(minutes=30)], "Values": [88.0],
         "StatusCode": "Complete"}]})
    with stub:
        result = collect(cw, [instance], window_minutes=WINDOW, now=now)
        stub.assert_no_pending_responses()
    assert result.signals[instance.arn].maximum == {Signal.GPU: 88.0}
    [error] = result.errors
    assert (error.operation, error.code, error.resources) == ("ListMetrics", "AccessDenied", ("i-1",))
