"""Inventory on a moto server: exact ids, types and tags; one classification of accelerated types for every kind;
server-side filters; errors collected, never raised. Training jobs use botocore's Stubber: moto marks every training
job Completed at once, so ListTrainingJobs (StatusEquals=InProgress) never returns one there."""

from __future__ import annotations

import math
from datetime import UTC, datetime
from typing import Any

import boto3
from botocore.stub import Stubber

from aifinops.lambdas.guard.clients import ClientFactory
from aifinops.lambdas.guard.inventory import (
    Classifier,
    InventoryError,
    accelerated_types,
    ec2_instances,
    endpoints,
    notebooks,
    training_jobs,
)
from aifinops.lambdas.guard.model import Kind
from tests.lambdas.guard.conftest import REGION, count_calls
from tests.lambdas.guard.factories import reference_policy

AMI = "ami-12c6146b"
ROLE = "arn:aws:iam::123456789012:role/sagemaker"
ACCELERATED = {"g5.xlarge": 8, "g5.12xlarge": 2, "inf2.xlarge": 6, "trn1.2xlarge": 6, "p3.2xlarge": 8,
               "p2.xlarge": 2, "g4ad.xlarge": 2, "dl1.24xlarge": 1, "f1.2xlarge": 1}
CATALOG = Classifier(frozenset(reference_policy().accelerated_families))


def _names(ec2: Any) -> set[str]:
    """What the scan looks for: DescribeInstanceTypes' accelerated types and the catalog's exact names."""
    return set(accelerated_types(ec2)) | set(reference_policy().accelerated_types)


def _run(ec2: Any, instance_type: str, count: int, tags: dict[str, str] | None = None) -> list[str]:
    kwargs: dict[str, Any] = {}
    if tags:
        kwargs["TagSpecifications"] = [{"ResourceType": "instance",
                                        "Tags": [{"Key": k, "Value": v} for k, v in tags.items()]}]
    response = ec2.run_instances(ImageId=AMI, MinCount=count, MaxCount=count, InstanceType=instance_type, **kwargs)
    return [i["InstanceId"] for i in response["Instances"]]


def test_accelerated_types_from_the_api(clients: ClientFactory) -> None:
    types = accelerated_types(clients.client("ec2", REGION))
    assert {"g5.xlarge", "g5.48xlarge", "inf2.xlarge", "trn1.32xlarge", "g4dn.xlarge", "p5.48xlarge"} <= types
    assert not {"m5.large", "t3.micro", "c5.xlarge"} & types


def test_one_classification_for_every_kind() -> None:
    """DescribeInstanceTypes' answer or a catalog family; an ml. type is judged as its EC2 hardware."""
    accelerated = Classifier(CATALOG.families, frozenset({"zz9.xlarge"}))  # a family only the API knows
    for instance_type in ("p3.2xlarge", "ml.p3.2xlarge", "p2.xlarge", "ml.p2.16xlarge", "dl1.24xlarge",
                          "ml.trn1n.32xlarge", "zz9.xlarge", "ml.zz9.xlarge", "ml.eia2.medium", "f2.6xlarge"):
        assert accelerated(instance_type), instance_type
    for instance_type in ("m5.large", "ml.m5.large", "ml.t3.medium", "zz9.2xlarge", "", "p3"):
        assert not accelerated(instance_type) or instance_type == "p3", instance_type


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

    names = _names(ec2)
    result = ec2_instances(ec2, names)

    assert result.errors == []
    assert len(expected) == 36  # p2, g4ad, dl1, f1: not in moto's type list, found through the catalog
    assert {r.id: (r.instance_type, dict(r.tags)) for r in result.resources} == expected
    assert not {r.id for r in result.resources} & set(cpu + stopped)
    first = result.resources[0]
    assert first.kind is Kind.EC2_INSTANCE and first.account == "123456789012" and first.region == REGION
    assert first.arn == f"arn:aws:ec2:{REGION}:123456789012:instance/{first.id}"
    assert first.instance_count == 1 and first.launched_at is not None and first.launched_at.tzinfo is not None
    assert describes[0] == math.ceil(len(names) / 199)  # moto's and the catalog's names, 199 a call, one page each


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


