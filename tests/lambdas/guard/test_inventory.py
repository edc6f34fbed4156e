"""Inventory on a moto server: exact ids, types and tags; server-side filters; errors collected, never raised.
Training jobs use botocore's Stubber: moto marks every training job Completed at once, so ListTrainingJobs
(StatusEquals=InProgress) never returns one there."""

from __future__ import annotations

import math
from datetime import UTC, datetime
from typing import Any

import boto3
from botocore.stub import Stubber

from aifinops.lambdas.guard.clients import ClientFactory
from aifinops.lambdas.guard.inventory import (
    InventoryError,
    accelerated_types,
    ec2_instances,
    endpoints,
    notebooks,
    training_jobs,
)
from aifinops.lambdas.guard.model import Kind
from tests.lambdas.guard.conftest import REGION, count_calls

AMI = "ami-12c6146b"
ROLE = "arn:aws:iam::123456789012:role/sagemaker"
FALLBACK = ("p3", "p3.2xlarge", "p3.8xlarge", "p3.16xlarge")  # the catalog's family and sizes: moto lists no p3.2xlarge
ACCELERATED = {"g5.xlarge": 8, "g5.12xlarge": 2, "inf2.xlarge": 6, "trn1.2xlarge": 6, "p3.2xlarge": 8}


def _run(ec2: Any, instance_type: str, count: int, tags: dict[str, str] | None = None) -> list[str]:
    kwargs: dict[str, Any] = {}
    if tags:
        kwargs["TagSpecifications"] = [{"ResourceType": "instance",
                                        "Tags": [{"Key": k, "Value": v} for k, v in tags.items()]}]
    response = ec2.run_instances(ImageId=AMI, MinCount=count, MaxCount=count, InstanceType=instance_type, **kwargs)
    return [i["InstanceId"] for i in response["Instances"]]


def test_accelerated_types_from_api_plus_fallback(clients: ClientFactory) -> None:
    ec2 = clients.client("ec2", REGION)
    types = accelerated_types(ec2, FALLBACK)
    assert {"g5.xlarge", "g5.48xlarge", "inf2.xlarge", "trn1.32xlarge", "g4dn.xlarge", "p5.48xlarge"} <= types
    assert {"p3.2xlarge", "p3.8xlarge", "p3.16xlarge", "p3dn.24xlarge"} <= types
    assert not {"m5.large", "t3.micro", "c5.xlarge", "p3dn"} & types


def test_ec2_instances_exact(clients: ClientFactory) -> None:
    ec2 = clients.client("ec2", REGION)
    expected: dict[str, tuple[str, dict[str, str]]] = {}
    for n, (instance_type, count) in enumerate(ACCELERATED.items()):
        tags = {"team": f"t{n}", "environment": "dev"} if n % 2 == 0 else {}
        expected.update({i: (instance_type, tags) for i in _run(ec2, instance_type, count, tags)})
    cpu = _run(ec2, "m5.large", 5, {"team": "web"}) + _run(ec2, "t3.micro", 3)
    stopped = _run(ec2, "g5.xlarge", 2, {"team": "x"})
    ec2.stop_instances(InstanceIds=stopped)
    describes = count_calls(ec2, "DescribeInstances")

    result = ec2_instances(ec2, accelerated_types(ec2, FALLBACK))

    assert result.errors == []
    assert len(expected) == 30
    assert {r.id: (r.instance_type, dict(r.tags)) for r in result.resources} == expected
    assert not {r.id for r in result.resources} & set(cpu + stopped)
    first = result.resources[0]
    assert first.kind is Kind.EC2_INSTANCE and first.account == "123456789012" and first.region == REGION
    assert first.arn == f"arn:aws:ec2:{REGION}:123456789012:instance/{first.id}"
    assert first.instance_count == 1 and first.launched_at is not None and first.launched_at.tzinfo is not None
    assert describes[0] == 1  # 79 accelerated names in moto + fallback: one chunk, one page


def test_ec2_filter_values_are_chunked(clients: ClientFactory) -> None:
    """EC2 refuses more than 200 filter values in one call (FilterLimitExceeded): 450 names -> 3 calls."""
    ec2 = clients.client("ec2", REGION)
    ids = _run(ec2, "g5.xlarge", 2)
    names = [f"x{n}.xlarge" for n in range(449)] + ["g5.xlarge"]
    sent: list[int] = []
    ec2.meta.events.register("provide-client-params.ec2.DescribeInstances",
                             lambda params, **_: sent.append(sum(len(f["Values"]) for f in params["Filters"])))
    result = ec2_instances(ec2, names)
    assert sorted(r.id for r in result.resources) == sorted(ids)
    assert len(sent) == math.ceil(450 / 199) and max(sent) <= 200


def _endpoint(sm: Any, name: str, config: str, tags: dict[str, str] | None = None) -> None:
    sm.create_endpoint(EndpointName=name, EndpointConfigName=config,
                       Tags=[{"Key": k, "Value": v} for k, v in (tags or {}).items()])


def _config(sm: Any, name: str, variants: list[tuple[str, str, int]]) -> None:
    sm.create_endpoint_config(EndpointConfigName=name, ProductionVariants=[
        {"VariantName": v, "ModelName": "model", "InitialInstanceCount": n, "InstanceType": t} for v, t, n in variants])


