"""SCP statements 2-5: cost tags at creation, accelerator types, job run-time caps, commitments."""

from __future__ import annotations

from typing import Any

import pytest

from aifinops.catalog import accelerator_catalog
from aifinops.config import load
from aifinops.policies.scp import build_statements
from aifinops.policies.scp_accelerators import SAGEMAKER_INSTANCE_TYPE_ACTIONS
from aifinops.policies.scp_required_tags import BEDROCK_CREATE, SAGEMAKER_CREATE
from tests.conftest import REFERENCE_CONFIG
from tests.policies.scp_eval import BREAK_GLASS_ROLE, denied, denied_by, edited

REFERENCE = load(REFERENCE_CONFIG)
STATEMENTS = {name: build_statements(REFERENCE, name) for name in REFERENCE.environments}
DEV = STATEMENTS["dev"]
INSTANCE = "arn:aws:ec2:us-east-1:222222222222:instance/*"
TAGS: dict[str, Any] = {**{f"aws:RequestTag/{k}": "x" for k in REFERENCE.tags.required},
                        "aws:TagKeys": list(REFERENCE.tags.required)}
CPU_TYPES = ("m5.large", "c7i.2xlarge", "t3.micro", "r6i.xlarge", "gx.large", "mac2-m2pro.metal", "i3en.xlarge")


def without(key: str) -> dict[str, Any]:
    kept = {k: v for k, v in TAGS.items() if k != f"aws:RequestTag/{key}"}
    return {**kept, "aws:TagKeys": [k for k in TAGS["aws:TagKeys"] if k != key]}


# 2. cost tags at creation

@pytest.mark.parametrize("key", REFERENCE.tags.required)
@pytest.mark.parametrize("action", (*SAGEMAKER_CREATE, *BEDROCK_CREATE))
def test_sagemaker_and_bedrock_creates_need_every_required_tag(action: str, key: str) -> None:
    word = "TaskType" if key == "task-type" else key.capitalize()
    assert f"AifRequireTag{word}" in denied_by(DEV, action, context=without(key))
    assert not [sid for sid in denied_by(DEV, action, context=TAGS) if sid.startswith("AifRequireTag")]


@pytest.mark.parametrize("key", REFERENCE.tags.required)
def test_accelerated_ec2_launches_need_every_required_tag(key: str) -> None:
    context = {**without(key), "ec2:InstanceType": "g5.xlarge"}
    word = "TaskType" if key == "task-type" else key.capitalize()
    assert denied_by(DEV, "ec2:RunInstances", INSTANCE, context=context) == [
        f"AifRequireTag{word}OnGpuCapacity", f"AifRequireTag{word}ExactOnGpuCapacity"]
    assert not denied(DEV, "ec2:RunInstances", INSTANCE, context={**TAGS, "ec2:InstanceType": "g5.xlarge"})


@pytest.mark.parametrize("instance_type", CPU_TYPES)
def test_cpu_instances_launch_untagged(instance_type: str) -> None:
    assert not denied(DEV, "ec2:RunInstances", INSTANCE, context={"ec2:InstanceType": instance_type})


def test_run_instances_is_only_gated_on_the_instance_resource() -> None:
    # RunInstances is also authorised against the image, subnet, ...: request tags are not in their context.
    assert not denied(DEV, "ec2:RunInstances", "arn:aws:ec2:us-east-1::image/ami-0123456789abcdef0")
    assert not denied(DEV, "ec2:RunInstances", "arn:aws:ec2:us-east-1:222222222222:subnet/subnet-1")


def test_required_keys_follow_the_config() -> None:
    config = edited(lambda d: (d["tags"].update(required=["team", "environment", "cost-center"]),
                               d.update(workloads=[])))  # finops.yaml's workloads carry the default keys only
    sids = [s.sid for s in build_statements(config, "dev") if s.sid.startswith("AifRequireTag")]
    assert sids == [f"AifRequireTag{word}{suffix}" for word in ("Team", "Environment", "CostCenter")
                    for suffix in ("", "OnGpuCapacity", "Exact", "ExactOnGpuCapacity")]


def test_a_required_key_in_another_case_is_missing() -> None:
    """IAM matches aws:RequestTag/team case-insensitively; cost allocation does not."""
    capitalized = {"aws:RequestTag/Team": "search", "aws:TagKeys": ["Team", *[k for k in TAGS["aws:TagKeys"]
                                                                              if k != "team"]]}
    context = {**{k: v for k, v in TAGS.items() if k != "aws:RequestTag/team"}, **capitalized,
               "ec2:InstanceType": "g5.xlarge"}
    assert "AifRequireTagTeamExactOnGpuCapacity" in denied_by(DEV, "ec2:RunInstances", INSTANCE, context=context)


def test_break_glass_may_create_untagged() -> None:
    assert not denied(DEV, "sagemaker:CreateEndpoint", principal=BREAK_GLASS_ROLE)
    assert not denied(DEV, "ec2:RunInstances", INSTANCE, principal=BREAK_GLASS_ROLE,
                      context={"ec2:InstanceType": "p5.48xlarge"})