def test_endpoints_variants_types_and_counts(clients: ClientFactory) -> None:
    sm = clients.client("sagemaker", REGION)
    sm.create_model(ModelName="model", ExecutionRoleArn=ROLE, PrimaryContainer={"Image": "image"})
    _config(sm, "two", [("small", "ml.g4dn.xlarge", 1), ("big", "ml.p3.8xlarge", 2)])
    _config(sm, "inf", [("all", "ml.inf1.xlarge", 3)])
    _config(sm, "cpu", [("all", "ml.m5.large", 1)])
    _config(sm, "p3-only", [("all", "ml.p3.2xlarge", 1)])
    _endpoint(sm, "llm", "two", {"team": "ml", "environment": "prod"})
    _endpoint(sm, "llm-copy", "two")
    _endpoint(sm, "neuron", "inf", {"team": "ml"})
    _endpoint(sm, "web", "cpu", {"team": "web"})
    _endpoint(sm, "volta", "p3-only")
    config_calls = count_calls(sm, "DescribeEndpointConfig")
    tag_calls = count_calls(sm, "ListTags")

    result = endpoints(sm, CATALOG)

    assert result.errors == []
    got = {r.id: r for r in result.resources}
    assert set(got) == {"llm", "llm-copy", "neuron", "volta"}  # ml.m5.large is not accelerated; ml.p3 is
    llm = got["llm"]
    assert (llm.kind, llm.instance_type, llm.instance_count, llm.variants) == (
        Kind.ENDPOINT, "ml.p3.8xlarge", 3, ("small", "big"))
    assert llm.billed() == (("ml.g4dn.xlarge", 1), ("ml.p3.8xlarge", 2))
    assert (got["neuron"].instance_type, got["neuron"].instance_count) == ("ml.inf1.xlarge", 3)
    assert llm.arn == f"arn:aws:sagemaker:{REGION}:123456789012:endpoint/llm" and llm.account == "123456789012"
    assert config_calls[0] == 4  # cached: "two" described once for two endpoints
    assert tag_calls[0] == 0  # tags are read apart, for the accelerated ones only (tags.py)
    assert {r.id for r in endpoints(sm, lambda _t: True).resources} == {"llm", "llm-copy", "neuron", "web", "volta"}


def test_notebooks_listed_once_accelerated_only(clients: ClientFactory) -> None:
    sm = clients.client("sagemaker", REGION)
    sm.create_notebook_instance(NotebookInstanceName="gpu-nb", InstanceType="ml.p3.2xlarge", RoleArn=ROLE,
                                Tags=[{"Key": "team", "Value": "research"}])
    sm.create_notebook_instance(NotebookInstanceName="old-gpu-nb", InstanceType="ml.p2.xlarge", RoleArn=ROLE)
    sm.create_notebook_instance(NotebookInstanceName="cpu-nb", InstanceType="ml.t3.medium", RoleArn=ROLE)
    lists = count_calls(sm, "ListNotebookInstances")
    result = notebooks(sm, CATALOG)
    assert result.errors == [] and lists[0] == 1
    got = {r.id: (r.kind, r.instance_type) for r in result.resources}
    assert got == {"gpu-nb": (Kind.NOTEBOOK, "ml.p3.2xlarge"), "old-gpu-nb": (Kind.NOTEBOOK, "ml.p2.xlarge")}


def _stubbed_sagemaker() -> tuple[Any, Stubber]:
    sm = boto3.client("sagemaker", region_name=REGION, aws_access_key_id="x", aws_secret_access_key="x")
    return sm, Stubber(sm)


