"""GpuInferenceEndpoint: scale to zero outside production, business hours or always on; least-privilege
role; KMS only where SageMaker takes it; cost tags everywhere; every prop rule with its code."""

from __future__ import annotations

import contextlib
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_kms as kms
from aws_cdk.assertions import Annotations, Match, Template

from aifinops.catalog import accelerator_catalog
from aifinops.config import Environment, FinOpsConfig
from aifinops.constructs import ConstructPropError, CostTags
from aifinops.constructs.capacity import CAPACITY_METADATA
from aifinops.constructs.gpu_endpoint_rules import SAGEMAKER_NAME, BusinessHours, sagemaker_name
from aifinops.constructs.gpu_inference_endpoint import GpuInferenceEndpoint
from aifinops.constructs.sagemaker_sources import (
    has_instance_storage,
    parse_ecr_image,
    parse_model_data,
)
from aifinops.infra.context import cdk_json_context
from aifinops.policies.plugins.cost_tag_validation import CostTagValidation, enforce_cost_tags

ENV = cdk.Environment(account="222222222222", region="us-east-1")
TAGS = CostTags(team="search", project="ranker", model="llama-3-1-8b-custom", environment="dev",
                task_type="generation")
DEV = Environment(max_model_tier="standard", accounts=("222222222222",), accelerators=("ml.g5", "ml.g4dn", "ml.inf2"),
                  max_training_hours=8)
PROD = Environment(production=True, max_model_tier="premium", accounts=("444444444444",),
                   accelerators=("ml.g5", "ml.p5"), max_training_hours=72)
IMAGE = "111111111111.dkr.ecr.us-east-1.amazonaws.com/llm-serving:1.4"
REPOSITORY_ARN = "arn:aws:ecr:us-east-1:111111111111:repository/llm-serving"
COST_TAG_KEYS = {"team", "project", "model", "environment", "task-type"}
LOGS = "arn:aws:logs:us-east-1:222222222222:log-group:"
KEY_ID = "1234abcd-12ab-34cd-56ef-1234567890ab"
PRIVATE, PUBLIC = "subnet-0a1b2c3d4e5f60718", "subnet-0f1e2d3c4b5a69788"


def new_stack() -> cdk.Stack:
    return cdk.Stack(cdk.App(context=cdk_json_context()), "Search", env=ENV)


def make(stack: cdk.Stack | None = None, construct_id: str = "Ranker", **props: Any) -> GpuInferenceEndpoint:
    kwargs: dict[str, Any] = {"cost_tags": TAGS, "environment": DEV, "instance_type": "ml.g5.xlarge",
                              "image_uri": IMAGE, **props}
    return GpuInferenceEndpoint(stack or new_stack(), construct_id, **kwargs)


def synth(stack: cdk.Stack) -> Template:
    """Synthesize once (built-in CloudFormation validation and any plugins run) and read the template."""
    assembly = cdk.Stage.of(stack).synth()  # type: ignore[union-attr]
    return Template.from_json(assembly.get_stack_by_name(stack.stack_name).template)


@pytest.fixture(scope="module")
def zero(config: FinOpsConfig) -> tuple[GpuInferenceEndpoint, Template]:
    """The dev default, checked by the cost tag plugin against the reference finops.yaml."""
    stack = new_stack()
    cdk.Validations.of(stack.node.root).add_plugins(CostTagValidation(config))
    enforce_cost_tags(stack, config.tags.required)
    endpoint = make(stack, environment=config.environments["dev"], max_instances=2,
                    model_data_url="s3://search-models/ranker/")
    return endpoint, synth(stack)


@pytest.fixture(scope="module")
def scheduled() -> tuple[GpuInferenceEndpoint, Template]:
    endpoint = make(idle_mode="schedule", instance_type="ml.inf2.xlarge", min_instances=2, max_instances=4,
                    model_data_url="s3://search-models/ranker/model.tar.gz",
                    business_hours=BusinessHours(start="cron(0 6 ? * MON-FRI *)", stop="cron(0 18 ? * MON-FRI *)"))
    return endpoint, synth(cdk.Stack.of(endpoint))


