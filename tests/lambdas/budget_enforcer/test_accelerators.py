"""Accelerated EC2 types: DescribeInstanceTypes first, the catalog's family list as fallback."""

from __future__ import annotations

from aifinops.catalog import accelerator_catalog
from aifinops.lambdas.budget_enforcer.accelerators import FALLBACK_FAMILIES, accelerated_types, family_is_accelerated
from tests.lambdas.budget_enforcer.stubs import REGION, StubbedClients


def test_the_fallback_list_is_the_catalogs() -> None:
    assert set(accelerator_catalog().family_names()) == FALLBACK_FAMILIES


def test_family_names() -> None:
    assert family_is_accelerated("p5.48xlarge") and family_is_accelerated("ml.g5.xlarge")
    assert family_is_accelerated("p6-b200.48xlarge")
    assert not family_is_accelerated("m5.large") and not family_is_accelerated("p5x.large")


def test_api_answer_then_fallback_for_types_it_cannot_describe() -> None:
    """One unknown type fails the whole DescribeInstanceTypes call: the types are then asked one by one."""
    clients = StubbedClients()
    ec2 = clients.client("ec2", REGION)
    stub = clients.stub("ec2")
    types = ["g5.xlarge", "m5.large", "p3.2xlarge", "x9.future"]
    stub.add_client_error("describe_instance_types", "InvalidInstanceType",
                          "The following supplied instance types do not exist: [x9.future]",
                          expected_params={"InstanceTypes": types})
    stub.add_response("describe_instance_types", {"InstanceTypes": [
        {"InstanceType": "g5.xlarge", "GpuInfo": {"Gpus": [{"Name": "A10G", "Count": 1}]}}]},
        {"InstanceTypes": ["g5.xlarge"]})
    stub.add_response("describe_instance_types", {"InstanceTypes": [{"InstanceType": "m5.large"}]},
                      {"InstanceTypes": ["m5.large"]})
    stub.add_response("describe_instance_types", {"InstanceTypes": [{"InstanceType": "p3.2xlarge"}]},
                      {"InstanceTypes": ["p3.2xlarge"]})  # described without GPU data (moto): the family decides
    stub.add_client_error("describe_instance_types", "InvalidInstanceType", "x9.future",
                          expected_params={"InstanceTypes": ["x9.future"]})
    assert accelerated_types(ec2, types) == {"g5.xlarge": True, "m5.large": False, "p3.2xlarge": True,
                                             "x9.future": False}
    clients.verify()


def test_neuron_and_inferentia_count_as_accelerated() -> None:
    clients = StubbedClients()
    stub = clients.stub("ec2")
    stub.add_response("describe_instance_types", {"InstanceTypes": [
        {"InstanceType": "trn9.2xlarge", "NeuronInfo": {"NeuronDevices": [{"Count": 1}]}},
        {"InstanceType": "inf9.xlarge", "InferenceAcceleratorInfo": {"Accelerators": [{"Count": 1}]}}]},
        {"InstanceTypes": ["inf9.xlarge", "trn9.2xlarge"]})
    assert accelerated_types(clients.client("ec2", REGION), ["trn9.2xlarge", "inf9.xlarge"]) == {
        "inf9.xlarge": True, "trn9.2xlarge": True}