def test_training_jobs_stubbed() -> None:
    """Stubber, not moto: moto completes training jobs immediately. Three InProgress jobs over two list pages: a
    homogeneous one, one whose DescribeTrainingJob is denied (reported, the others returned), a heterogeneous
    cluster (instance groups), and a CPU job left out."""
    sm, stub = _stubbed_sagemaker()
    start = datetime(2026, 11, 1, 8, 0, tzinfo=UTC)
    arn = f"arn:aws:sagemaker:{REGION}:123456789012:training-job/"
    summary = {"TrainingJobStatus": "InProgress", "CreationTime": start}
    stub.add_response("list_training_jobs", {"TrainingJobSummaries": [
        {"TrainingJobName": "a", "TrainingJobArn": arn + "a", **summary}], "NextToken": "t"},
        {"StatusEquals": "InProgress", "MaxResults": 100})
    stub.add_response("list_training_jobs", {"TrainingJobSummaries": [
        {"TrainingJobName": n, "TrainingJobArn": arn + n, **summary} for n in ("b", "c", "d")]},
        {"StatusEquals": "InProgress", "MaxResults": 100, "NextToken": "t"})
    configs = {"a": {"InstanceType": "ml.p4d.24xlarge", "InstanceCount": 4, "VolumeSizeInGB": 50},
               "c": {"InstanceGroups": [{"InstanceType": "ml.p3.2xlarge", "InstanceCount": 2, "InstanceGroupName": "x"},
                                        {"InstanceType": "ml.c5.xlarge", "InstanceCount": 1, "InstanceGroupName": "y"}],
                     "VolumeSizeInGB": 50},
               "d": {"InstanceType": "ml.c5.xlarge", "InstanceCount": 1, "VolumeSizeInGB": 50}}
    for name in ("a", "b", "c", "d"):
        if name == "b":
            stub.add_client_error("describe_training_job", "AccessDeniedException", "denied", http_status_code=400)
            continue
        stub.add_response("describe_training_job", {
            "TrainingJobName": name, "TrainingJobArn": arn + name, "TrainingJobStatus": "InProgress",
            "SecondaryStatus": "Training", "CreationTime": start, "TrainingStartTime": start,
            "ModelArtifacts": {"S3ModelArtifacts": "s3://b/k"},
            "AlgorithmSpecification": {"TrainingInputMode": "File", "TrainingImage": "image"},
            "ResourceConfig": configs[name],
            "StoppingCondition": {"MaxRuntimeInSeconds": 86400}}, {"TrainingJobName": name})
    with stub:
        result = training_jobs(sm, CATALOG)
        stub.assert_no_pending_responses()
    assert [(r.id, r.kind, r.instance_type, r.instance_count, r.launched_at, r.billed())
            for r in result.resources] == [
        ("a", Kind.TRAINING_JOB, "ml.p4d.24xlarge", 4, start, (("ml.p4d.24xlarge", 4),)),
        ("c", Kind.TRAINING_JOB, "ml.p3.2xlarge", 3, start, (("ml.p3.2xlarge", 2), ("ml.c5.xlarge", 1)))]
    assert result.errors == [InventoryError("b", "DescribeTrainingJob", "AccessDeniedException", "denied")]


def test_list_failure_is_collected_not_raised() -> None:
    sm, stub = _stubbed_sagemaker()
    stub.add_client_error("list_endpoints", "ThrottlingException", "slow down", http_status_code=400)
    stub.add_client_error("list_notebook_instances", "AccessDeniedException", "no", http_status_code=400)
    with stub:
        assert endpoints(sm, CATALOG).errors == [InventoryError("*", "ListEndpoints", "ThrottlingException",
                                                                "slow down")]
        assert notebooks(sm, CATALOG).errors == [InventoryError("*", "ListNotebookInstances",
                                                                "AccessDeniedException", "no")]


def test_an_endpoint_whose_config_was_deleted_is_kept_not_skipped(clients: ClientFactory) -> None:
    """AWS lets a config be deleted under a running endpoint; its types are then unknown: kept and reported."""
    sm = clients.client("sagemaker", REGION)
    sm.create_model(ModelName="model", ExecutionRoleArn=ROLE, PrimaryContainer={"Image": "image"})
    _config(sm, "gone", [("all", "ml.p3.2xlarge", 2)])
    _endpoint(sm, "orphan", "gone")
    sm.delete_endpoint_config(EndpointConfigName="gone")
    result = endpoints(sm, CATALOG)
    assert result.errors == []
    [orphan] = result.resources
    assert (orphan.id, orphan.missing_config, orphan.instance_type, orphan.accelerated_types) == (
        "orphan", "gone", "", ())