@pytest.fixture(scope="module")
def always_on() -> tuple[GpuInferenceEndpoint, Template]:
    """The production default; the container downloads its own model (no model_data_url)."""
    endpoint = make(environment=PROD, min_instances=1, max_instances=3, endpoint_name="ranker-prod",
                    container_environment={"HF_MODEL_ID": "meta-llama/Llama-3.1-8B-Instruct"})
    return endpoint, synth(cdk.Stack.of(endpoint))


def only(template: Template, resource_type: str) -> dict[str, Any]:
    [resource] = template.find_resources(resource_type).values()
    return resource


def props(template: Template, resource_type: str) -> dict[str, Any]:
    properties: dict[str, Any] = only(template, resource_type)["Properties"]
    return properties


def statements(template: Template) -> dict[str, dict[str, Any]]:
    policy = props(template, "AWS::IAM::Policy")
    return {s["Sid"]: s for s in policy["PolicyDocument"]["Statement"]}


def actions(statement: dict[str, Any]) -> list[str]:
    value = statement["Action"]
    return [value] if isinstance(value, str) else value


# --- modes ---------------------------------------------------------------------------------------


def test_idle_mode_defaults_by_environment(zero: Any, always_on: Any) -> None:
    assert zero[0].idle_mode == "scale_to_zero"
    assert always_on[0].idle_mode == "none"


def test_scale_to_zero_variant_hosts_no_model_and_scales_instances_to_zero(zero: Any) -> None:
    endpoint, template = zero
    config = props(template, "AWS::SageMaker::EndpointConfig")
    [variant] = config["ProductionVariants"]
    assert variant == {
        "VariantName": "AllTraffic", "InstanceType": "ml.g5.xlarge", "InitialInstanceCount": 1,
        "ManagedInstanceScaling": {"Status": "ENABLED", "MinInstanceCount": 0, "MaxInstanceCount": 2},
        "RoutingConfig": {"RoutingStrategy": "LEAST_OUTSTANDING_REQUESTS"},
    }
    role_id = next(iter(template.find_resources("AWS::IAM::Role")))
    assert config["ExecutionRoleArn"] == {"Fn::GetAtt": [role_id, "Arn"]}
    assert props(template, "AWS::SageMaker::Endpoint")["EndpointName"] == endpoint.endpoint_name


def test_inference_component_holds_the_model_on_all_accelerators(zero: Any) -> None:
    endpoint, template = zero
    component = props(template, "AWS::SageMaker::InferenceComponent")
    model_id = next(iter(template.find_resources("AWS::SageMaker::Model")))
    endpoint_id = next(iter(template.find_resources("AWS::SageMaker::Endpoint")))
    assert component["InferenceComponentName"] == endpoint.inference_component_name
    assert component["EndpointName"] == {"Fn::GetAtt": [endpoint_id, "EndpointName"]}
    assert component["VariantName"] == "AllTraffic"
    assert component["Specification"] == {
        "ModelName": {"Fn::GetAtt": [model_id, "ModelName"]},
        "ComputeResourceRequirements": {"NumberOfAcceleratorDevicesRequired": 1, "MinMemoryRequiredInMb": 1024},
    }
    assert component["RuntimeConfig"] == {"CopyCount": 1}


def test_copies_scale_between_zero_and_max_on_invocations_per_copy(zero: Any) -> None:
    endpoint, template = zero
    target_id, target = next(iter(template.find_resources("AWS::ApplicationAutoScaling::ScalableTarget").items()))
    assert {k: v for k, v in target["Properties"].items() if k != "Tags"} == {
        "ServiceNamespace": "sagemaker", "ResourceId": f"inference-component/{endpoint.inference_component_name}",
        "ScalableDimension": "sagemaker:inference-component:DesiredCopyCount", "MinCapacity": 0, "MaxCapacity": 2,
    }  # no RoleARN: the service-linked role
    assert target["DependsOn"] == [next(iter(template.find_resources("AWS::SageMaker::InferenceComponent")))]
    template.has_resource_properties("AWS::ApplicationAutoScaling::ScalingPolicy", {
        "PolicyType": "TargetTrackingScaling", "ScalingTargetId": {"Ref": target_id},
        "TargetTrackingScalingPolicyConfiguration": {
            "PredefinedMetricSpecification": {"PredefinedMetricType": "SageMakerInferenceComponentInvocationsPerCopy"},
            "TargetValue": 20, "ScaleInCooldown": 300, "ScaleOutCooldown": 300}})