def test_endpoints_variants_types_tags(clients: ClientFactory) -> None:
    sm = clients.client("sagemaker", REGION)
    sm.create_model(ModelName="model", ExecutionRoleArn=ROLE, PrimaryContainer={"Image": "image"})
    _config(sm, "two", [("small", "ml.g4dn.xlarge", 1), ("big", "ml.p3.8xlarge", 2)])
    _config(sm, "inf", [("all", "ml.inf1.xlarge", 3)])
    _config(sm, "cpu", [("all", "ml.m5.large", 1)])
    _endpoint(sm, "llm", "two", {"team": "ml", "environment": "prod"})
    _endpoint(sm, "llm-copy", "two")
    _endpoint(sm, "neuron", "inf", {"team": "ml"})
    _endpoint(sm, "web", "cpu", {"team": "web"})
    config_calls = count_calls(sm, "DescribeEndpointConfig")
    tag_calls = count_calls(sm, "ListTags")

    result = endpoints(sm, accelerated_types(clients.client("ec2", REGION), FALLBACK))

    assert result.errors == []
    got = {r.id: r for r in result.resources}
    assert set(got) == {"llm", "llm-copy", "neuron"}  # ml.m5.large is not accelerated
    llm = got["llm"]
    assert (llm.kind, llm.instance_type, llm.instance_count, llm.variants) == (
        Kind.ENDPOINT, "ml.p3.8xlarge", 3, ("small", "big"))
    assert dict(llm.tags) == {"team": "ml", "environment": "prod"} and dict(got["llm-copy"].tags) == {}
    assert (got["neuron"].instance_type, got["neuron"].instance_count) == ("ml.inf1.xlarge", 3)
    assert llm.arn == f"arn:aws:sagemaker:{REGION}:123456789012:endpoint/llm" and llm.account == "123456789012"
    assert config_calls[0] == 3  # cached: "two" described once for two endpoints
    assert tag_calls[0] == 3  # only for the endpoints kept
    assert {r.id for r in endpoints(sm).resources} == {"llm", "llm-copy", "neuron", "web"}


def test_notebooks_with_tags(clients: ClientFactory) -> None:
    sm = clients.client("sagemaker", REGION)
    sm.create_notebook_instance(NotebookInstanceName="gpu-nb", InstanceType="ml.p3.2xlarge", RoleArn=ROLE,
                                Tags=[{"Key": "team", "Value": "research"}])
    sm.create_notebook_instance(NotebookInstanceName="cpu-nb", InstanceType="ml.t3.medium", RoleArn=ROLE)
    result = notebooks(sm)
    assert result.errors == []
    got = {r.id: (r.kind, r.instance_type, dict(r.tags)) for r in result.resources}
    assert got == {"gpu-nb": (Kind.NOTEBOOK, "ml.p3.2xlarge", {"team": "research"}),
                   "cpu-nb": (Kind.NOTEBOOK, "ml.t3.medium", {})}


def _stubbed_sagemaker() -> tuple[Any, Stubber]:
    sm = boto3.client("sagemaker", region_name=REGION, aws_access_key_id="x", aws_secret_access_key="x")
    return sm, Stubber(sm)


def test_training_jobs_stubbed() -> None:
    """Stubber, not moto: moto completes training jobs immediately. Two InProgress jobs over two list pages;
    the second's ListTags is denied: it is reported, the first is returned."""
    sm, stub = _stubbed_sagemaker()
    start = datetime(2026, 11, 1, 8, 0, tzinfo=UTC)
    arn = f"arn:aws:sagemaker:{REGION}:123456789012:training-job/"
    summary = {"TrainingJobStatus": "InProgress", "CreationTime": start}
    stub.add_response("list_training_jobs", {"TrainingJobSummaries": [
        {"TrainingJobName": "a", "TrainingJobArn": arn + "a", **summary}], "NextToken": "t"},
        {"StatusEquals": "InProgress", "MaxResults": 100})
    stub.add_response("list_training_jobs", {"TrainingJobSummaries": [
        {"TrainingJobName": "b", "TrainingJobArn": arn + "b", **summary}]},
        {"StatusEquals": "InProgress", "MaxResults": 100, "NextToken": "t"})
    for name in ("a", "b"):
        stub.add_response("describe_training_job", {
            "TrainingJobName": name, "TrainingJobArn": arn + name, "TrainingJobStatus": "InProgress",
            "SecondaryStatus": "Training", "CreationTime": start, "TrainingStartTime": start,
            "ModelArtifacts": {"S3ModelArtifacts": "s3://b/k"},
            "AlgorithmSpecification": {"TrainingInputMode": "File", "TrainingImage": "image"},
            "ResourceConfig": {"InstanceType": "ml.p4d.24xlarge", "InstanceCount": 4, "VolumeSizeInGB": 50},
            "StoppingCondition": {"MaxRuntimeInSeconds": 86400}}, {"TrainingJobName": name})
        if name == "a":
            stub.add_response("list_tags", {"Tags": [{"Key": "team", "Value": "ml"}]},
                              {"ResourceArn": arn + "a", "MaxResults": 50})
        else:
            stub.add_client_error("list_tags", "AccessDeniedException", "denied", http_status_code=400)
    with stub:
        result = training_jobs(sm)
        stub.assert_no_pending_responses()
    assert [(r.id, r.kind, r.instance_type, r.instance_count, r.launched_at, dict(r.tags))
            for r in result.resources] == [("a", Kind.TRAINING_JOB, "ml.p4d.24xlarge", 4, start, {"team": "ml"})]
    assert result.errors == [InventoryError("b", "ListTags", "AccessDeniedException", "denied")]


def test_list_failure_is_collected_not_raised() -> None:
    sm, stub = _stubbed_sagemaker()
    stub.add_client_error("list_endpoints", "ThrottlingException", "slow down", http_status_code=400)
    stub.add_client_error("list_notebook_instances", "AccessDeniedException", "no", http_status_code=400)
    with stub:
        assert endpoints(sm).errors == [InventoryError("*", "ListEndpoints", "ThrottlingException", "slow down")]
        assert notebooks(sm).errors == [InventoryError("*", "ListNotebookInstances", "AccessDeniedException", "no")]