def test_shadow_variants_count_and_a_notebook_started_since_creation() -> None:
    """Stubber: moto has no shadow variants and does not move LastModifiedTime on a restart."""
    sm, stub = _stubbed_sagemaker()
    arn = f"arn:aws:sagemaker:{REGION}:123456789012:"
    created, started = datetime(2026, 11, 1, tzinfo=UTC), datetime(2026, 11, 27, 11, 0, tzinfo=UTC)
    stub.add_response("list_endpoints", {"Endpoints": [
        {"EndpointName": n, "EndpointArn": f"{arn}endpoint/{n}", "CreationTime": created,
         "LastModifiedTime": created, "EndpointStatus": "InService"} for n in ("mirror", "shadow-only")]})
    for name, production, shadow in (("mirror", ("a", "ml.g5.xlarge", 1), ("s", "ml.p5.48xlarge", 4)),
                                     ("shadow-only", ("a", "ml.m5.large", 1), ("s", "ml.g5.2xlarge", 1))):
        stub.add_response("describe_endpoint", {
            "EndpointName": name, "EndpointArn": f"{arn}endpoint/{name}", "EndpointConfigName": f"cfg-{name}",
            "EndpointStatus": "InService", "CreationTime": created, "LastModifiedTime": created,
            "ProductionVariants": [{"VariantName": production[0], "CurrentInstanceCount": production[2]}],
            "ShadowProductionVariants": [{"VariantName": shadow[0], "CurrentInstanceCount": shadow[2]}]},
            {"EndpointName": name})
        stub.add_response("describe_endpoint_config", {
            "EndpointConfigName": f"cfg-{name}", "EndpointConfigArn": f"{arn}endpoint-config/cfg-{name}",
            "CreationTime": created,
            "ProductionVariants": [{"VariantName": production[0], "ModelName": "m", "InstanceType": production[1]}],
            "ShadowProductionVariants": [{"VariantName": shadow[0], "ModelName": "m", "InstanceType": shadow[1]}]},
            {"EndpointConfigName": f"cfg-{name}"})
    stub.add_response("list_notebook_instances", {"NotebookInstances": [
        {"NotebookInstanceName": "nb", "NotebookInstanceArn": f"{arn}notebook-instance/nb", "InstanceType":
         "ml.g5.xlarge", "CreationTime": created, "LastModifiedTime": started, "NotebookInstanceStatus": "InService"}]},
        {"StatusEquals": "InService", "MaxResults": 100})
    with stub:
        found = {r.id: r for r in endpoints(sm, CATALOG).resources}
        [notebook] = notebooks(sm, CATALOG).resources
    assert found["mirror"].billed() == (("ml.g5.xlarge", 1), ("ml.p5.48xlarge", 4))
    assert found["mirror"].variants == ("a", "s") and found["mirror"].instance_type == "ml.p5.48xlarge"
    assert found["shadow-only"].accelerated_types == ("ml.g5.2xlarge",)  # kept for its shadow variant
    assert found["shadow-only"].instance_type == "ml.g5.2xlarge"  # the accelerated variant names it, not ml.m5
    assert notebook.launched_at == started  # its run time counts from the last start, not from its creation


def test_spot_and_windows_instances_say_their_price_is_an_estimate(clients: ClientFactory) -> None:
    ec2 = clients.client("ec2", REGION)
    ec2.run_instances(ImageId=AMI, MinCount=1, MaxCount=1, InstanceType="g5.xlarge",
                      InstanceMarketOptions={"MarketType": "spot"})
    [spot] = ec2_instances(ec2, ["g5.xlarge"]).resources
    assert "spot instance" in spot.pricing_note