def test_a_refused_request_wakes_the_component_from_zero(zero: Any) -> None:
    endpoint, template = zero
    policies = template.find_resources("AWS::ApplicationAutoScaling::ScalingPolicy",
                                       {"Properties": {"PolicyType": "StepScaling"}})
    [(step_id, step)] = policies.items()
    assert step["Properties"]["StepScalingPolicyConfiguration"] == {
        "AdjustmentType": "ChangeInCapacity", "MetricAggregationType": "Maximum", "Cooldown": 60,
        "StepAdjustments": [{"MetricIntervalLowerBound": 0, "ScalingAdjustment": 1}]}
    alarm = props(template, "AWS::CloudWatch::Alarm")
    assert {k: v for k, v in alarm.items() if k not in ("Tags", "AlarmDescription")} == {
        "Namespace": "AWS/SageMaker", "MetricName": "NoCapacityInvocationFailures", "Statistic": "Sum",
        "Dimensions": [{"Name": "InferenceComponentName", "Value": endpoint.inference_component_name}],
        "Period": 60, "EvaluationPeriods": 1, "DatapointsToAlarm": 1, "Threshold": 1,
        "ComparisonOperator": "GreaterThanOrEqualToThreshold", "TreatMissingData": "notBreaching",
        "AlarmActions": [{"Fn::GetAtt": [step_id, "Arn"]}]}


def test_schedule_holds_one_instance_outside_business_hours(scheduled: Any) -> None:
    endpoint, template = scheduled
    endpoint_id = next(iter(template.find_resources("AWS::SageMaker::Endpoint")))
    target = props(template, "AWS::ApplicationAutoScaling::ScalableTarget")
    assert target["ResourceId"] == {"Fn::Join": ["", ["endpoint/", {"Fn::GetAtt": [endpoint_id, "EndpointName"]},
                                                      "/variant/AllTraffic"]]}
    assert (target["ScalableDimension"], target["MinCapacity"], target["MaxCapacity"]) == (
        "sagemaker:variant:DesiredInstanceCount", 2, 4)
    assert target["ScheduledActions"] == [
        {"ScheduledActionName": "aifinops-business-hours-stop", "Schedule": "cron(0 18 ? * MON-FRI *)",
         "ScalableTargetAction": {"MinCapacity": 1, "MaxCapacity": 1}},
        {"ScheduledActionName": "aifinops-business-hours-start", "Schedule": "cron(0 6 ? * MON-FRI *)",
         "ScalableTargetAction": {"MinCapacity": 2, "MaxCapacity": 4}},
    ]
    template.has_resource_properties("AWS::ApplicationAutoScaling::ScalingPolicy", {
        "TargetTrackingScalingPolicyConfiguration": {
            "PredefinedMetricSpecification": {"PredefinedMetricType": "SageMakerVariantInvocationsPerInstance"}}})
    [variant] = props(template, "AWS::SageMaker::EndpointConfig")["ProductionVariants"]
    assert (variant["InitialInstanceCount"], "ManagedInstanceScaling" in variant) == (2, False)
    assert endpoint.inference_component is None and endpoint.wake_alarm is None


def test_always_on_variant_tracks_invocations_between_min_and_max(always_on: Any) -> None:
    _, template = always_on
    [variant] = props(template, "AWS::SageMaker::EndpointConfig")["ProductionVariants"]
    model_id = next(iter(template.find_resources("AWS::SageMaker::Model")))
    assert variant == {"VariantName": "AllTraffic", "ModelName": {"Fn::GetAtt": [model_id, "ModelName"]},
                       "InstanceType": "ml.g5.xlarge", "InitialInstanceCount": 1, "InitialVariantWeight": 1}
    target = props(template, "AWS::ApplicationAutoScaling::ScalableTarget")
    assert (target["MinCapacity"], target["MaxCapacity"], "ScheduledActions" in target) == (1, 3, False)
    template.resource_count_is("AWS::SageMaker::InferenceComponent", 0)
    template.resource_count_is("AWS::CloudWatch::Alarm", 0)
    assert props(template, "AWS::SageMaker::Endpoint")["EndpointName"] == "ranker-prod"


