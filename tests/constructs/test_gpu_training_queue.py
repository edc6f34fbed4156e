"""GpuTrainingQueue: Spot GPU compute under a hard vCPU cap, cost tags down to instances and volumes,
attempts bounded by the environment, retries only for lost hosts, prop rules at synth."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_iam as iam
from aws_cdk.assertions import Template

from aifinops.config import Environment, parse
from aifinops.constructs.cost_tags import CostTags
from aifinops.constructs.errors import ConstructPropError
from aifinops.constructs.gpu_training_queue import GpuTrainingQueue
from aifinops.infra.context import cdk_json_context
from aifinops.policies.cost_tags import read_template_tags
from aifinops.policies.plugins.cost_tag_validation import CostTagValidation, enforce_cost_tags
from aifinops.template_metadata import CAPACITY

TAGS = CostTags(team="vision", project="defect-detect", model="none", environment="dev", task_type="training")
DEV = Environment(max_model_tier="standard", accounts=("222222222222",), accelerators=("g5", "g6"),
                  max_training_hours=8)
ENV = cdk.Environment(account="222222222222", region="us-east-1")
IMAGE = "111111111111.dkr.ecr.us-east-1.amazonaws.com/defect-train:2.0"
TYPES = ["g5.xlarge", "g5.12xlarge", "g6.xlarge"]
CE = "AWS::Batch::ComputeEnvironment"
PATH = "Training/Queue"


def make_stack(app: cdk.App | None = None, **props: Any) -> tuple[cdk.Stack, ec2.Vpc, GpuTrainingQueue]:
    context = {**cdk_json_context(),
               "availability-zones:account=222222222222:region=us-east-1": ["us-east-1a", "us-east-1b"]}
    app = app or cdk.App(context=context)
    stack = cdk.Stack(app, "Training", env=ENV)
    vpc = ec2.Vpc(stack, "Vpc", max_azs=2, nat_gateways=1, restrict_default_security_group=False)
    kwargs: dict[str, Any] = {"cost_tags": TAGS, "environment": DEV, "vpc": vpc, "instance_types": TYPES,
                              "image_uri": IMAGE, "max_vcpus": 96, **props}
    return stack, vpc, GpuTrainingQueue(stack, "Queue", **kwargs)


@pytest.fixture(scope="module")
def spot_only() -> tuple[Template, GpuTrainingQueue]:
    stack, _, queue = make_stack()
    return Template.from_stack(stack), queue


@pytest.fixture(scope="module")
def template(spot_only: tuple[Template, GpuTrainingQueue]) -> Template:
    return spot_only[0]


@pytest.fixture(scope="module")
def with_fallback() -> tuple[Template, GpuTrainingQueue]:
    stack, _, queue = make_stack(on_demand_fallback=True, on_demand_max_vcpus=48)
    return Template.from_stack(stack), queue


def only(template: Template, kind: str) -> tuple[str, dict[str, Any]]:
    [(logical_id, resource)] = template.find_resources(kind).items()
    return logical_id, resource


def compute_environments(template: Template) -> dict[str, dict[str, Any]]:
    return {r["Properties"]["ComputeResources"]["Type"]: r for r in template.find_resources(CE).values()}


def test_spot_environment_scales_from_zero_to_the_cap_on_the_listed_gpu_types(template: Template) -> None:
    [spot] = template.find_resources(CE).values()
    resources = spot["Properties"]["ComputeResources"]
    assert resources["Type"] == "SPOT"
    assert resources["AllocationStrategy"] == "SPOT_PRICE_CAPACITY_OPTIMIZED"
    assert (resources["MinvCpus"], resources["MaxvCpus"]) == (0, 96)
    assert resources["InstanceTypes"] == TYPES  # exactly these: no "optimal", no L2 placeholder
    assert resources["Ec2Configuration"] == [{"ImageType": "ECS_AL2023_NVIDIA"}]
    assert "SpotIamFleetRole" not in resources and "BidPercentage" not in resources
    assert spot["Properties"]["Type"] == "managed"
    assert spot["Properties"]["ReplaceComputeEnvironment"] is False


def test_instances_run_in_the_private_subnets_with_the_queue_security_group(template: Template) -> None:
    [spot] = template.find_resources(CE).values()
    resources = spot["Properties"]["ComputeResources"]
    subnet_ids = {s["Ref"] for s in resources["Subnets"]}
    assert subnet_ids and all("PrivateSubnet" in s for s in subnet_ids)
    sg_id, sg = only(template, "AWS::EC2::SecurityGroup")
    assert resources["SecurityGroupIds"] == [{"Fn::GetAtt": [sg_id, "GroupId"]}]
    assert "SecurityGroupIngress" not in sg["Properties"]


def test_instance_role_is_the_ecs_agent_role(template: Template) -> None:
    [spot] = template.find_resources(CE).values()
    profile_id = spot["Properties"]["ComputeResources"]["InstanceRole"]["Fn::GetAtt"][0]
    role_ref = template.find_resources("AWS::IAM::InstanceProfile")[profile_id]["Properties"]["Roles"][0]["Ref"]
    role = template.find_resources("AWS::IAM::Role")[role_ref]["Properties"]
    assert role["AssumeRolePolicyDocument"]["Statement"][0]["Principal"] == {"Service": "ec2.amazonaws.com"}
    policy = "arn:aws:iam::aws:policy/service-role/AmazonEC2ContainerServiceforEC2Role"
    assert [_join(arn) for arn in role["ManagedPolicyArns"]] == [policy]


def test_launch_template_tags_instances_and_volumes_with_every_cost_tag(template: Template) -> None:
    lt_id, launch_template = only(template, "AWS::EC2::LaunchTemplate")
    data = launch_template["Properties"]["LaunchTemplateData"]
    specs = {s["ResourceType"]: {t["Key"]: t["Value"] for t in s["Tags"]} for s in data["TagSpecifications"]}
    assert set(specs) == {"instance", "volume"}
    for tags in specs.values():
        assert TAGS.as_dict().items() <= tags.items()
    assert data["MetadataOptions"] == {"HttpTokens": "required"}
    assert "UserData" not in data  # Batch requires MIME multi-part user data; none is better than a wrong one
    [spot] = template.find_resources(CE).values()
    assert spot["Properties"]["ComputeResources"]["LaunchTemplate"] == {
        "LaunchTemplateId": {"Ref": lt_id}, "Version": {"Fn::GetAtt": [lt_id, "LatestVersionNumber"]}}


def test_compute_resources_and_the_environment_itself_carry_the_cost_tags(template: Template) -> None:
    [spot] = template.find_resources(CE).values()
    assert spot["Properties"]["ComputeResources"]["Tags"] == TAGS.as_dict()
    assert spot["Properties"]["Tags"] == TAGS.as_dict()


def test_without_fallback_the_queue_has_only_the_spot_environment(template: Template) -> None:
    [(spot_id, _)] = template.find_resources(CE).items()
    _, queue = only(template, "AWS::Batch::JobQueue")
    assert queue["Properties"]["ComputeEnvironmentOrder"] == [
        {"ComputeEnvironment": {"Fn::GetAtt": [spot_id, "ComputeEnvironmentArn"]}, "Order": 1}]


def test_fallback_adds_an_on_demand_environment_after_spot_with_its_own_cap(
        with_fallback: tuple[Template, GpuTrainingQueue]) -> None:
    template, queue = with_fallback
    environments = template.find_resources(CE)
    by_type = {r["Properties"]["ComputeResources"]["Type"]: logical_id for logical_id, r in environments.items()}
    on_demand = environments[by_type["EC2"]]["Properties"]["ComputeResources"]
    assert on_demand["AllocationStrategy"] == "BEST_FIT_PROGRESSIVE"
    assert (on_demand["MinvCpus"], on_demand["MaxvCpus"]) == (0, 48)
    assert on_demand["InstanceTypes"] == TYPES and on_demand["Tags"] == TAGS.as_dict()
    assert environments[by_type["SPOT"]]["Properties"]["ComputeResources"]["MaxvCpus"] == 96
    _, job_queue = only(template, "AWS::Batch::JobQueue")
    assert job_queue["Properties"]["ComputeEnvironmentOrder"] == [
        {"ComputeEnvironment": {"Fn::GetAtt": [by_type["SPOT"], "ComputeEnvironmentArn"]}, "Order": 1},
        {"ComputeEnvironment": {"Fn::GetAtt": [by_type["EC2"], "ComputeEnvironmentArn"]}, "Order": 2}]
    assert queue.max_vcpus_total == 96 + 48  # the caps add up


def test_fallback_cap_defaults_to_the_spot_cap() -> None:
    stack, _, queue = make_stack(on_demand_fallback=True)
    caps = {t: r["Properties"]["ComputeResources"]["MaxvCpus"] for t, r in
            compute_environments(Template.from_stack(stack)).items()}
    assert caps == {"SPOT": 96, "EC2": 96} and queue.max_vcpus_total == 192


def test_job_attempts_end_at_the_environments_max_training_hours(template: Template) -> None:
    _, job = only(template, "AWS::Batch::JobDefinition")
    assert job["Properties"]["Timeout"] == {"AttemptDurationSeconds": 8 * 3600}
    assert job["Properties"]["PlatformCapabilities"] == ["EC2"]


def test_a_lower_timeout_is_kept() -> None:
    stack, _, queue = make_stack(job_timeout=cdk.Duration.hours(2))
    _, job = only(Template.from_stack(stack), "AWS::Batch::JobDefinition")
    assert job["Properties"]["Timeout"] == {"AttemptDurationSeconds": 7200}
    assert queue.job_timeout.to_hours() == 2


def test_retries_only_when_ec2_took_the_host_and_exits_on_anything_else(template: Template) -> None:
    _, job = only(template, "AWS::Batch::JobDefinition")
    assert job["Properties"]["RetryStrategy"] == {"Attempts": 3, "EvaluateOnExit": [
        {"Action": "RETRY", "OnStatusReason": "Host EC2*"},
        {"Action": "EXIT", "OnReason": "*"},
    ]}


def test_job_definition_reserves_gpu_vcpus_memory_and_propagates_tags(template: Template) -> None:
    _, job = only(template, "AWS::Batch::JobDefinition")
    props = job["Properties"]
    assert props["PropagateTags"] is True
    assert props["Tags"] == TAGS.as_dict()
    container = props["ContainerProperties"]
    assert container["Image"] == IMAGE
    assert {r["Type"]: r["Value"] for r in container["ResourceRequirements"]} == {
        "GPU": "1", "VCPU": "4", "MEMORY": str(4 * 3584)}
    assert container["LogConfiguration"]["LogDriver"] == "awslogs"
    _, group = only(template, "AWS::Logs::LogGroup")
    assert group["Properties"]["RetentionInDays"] == 30


def test_job_size_props_reach_the_job_definition() -> None:
    stack, _, _ = make_stack(job_vcpus=48, job_gpus=4, job_memory_mib=180_000, retry_attempts=5)
    _, job = only(Template.from_stack(stack), "AWS::Batch::JobDefinition")
    requirements = {r["Type"]: r["Value"] for r in job["Properties"]["ContainerProperties"]["ResourceRequirements"]}
    assert requirements == {"GPU": "4", "VCPU": "48", "MEMORY": "180000"}
    assert job["Properties"]["RetryStrategy"]["Attempts"] == 5


def test_execution_role_may_pull_only_the_images_ecr_repository(template: Template) -> None:
    statements = [s for p in template.find_resources("AWS::IAM::Policy").values()
                  for s in p["Properties"]["PolicyDocument"]["Statement"]]
    pulls = [s for s in statements if "ecr:BatchGetImage" in s["Action"]]
    assert [s["Resource"] for s in pulls] == ["arn:aws:ecr:us-east-1:111111111111:repository/defect-train"]
    assert {"Action": "ecr:GetAuthorizationToken", "Effect": "Allow", "Resource": "*"} in statements


def test_an_image_outside_ecr_gets_no_ecr_grant() -> None:
    stack, _, _ = make_stack(image_uri="nvcr.io/nvidia/pytorch:24.08-py3")
    template = Template.from_stack(stack)
    statements = [s for p in template.find_resources("AWS::IAM::Policy").values()
                  for s in p["Properties"]["PolicyDocument"]["Statement"]]
    assert not [s for s in statements if "ecr" in str(s["Action"])]
    _, job = only(template, "AWS::Batch::JobDefinition")
    assert job["Properties"]["ContainerProperties"]["Image"] == "nvcr.io/nvidia/pytorch:24.08-py3"


def test_a_given_job_role_is_used_and_submitters_can_be_granted() -> None:
    app = cdk.App(context=cdk_json_context())
    stack = cdk.Stack(app, "Training")
    vpc = ec2.Vpc(stack, "Vpc", max_azs=2, nat_gateways=1, restrict_default_security_group=False)
    role = iam.Role(stack, "DataRole", assumed_by=iam.ServicePrincipal("ecs-tasks.amazonaws.com"))
    submitter = iam.Role(stack, "Pipeline", assumed_by=iam.ServicePrincipal("states.amazonaws.com"))
    queue = GpuTrainingQueue(stack, "Queue", cost_tags=TAGS, environment=DEV, vpc=vpc, instance_types=TYPES,
                             image_uri=IMAGE, job_role=role)
    queue.grant_submit_job(submitter)
    template = Template.from_stack(stack)
    _, job = only(template, "AWS::Batch::JobDefinition")
    assert job["Properties"]["ContainerProperties"]["JobRoleArn"]["Fn::GetAtt"][0].startswith("DataRole")
    assert not [n for n in queue.node.find_all() if n.node.id == "JobRole"]
    statements = [s for p in template.find_resources("AWS::IAM::Policy").values()
                  for s in p["Properties"]["PolicyDocument"]["Statement"] if s["Action"] == "batch:SubmitJob"]
    assert len(statements) == 1 and len(statements[0]["Resource"]) == 2  # the job definition and the queue


def test_every_taggable_resource_of_the_construct_carries_every_cost_tag(
        spot_only: tuple[Template, GpuTrainingQueue]) -> None:
    template, queue = spot_only
    resources = template.to_json()["Resources"]
    stack = cdk.Stack.of(queue)
    checked = set()
    for node in queue.node.find_all():
        if not isinstance(node, cdk.CfnResource):
            continue
        logical_id = stack.resolve(node.logical_id)
        props = resources[logical_id].get("Properties", {})
        if "Tags" in props:
            assert TAGS.as_dict().items() <= read_template_tags(props["Tags"]).items(), logical_id
            checked.add(resources[logical_id]["Type"])
        elif "TagSpecifications" in props:  # the launch template itself
            [spec] = props["TagSpecifications"]
            assert TAGS.as_dict().items() <= {t["Key"]: t["Value"] for t in spec["Tags"]}.items()
            checked.add(resources[logical_id]["Type"])
    assert checked >= {"AWS::Batch::ComputeEnvironment", "AWS::Batch::JobQueue", "AWS::Batch::JobDefinition",
                       "AWS::EC2::LaunchTemplate", "AWS::EC2::SecurityGroup", "AWS::IAM::Role",
                       "AWS::Logs::LogGroup"}


def test_capacity_is_priced_on_the_type_with_the_highest_price_per_vcpu(template: Template) -> None:
    [spot] = template.find_resources(CE).values()
    # g5.xlarge 1.006/4 vCPU > g6.xlarge 0.8048/4 > g5.12xlarge 5.672/48: the cap bought as g5.xlarge
    assert spot["Metadata"][CAPACITY] == {"workload": "Queue", "instanceType": "g5.xlarge", "minInstances": 0,
                                          "maxInstances": 96 / 4, "note": "Spot; on-demand price shown"}


def test_fallback_capacity_is_recorded_on_its_own_environment(
        with_fallback: tuple[Template, GpuTrainingQueue]) -> None:
    template, _ = with_fallback
    on_demand = compute_environments(template)["EC2"]
    assert on_demand["Metadata"][CAPACITY]["maxInstances"] == 48 / 4
    assert on_demand["Metadata"][CAPACITY]["note"].startswith("On-Demand fallback")


def test_a_bare_family_is_launched_as_is_and_skips_the_instance_cap_rule() -> None:
    stack, _, _ = make_stack(instance_types=["g6"], max_vcpus=16)
    [spot] = Template.from_stack(stack).find_resources(CE).values()
    assert spot["Properties"]["ComputeResources"]["InstanceTypes"] == ["g6"]
    assert spot["Metadata"][CAPACITY]["instanceType"] == "g6.xlarge"  # priced family size, dearest per vCPU
    assert spot["Metadata"][CAPACITY]["maxInstances"] == 4


def test_synth_passes_the_cost_tag_plugin_and_the_builtin_cloudformation_validation(tmp_path: Path) -> None:
    config = parse({
        "organization": {"management_account": "111111111111", "regions": ["us-east-1"]},
        "environments": {"dev": {"accounts": ["222222222222"], "max_model_tier": "standard",
                                 "accelerators": ["g5", "g6"], "max_training_hours": 8}},
        "teams": [{"name": "vision", "owners": ["vision-leads@example.com"], "monthly_budget_usd": 1000,
                   "projects": {"defect-detect": None}}],
    })
    app = cdk.App(context={**cdk_json_context(),
                           "availability-zones:account=222222222222:region=us-east-1": ["us-east-1a", "us-east-1b"]},
                  outdir=str(tmp_path))
    cdk.Validations.of(app).add_plugins(CostTagValidation(config))
    stack, vpc, _ = make_stack(app, on_demand_fallback=True)
    enforce_cost_tags(stack, config.tags.required)
    TAGS.apply(vpc)  # the test's own network; the construct tags everything of its own
    app.synth()  # raises on any plugin violation or CloudFormation schema error
    assert (tmp_path / "Training.template.json").is_file()


PROBLEMS = [
    ({"instance_types": []}, "AIF_INSTANCE_TYPES_EMPTY", "instance_types", "[]"),
    ({"instance_types": ["ml.g5.xlarge"]}, "AIF_INSTANCE_NOT_EC2", "instance_types", "'ml.g5.xlarge'"),
    ({"instance_types": ["m5.xlarge"]}, "AIF_INSTANCE_NOT_ACCELERATED", "instance_types", "'m5.xlarge'"),
    ({"instance_types": ["g5.3xlarge"]}, "AIF_INSTANCE_NOT_ACCELERATED", "instance_types", "'g5.3xlarge'"),
    ({"instance_types": ["trn1.32xlarge"]}, "AIF_INSTANCE_NOT_NVIDIA", "instance_types", "'trn1.32xlarge'"),
    ({"instance_types": ["p3.2xlarge"]}, "AIF_INSTANCE_IMAGE_UNSUPPORTED", "instance_types", "'p3.2xlarge'"),
    ({"instance_types": ["g6e.xlarge"]}, "AIF_INSTANCE_NOT_ALLOWED", "instance_types", "'g6e.xlarge'"),
    ({"instance_types": [cdk.Fn.ref("InstanceType")]}, "AIF_INSTANCE_TYPE_TOKEN", "instance_types", "'${Token"),
    ({"max_vcpus": 0}, "AIF_MAX_VCPUS", "max_vcpus", "0"),
    ({"max_vcpus": 32}, "AIF_MAX_VCPUS_BELOW_INSTANCE", "max_vcpus", "32"),
    ({"on_demand_fallback": True, "on_demand_max_vcpus": 8}, "AIF_MAX_VCPUS_BELOW_INSTANCE",
     "on_demand_max_vcpus", "8"),
    ({"on_demand_max_vcpus": 48}, "AIF_PROP_NEEDS_FALLBACK", "on_demand_max_vcpus", "48"),
    ({"job_timeout": cdk.Duration.hours(9)}, "AIF_JOB_TIMEOUT_ABOVE_MAX", "job_timeout", "'9 hours'"),
    ({"job_timeout": cdk.Duration.seconds(30)}, "AIF_JOB_TIMEOUT_MIN", "job_timeout", "'30 seconds'"),
    ({"retry_attempts": 0}, "AIF_RETRY_ATTEMPTS", "retry_attempts", "0"),
    ({"retry_attempts": 11}, "AIF_RETRY_ATTEMPTS", "retry_attempts", "11"),
    ({"job_vcpus": 0}, "AIF_JOB_VCPUS", "job_vcpus", "0"),
    ({"job_gpus": 0}, "AIF_JOB_GPUS", "job_gpus", "0"),
    ({"job_memory_mib": 2}, "AIF_JOB_MEMORY", "job_memory_mib", "2"),
    ({"job_vcpus": 64}, "AIF_JOB_TOO_LARGE", "job_vcpus", "64"),
    ({"job_gpus": 8}, "AIF_JOB_TOO_LARGE", "job_gpus", "8"),
    ({"instance_types": ["g5.12xlarge", "g5.16xlarge"], "job_vcpus": 64, "job_gpus": 4},
     "AIF_JOB_TOO_LARGE", "job_gpus", "4"),
    ({"instance_types": ["g5"], "max_vcpus": 8, "job_vcpus": 16}, "AIF_JOB_ABOVE_CAP", "job_vcpus", "16"),
    ({"image_uri": ""}, "AIF_IMAGE_URI", "image_uri", "''"),
    ({"subnet_selection": ec2.SubnetSelection(subnet_type=ec2.SubnetType.PRIVATE_ISOLATED)},
     "AIF_SUBNETS_NONE", "subnet_selection", "'subnet_type=PRIVATE_ISOLATED'"),
]


@pytest.mark.parametrize(("props", "code", "prop", "received"), PROBLEMS, ids=[f"{p[1]}-{p[2]}" for p in PROBLEMS])
def test_each_broken_rule_fails_naming_code_path_prop_and_value(
        props: dict[str, Any], code: str, prop: str, received: str) -> None:
    with pytest.raises(ConstructPropError) as caught:
        make_stack(**props)
    [problem] = caught.value.problems
    assert (problem.code, problem.prop) == (code, prop)
    assert str(caught.value).startswith(f"[{code}] {PATH}: prop '{prop}': received {received}")


def test_problems_are_collected_and_raised_once() -> None:
    with pytest.raises(ConstructPropError) as caught:
        make_stack(instance_types=["g5.xlarge", "g6e.xlarge", "ml.g5.xlarge"], retry_attempts=12,
                   job_timeout=cdk.Duration.hours(10))
    assert [p.code for p in caught.value.problems] == [
        "AIF_INSTANCE_NOT_ALLOWED", "AIF_INSTANCE_NOT_EC2", "AIF_RETRY_ATTEMPTS", "AIF_JOB_TIMEOUT_ABOVE_MAX"]
    assert "allowed: EC2 types of the environment's accelerators: g5, g6" in str(caught.value)
    assert "allowed: 60 seconds to 8 hours (max_training_hours)" in str(caught.value)


def test_unresolved_caps_are_not_judged() -> None:
    stack = cdk.Stack(cdk.App(context=cdk_json_context()), "Training")
    cap = cdk.CfnParameter(stack, "Cap", type="Number", min_value=48).value_as_number
    vpc = ec2.Vpc(stack, "Vpc", max_azs=2, nat_gateways=1, restrict_default_security_group=False)
    GpuTrainingQueue(stack, "Queue", cost_tags=TAGS, environment=DEV, vpc=vpc, instance_types=TYPES,
                     image_uri=IMAGE, max_vcpus=cap)
    [spot] = Template.from_stack(stack).find_resources(CE).values()
    assert spot["Properties"]["ComputeResources"]["MaxvCpus"] == {"Ref": "Cap"}
    assert CAPACITY not in spot.get("Metadata", {})  # nothing to price at synth


def _join(value: Any) -> str:
    if isinstance(value, str):
        return value
    return "".join("aws" if part == {"Ref": "AWS::Partition"} else part for part in value["Fn::Join"][1])