# 3. accelerator types

def _all_types(sagemaker: bool) -> list[str]:
    prefix = "ml." if sagemaker else ""
    return [f"{prefix}{f.name}.{size}" for f in accelerator_catalog().families for size in f.sizes
            if f.ec2 or sagemaker]


@pytest.mark.parametrize("env", REFERENCE.environments)
def test_ec2_types_are_denied_exactly_when_the_environment_does_not_allow_them(env: str) -> None:
    environment = REFERENCE.environments[env]
    for instance_type in _all_types(sagemaker=False):
        result = denied(STATEMENTS[env], "ec2:RunInstances", INSTANCE,
                        context={**TAGS, "ec2:InstanceType": instance_type})
        assert result == (not environment.allows_instance_type(instance_type)), instance_type


@pytest.mark.parametrize("env", REFERENCE.environments)
@pytest.mark.parametrize("action", SAGEMAKER_INSTANCE_TYPE_ACTIONS)
def test_sagemaker_types_are_denied_exactly_when_the_environment_does_not_allow_them(env: str, action: str) -> None:
    environment = REFERENCE.environments[env]
    for instance_type in _all_types(sagemaker=True):
        result = denied(STATEMENTS[env], action, context={
            **TAGS, "sagemaker:InstanceTypes": [instance_type, "ml.m5.large"], "sagemaker:MaxRuntimeInSeconds": "60"})
        assert result == (not environment.allows_instance_type(instance_type)), instance_type


def test_exact_types_allow_that_size_only() -> None:
    def sized(data: dict[str, Any]) -> None:
        data["environments"]["dev"]["accelerators"] = ["g5.xlarge", "g6", "ml.g5.xlarge", "ml.g5.2xlarge"]
        data["workloads"] = [w for w in data["workloads"] if w.get("environment") != "dev"]

    statements = build_statements(edited(sized), "dev")

    def ec2(instance_type: str) -> bool:
        return denied(statements, "ec2:RunInstances", INSTANCE, context={**TAGS, "ec2:InstanceType": instance_type})

    def sagemaker(*types: str) -> bool:
        return denied(statements, "sagemaker:CreateEndpointConfig",
                      context={**TAGS, "sagemaker:InstanceTypes": list(types)})

    assert not ec2("g5.xlarge") and ec2("g5.2xlarge") and ec2("g5.48xlarge") and not ec2("g6.12xlarge")
    assert ec2("p5.48xlarge") and not ec2("m5.large")
    assert not sagemaker("ml.g5.xlarge", "ml.m5.large")  # an allowed GPU next to a CPU variant
    assert not sagemaker("ml.g5.2xlarge") and sagemaker("ml.g5.12xlarge")
    assert sagemaker("ml.g5.xlarge", "ml.p5.48xlarge")
    assert not sagemaker("ml.m5.large", "ml.t3.medium")


def test_endpoint_and_inference_component_are_gated_at_the_endpoint_config() -> None:
    [statement] = [s for s in DEV if s.sid == "AifDenyAcceleratorTypesSageMaker"]
    assert not {"sagemaker:CreateEndpoint", "sagemaker:CreateInferenceComponent"} & set(statement.body["Action"])


# 4. run-time caps, 5. commitments

@pytest.mark.parametrize(("env", "hours"), [("dev", 8), ("staging", 24), ("prod", 72)])
@pytest.mark.parametrize("action", ["sagemaker:CreateTrainingJob", "sagemaker:CreateProcessingJob",
                                    "sagemaker:CreateHyperParameterTuningJob"])
def test_jobs_need_a_run_time_within_the_cap(env: str, hours: int, action: str) -> None:
    statements = STATEMENTS[env]

    def by(context: dict[str, str]) -> list[str]:
        return denied_by(statements, action, context={**TAGS, **context})

    assert by({"sagemaker:MaxRuntimeInSeconds": str(hours * 3600)}) == []
    assert by({"sagemaker:MaxRuntimeInSeconds": str(hours * 3600 + 1)}) == ["AifDenyJobRuntimeAboveCap"]
    assert by({}) == ["AifDenyJobRuntimeMissing"]


def test_transform_jobs_have_no_run_time_cap() -> None:
    assert not denied(DEV, "sagemaker:CreateTransformJob", context=TAGS)


@pytest.mark.parametrize("action", ["bedrock:CreateProvisionedModelThroughput",
                                    "bedrock:UpdateProvisionedModelThroughput", "bedrock-mantle:CreateReservation",
                                    "bedrock-mantle:UpdateReservation"])
def test_commitments_follow_provisioned_throughput(action: str) -> None:
    assert "AifDenyCommitments" in denied_by(DEV, action, context=TAGS)
    assert not denied(STATEMENTS["prod"], action, context=TAGS)