def test_capacity_is_recorded_on_the_endpoint(zero: Any, scheduled: Any, always_on: Any) -> None:
    recorded = [only(t, "AWS::SageMaker::Endpoint")["Metadata"][CAPACITY_METADATA] for _, t in (zero, scheduled,
                                                                                             always_on)]
    assert [(c["workload"], c["instanceType"], c["minInstances"], c["maxInstances"]) for c in recorded] == [
        ("Ranker", "ml.g5.xlarge", 0, 2), ("Ranker", "ml.inf2.xlarge", 1, 4), ("Ranker", "ml.g5.xlarge", 1, 3)]


# --- model, network ------------------------------------------------------------------------------


def test_model_data_and_network_isolation(zero: Any, scheduled: Any, always_on: Any) -> None:
    prefix = props(zero[1], "AWS::SageMaker::Model")
    assert prefix["EnableNetworkIsolation"] is True
    assert prefix["PrimaryContainer"] == {"Image": IMAGE, "ModelDataSource": {"S3DataSource": {
        "S3Uri": "s3://search-models/ranker/", "S3DataType": "S3Prefix", "CompressionType": "None"}}}
    assert props(zero[1], "AWS::SageMaker::EndpointConfig")["EnableNetworkIsolation"] is True
    archive = props(scheduled[1], "AWS::SageMaker::Model")
    assert archive["PrimaryContainer"]["ModelDataUrl"] == "s3://search-models/ranker/model.tar.gz"
    downloads = props(always_on[1], "AWS::SageMaker::Model")
    assert downloads["EnableNetworkIsolation"] is False
    assert downloads["PrimaryContainer"] == {"Image": IMAGE,
                                             "Environment": {"HF_MODEL_ID": "meta-llama/Llama-3.1-8B-Instruct"}}


def test_vpc_private_subnets_and_an_https_only_security_group() -> None:
    stack = new_stack()
    vpc = ec2.Vpc.from_vpc_attributes(stack, "Vpc", vpc_id="vpc-0a1b2c3d4e5f60718", availability_zones=["us-east-1a"],
                                      private_subnet_ids=[PRIVATE], private_subnet_route_table_ids=["rtb-0a1b2c3d"],
                                      public_subnet_ids=[PUBLIC], public_subnet_route_table_ids=["rtb-0e1f2a3b"])
    make(stack, vpc=vpc)
    template = synth(stack)
    group_id = next(iter(template.find_resources("AWS::EC2::SecurityGroup")))
    expected = {"Subnets": [PRIVATE], "SecurityGroupIds": [{"Fn::GetAtt": [group_id, "GroupId"]}]}
    assert props(template, "AWS::SageMaker::Model")["VpcConfig"] == expected
    assert props(template, "AWS::SageMaker::EndpointConfig")["VpcConfig"] == expected
    group = props(template, "AWS::EC2::SecurityGroup")
    assert group["SecurityGroupEgress"] == [{"CidrIp": "0.0.0.0/0", "Description": "S3 and ECR (VPC endpoints or NAT)",
                                             "FromPort": 443, "IpProtocol": "tcp", "ToPort": 443}]
    assert "SecurityGroupIngress" not in group
    assert {t["Key"] for t in group["Tags"]} == COST_TAG_KEYS


# --- identity and encryption ---------------------------------------------------------------------


def test_role_is_least_privilege_for_a_prefix_model(zero: Any) -> None:
    endpoint, template = zero
    found = statements(template)
    assert {sid: actions(s) for sid, s in found.items()} == {
        "PullImage": ["ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"],
        "EcrAuthorizationToken": ["ecr:GetAuthorizationToken"],
        "ReadModelData": ["s3:GetObject"],
        "ListModelData": ["s3:ListBucket"],
        "WriteLogs": ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:DescribeLogStreams", "logs:PutLogEvents"],
        "PutEndpointMetrics": ["cloudwatch:PutMetricData"],
    }
    assert found["PullImage"]["Resource"] == REPOSITORY_ARN
    assert found["ReadModelData"]["Resource"] == "arn:aws:s3:::search-models/ranker/*"
    assert found["ListModelData"]["Resource"] == "arn:aws:s3:::search-models"
    assert found["ListModelData"]["Condition"] == {"StringLike": {"s3:prefix": ["ranker/*"]}}
    groups = [f"{LOGS}/aws/sagemaker/Endpoints/{endpoint.endpoint_name}",
              f"{LOGS}/aws/sagemaker/InferenceComponents/{endpoint.inference_component_name}"]
    assert sorted(found["WriteLogs"]["Resource"]) == sorted([*groups, *(f"{g}:*" for g in groups)])
    assert found["PutEndpointMetrics"]["Condition"] == {"StringEquals": {"cloudwatch:namespace": [
        "/aws/sagemaker/Endpoints", "/aws/sagemaker/InferenceComponents"]}}
    assert props(template, "AWS::IAM::Role")["AssumeRolePolicyDocument"]["Statement"] == [{
        "Action": "sts:AssumeRole", "Effect": "Allow", "Principal": {"Service": "sagemaker.amazonaws.com"}}]


def test_role_reads_only_the_archive_and_uses_only_its_key(scheduled: Any) -> None:
    _, template = scheduled
    found = statements(template)
    assert found["ReadModelData"]["Resource"] == "arn:aws:s3:::search-models/ranker/model.tar.gz"
    assert "ListModelData" not in found
    key_id = next(iter(template.find_resources("AWS::KMS::Key")))
    key_arn = {"Fn::GetAtt": [key_id, "Arn"]}
    assert (actions(found["UseStorageKey"]), found["UseStorageKey"]["Resource"]) == (
        ["kms:Decrypt", "kms:DescribeKey", "kms:Encrypt", "kms:GenerateDataKey*", "kms:ReEncrypt*"], key_arn)
    assert (actions(found["GrantStorageKeyToAwsServices"]), found["GrantStorageKeyToAwsServices"]["Condition"]) == (
        ["kms:CreateGrant"], {"Bool": {"kms:GrantIsForAWSResource": "true"}})


def test_role_without_model_data_reads_no_s3(always_on: Any) -> None:
    found = statements(always_on[1])
    assert set(found) == {"PullImage", "EcrAuthorizationToken", "WriteLogs", "PutEndpointMetrics"}
    assert sorted(found["WriteLogs"]["Resource"]) == [f"{LOGS}/aws/sagemaker/Endpoints/ranker-prod",
                                                      f"{LOGS}/aws/sagemaker/Endpoints/ranker-prod:*"]


def test_kms_key_only_where_the_instance_type_has_no_local_storage(zero: Any, scheduled: Any,
                                                                   always_on: Any) -> None:
    for endpoint, template in (zero, always_on):  # ml.g5: local NVMe storage, hardware-encrypted
        assert endpoint.key is None
        assert "KmsKeyId" not in props(template, "AWS::SageMaker::EndpointConfig")
        template.resource_count_is("AWS::KMS::Key", 0)
    endpoint, template = scheduled  # ml.inf2: EBS volume, encrypted with a customer-managed key
    key_id, key = next(iter(template.find_resources("AWS::KMS::Key").items()))
    assert key["Properties"]["EnableKeyRotation"] is True
    assert props(template, "AWS::SageMaker::EndpointConfig")["KmsKeyId"] == {"Fn::GetAtt": [key_id, "Arn"]}


def test_a_given_key_is_used_where_possible_and_reported_where_not() -> None:
    stack = new_stack()
    key = kms.Key.from_key_arn(stack, "Key", f"arn:aws:kms:us-east-1:222222222222:key/{KEY_ID}")
    nvme = make(stack, "Nvme", kms_key=key, environment=PROD, min_instances=1)
    ebs = make(stack, "Ebs", kms_key=key, instance_type="ml.inf2.xlarge", idle_mode="none", min_instances=1)
    assert nvme.key is None and ebs.key is key
    template = synth(stack)
    configs = template.find_resources("AWS::SageMaker::EndpointConfig")
    assert sorted(c["Properties"].get("KmsKeyId", "-") for c in configs.values()) == ["-", key.key_arn]
    template.resource_count_is("AWS::KMS::Key", 0)
    template.resource_count_is("AWS::ApplicationAutoScaling::ScalableTarget", 0)  # min == max: nothing to scale
    Annotations.from_stack(stack).has_warning("/Search/Nvme", Match.string_like_regexp("kms_key is not used"))


# --- tags and names ------------------------------------------------------------------------------


@pytest.mark.parametrize("fixture", ["zero", "scheduled", "always_on"])
def test_every_taggable_resource_carries_all_cost_tags(fixture: str, request: pytest.FixtureRequest) -> None:
    _, template = request.getfixturevalue(fixture)
    resources = template.to_json()["Resources"]
    tagged = {r["Type"] for r in resources.values() if "Tags" in r.get("Properties", {})}
    expected = {"AWS::IAM::Role", "AWS::SageMaker::Model", "AWS::SageMaker::EndpointConfig",
                "AWS::SageMaker::Endpoint", "AWS::ApplicationAutoScaling::ScalableTarget"}
    extra = {"zero": {"AWS::SageMaker::InferenceComponent", "AWS::CloudWatch::Alarm"},
             "scheduled": {"AWS::KMS::Key"}, "always_on": set()}[fixture]
    assert tagged == expected | extra
    for resource in resources.values():
        if "Tags" in resource.get("Properties", {}):
            tags = {t["Key"]: t["Value"] for t in resource["Properties"]["Tags"]}
            assert tags == TAGS.as_dict(), resource["Type"]


def test_generated_names_meet_sagemaker_limits(zero: Any) -> None:
    endpoint, _ = zero
    long_one = make(construct_id="A" * 40 + "_with.dots and spaces" + "B" * 40)
    for name in (endpoint.endpoint_name, endpoint.inference_component_name, long_one.endpoint_name,
                 long_one.inference_component_name):
        assert name and len(name) <= 63 and SAGEMAKER_NAME.fullmatch(name), name
    assert long_one.endpoint_name != long_one.inference_component_name
    assert sagemaker_name(long_one) == long_one.endpoint_name  # stable
    renamed = make(construct_id="Ranker", endpoint_name="ranker-v2")
    assert renamed.inference_component_name != make(construct_id="Ranker").inference_component_name


# --- prop rules ----------------------------------------------------------------------------------


@pytest.mark.parametrize(("props", "code", "prop"), [
    ({"instance_type": "g5.xlarge"}, "AIF_INSTANCE_NOT_SAGEMAKER", "instance_type"),
    ({"instance_type": "ml.m5.xlarge"}, "AIF_INSTANCE_NOT_ACCELERATED", "instance_type"),
    ({"instance_type": "ml.g5"}, "AIF_INSTANCE_NOT_ACCELERATED", "instance_type"),
    ({"instance_type": "ml.g5.3xlarge"}, "AIF_INSTANCE_NOT_ACCELERATED", "instance_type"),
    ({"instance_type": "ml.p5.48xlarge"}, "AIF_INSTANCE_NOT_ALLOWED", "instance_type"),
    ({"max_instances": 0}, "AIF_MAX_INSTANCES", "max_instances"),
    ({"min_instances": -1}, "AIF_MIN_INSTANCES", "min_instances"),
    ({"idle_mode": "none", "min_instances": 3, "max_instances": 2}, "AIF_MIN_ABOVE_MAX", "min_instances"),
    ({"idle_mode": "none"}, "AIF_MIN_ZERO_NEEDS_SCALE_TO_ZERO", "min_instances"),
    ({"environment": PROD}, "AIF_MIN_ZERO_NEEDS_SCALE_TO_ZERO", "min_instances"),
    ({"min_instances": 1, "max_instances": 2}, "AIF_SCALE_TO_ZERO_MIN", "min_instances"),
    ({"idle_mode": "schedule", "min_instances": 1}, "AIF_SCHEDULE_NO_EFFECT", "max_instances"),
    ({"invocations_per_instance_target": 0}, "AIF_INVOCATIONS_TARGET", "invocations_per_instance_target"),
    ({"idle_mode": "sometimes"}, "AIF_IDLE_MODE", "idle_mode"),
    ({"business_hours": BusinessHours()}, "AIF_PROP_NOT_FOR_MODE", "business_hours"),
    ({"idle_mode": "none", "min_instances": 1, "component_memory_mb": 2048}, "AIF_PROP_NOT_FOR_MODE",
     "component_memory_mb"),
    ({"component_memory_mb": 64}, "AIF_COMPONENT_MEMORY", "component_memory_mb"),
    ({"idle_mode": "schedule", "min_instances": 1, "max_instances": 2, "business_hours": BusinessHours(
        stop="0 19 * * MON-FRI")}, "AIF_SCHEDULE_CRON", "business_hours.stop"),
    ({"image_uri": "docker.io/library/nginx:latest"}, "AIF_IMAGE_URI", "image_uri"),
    ({"model_data_url": "s3://search-models/ranker/model.bin"}, "AIF_MODEL_DATA_URL", "model_data_url"),
    ({"model_data_url": "https://example.com/model.tar.gz"}, "AIF_MODEL_DATA_URL", "model_data_url"),
    ({"endpoint_name": "ranker_prod"}, "AIF_ENDPOINT_NAME", "endpoint_name"),
    ({"endpoint_name": "r" * 64}, "AIF_ENDPOINT_NAME", "endpoint_name"),
    ({"subnet_selection": ec2.SubnetSelection(subnet_type=ec2.SubnetType.PRIVATE_ISOLATED)}, "AIF_VPC_MISSING",
     "subnet_selection"),
], ids=lambda v: v if isinstance(v, str) else "")
def test_each_rule_fails_with_its_code_path_and_prop(props: dict[str, Any], code: str, prop: str) -> None:
    with pytest.raises(ConstructPropError) as caught:
        make(**props)
    assert f"[{code}] Search/Ranker: prop '{prop}': received " in str(caught.value)


def test_production_default_says_why_min_instances_must_be_explicit() -> None:
    with pytest.raises(ConstructPropError, match=r"idle_mode 'none' \(the production default\)"):
        make(environment=PROD)


def test_instance_type_token_is_refused() -> None:
    stack = new_stack()
    token = cdk.CfnParameter(stack, "Type").value_as_string
    with pytest.raises(ConstructPropError, match=r"\[AIF_INSTANCE_TYPE_TOKEN\]"):
        make(stack, instance_type=token)


def test_public_subnets_are_refused() -> None:
    stack = new_stack()
    vpc = ec2.Vpc.from_vpc_attributes(stack, "Vpc", vpc_id="vpc-0a1b2c3d4e5f60718", availability_zones=["us-east-1a"],
                                      public_subnet_ids=[PUBLIC])
    with pytest.raises(ConstructPropError, match=r"\[AIF_SUBNETS_PUBLIC\] Search/Ranker: prop 'subnet_selection'"):
        make(stack, vpc=vpc, subnet_selection=ec2.SubnetSelection(subnet_type=ec2.SubnetType.PUBLIC))


def test_all_problems_are_reported_at_once() -> None:
    with pytest.raises(ConstructPropError) as caught:
        make(instance_type="ml.p5.48xlarge", max_instances=0, image_uri="nginx")
    assert [p.code for p in caught.value.problems] == ["AIF_INSTANCE_NOT_ALLOWED", "AIF_MAX_INSTANCES",
                                                        "AIF_IMAGE_URI"]


# --- sources, catalog, examples ------------------------------------------------------------------


def test_image_and_model_data_parsing() -> None:
    nested = parse_ecr_image("123456789012.dkr.ecr.eu-west-1.amazonaws.com/team/llm/server@sha256:" + "a" * 64)
    assert nested and nested.repository_arn("aws") == "arn:aws:ecr:eu-west-1:123456789012:repository/team/llm/server"
    china = parse_ecr_image("123456789012.dkr.ecr.cn-north-1.amazonaws.com.cn/server")
    assert china and china.region == "cn-north-1"
    assert parse_ecr_image("public.ecr.aws/nginx/nginx:latest") is None
    stack = new_stack()
    token = parse_model_data(cdk.CfnParameter(stack, "Data").value_as_string)
    assert token is not None and not token.prefix
    assert stack.resolve(token.object_arns("aws")) == {"Fn::Join": ["", ["arn:aws:s3:::", {"Fn::Select": [
        1, {"Fn::Split": ["s3://", {"Ref": "Data"}]}]}]]}


def test_only_ebs_backed_families_take_a_kms_key() -> None:
    ebs_only = {f.name for f in accelerator_catalog().families if f.sagemaker and f.ec2 and not f.local_storage}
    assert ebs_only == {"p2", "p3", "inf1", "inf2"}
    assert not has_instance_storage("ml.inf2.xlarge") and has_instance_storage("ml.g5.xlarge")


def _fixed_fleet_report(config: FinOpsConfig, outdir: Any, **fixed: Any) -> dict[str, Any]:
    """Synthesize a production fixed fleet (min == max == 1) and an elastic one with the AiFinOps pack attached;
    the pack's report entry (or {} when it reported nothing)."""
    import json

    from aifinops.policies.nag import AiFinOpsChecks

    app = cdk.App(context=cdk_json_context(), outdir=str(outdir))
    cdk.Validations.of(app).add_plugins(AiFinOpsChecks(app, config=config))
    stack = cdk.Stack(app, "Serving", env=cdk.Environment(account="444444444444", region="us-east-1"))
    prod_tags = CostTags(team="search", project="ranker", model="llama-3-1-8b-custom", environment="prod",
                         task_type="generation")
    endpoint = make(stack, "Fixed", cost_tags=prod_tags, environment=config.environments["prod"], min_instances=1,
                    max_instances=1, endpoint_name="ranker-fixed", **fixed)
    assert endpoint.scalable_target is None
    make(stack, "Elastic", cost_tags=prod_tags, environment=config.environments["prod"], min_instances=1,
         max_instances=3, endpoint_name="ranker-elastic")
    with contextlib.suppress(RuntimeError):  # a finding fails synthesis; the report is written anyway
        app.synth()
    report = json.loads((outdir / "validation-report.json").read_text())
    template = json.loads((outdir / "Serving.template.json").read_text())
    found = [r for r in report["pluginReports"] if r["pluginName"] == "AiFinOps"]
    return {"plugin": found[0] if found else {}, "template": template}


def test_a_fixed_fleet_is_a_finding_unless_its_owner_says_why(config: FinOpsConfig, tmp_path: Any) -> None:
    """min_instances == max_instances: no scalable target. Without a reason the AiFinOps pack's SM1 fails
    synthesis (the elastic fleet passes); with `fixed_capacity_reason` that reason acknowledges SM1 (kept in the
    report) and skips the checkov twin CKV_AIF_3 in the template."""
    bare = _fixed_fleet_report(config, tmp_path / "bare")["plugin"]
    assert [(v["ruleName"], [c["constructPath"] for c in v["violatingConstructs"]]) for v in bare["violations"]] == [
        ("AiFinOps-SM1", ["Serving/Fixed/Endpoint"])]

    why = "a latency SLO of 50 ms at a steady 400 requests per second: one warm instance, no cold starts"
    reasoned = _fixed_fleet_report(config, tmp_path / "reasoned", fixed_capacity_reason=why)
    plugin = reasoned["plugin"]
    assert plugin["violations"] == []
    [suppressed] = plugin["suppressedViolations"]
    assert (suppressed["acknowledgedId"], suppressed["reason"]) == ("AiFinOps::AiFinOps-SM1", why)
    [endpoint] = [r for r in reasoned["template"]["Resources"].values()
                  if r["Type"] == "AWS::SageMaker::Endpoint" and r["Properties"]["EndpointName"] == "ranker-fixed"]
    assert endpoint["Metadata"]["checkov"]["skip"] == [{"id": "CKV_AIF_3", "comment": why}]


@pytest.mark.parametrize(("props", "code"), [
    ({"min_instances": 1, "max_instances": 3, "fixed_capacity_reason": "a reason long enough to be specific"},
     "AIF_FIXED_REASON_UNUSED"),
    ({"min_instances": 1, "max_instances": 1, "fixed_capacity_reason": "steady"}, "AIF_FIXED_REASON_SHORT"),
])
def test_a_fixed_capacity_reason_must_fit_and_say_something(props: dict[str, Any], code: str) -> None:
    with pytest.raises(ConstructPropError, match=code):
        make(environment=PROD, endpoint_name="ranker-prod", **props)
