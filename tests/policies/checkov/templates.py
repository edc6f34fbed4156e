"""CloudFormation fixtures of the checkov check tests, checked in one checkov run (see conftest.py).

Logical ids are unique across all templates: a test finds its resource's results by logical id alone.
Tags follow the reference finops.yaml (teams search and vision, environments dev, staging and prod).
"""

from __future__ import annotations

from typing import Any

GOOD_TAGS = {"team": "search", "project": "ranker", "model": "none", "environment": "dev",
             "task-type": "generation"}


def tag_list(**changes: str | dict[str, Any] | None) -> list[dict[str, Any]]:
    """The compliant cost tags as a CloudFormation tag list; a change to None drops the key."""
    tags = {**GOOD_TAGS, **changes}
    return [{"Key": k, "Value": v} for k, v in tags.items() if v is not None]


def tag_map(**changes: str | None) -> dict[str, str]:
    tags = {**GOOD_TAGS, **changes}
    return {k: v for k, v in tags.items() if v is not None}


def resource(resource_type: str, **props: Any) -> dict[str, Any]:
    return {"Type": resource_type, "Properties": props}


def endpoint_config(instance_type: Any, environment: str = "dev", **tag_changes: str | None) -> dict[str, Any]:
    tags = tag_list(environment=environment, **tag_changes)
    return resource("AWS::SageMaker::EndpointConfig", Tags=tags, ProductionVariants=[
        {"VariantName": "AllTraffic", "ModelName": "m", "InstanceType": instance_type, "InitialInstanceCount": 1}])


def compute_environment(instance_types: list[str], environment: str = "dev") -> dict[str, Any]:
    return resource("AWS::Batch::ComputeEnvironment", Type="MANAGED", Tags=tag_map(environment=environment),
                    ComputeResources={"Type": "SPOT", "MaxvCpus": 96, "InstanceTypes": instance_types,
                                      "Subnets": ["subnet-1"], "InstanceRole": "role"})


def job_definition(seconds: int | None, environment: str | None = "dev") -> dict[str, Any]:
    props: dict[str, Any] = {"Type": "container", "Tags": tag_map(environment=environment),
                             "ContainerProperties": {"Image": "image"}}
    if seconds is not None:
        props["Timeout"] = {"AttemptDurationSeconds": seconds}
    return resource("AWS::Batch::JobDefinition", **props)


def endpoint(name: str | None, environment: str | None = "dev", **extra: Any) -> dict[str, Any]:
    props: dict[str, Any] = {"EndpointConfigName": "config", "Tags": tag_list(environment=environment)}
    if name is not None:
        props["EndpointName"] = name
    return {**resource("AWS::SageMaker::Endpoint", **props), **extra}


def target(resource_id: Any, dimension: str, min_capacity: Any, **extra: Any) -> dict[str, Any]:
    return resource("AWS::ApplicationAutoScaling::ScalableTarget", ServiceNamespace="sagemaker",
                    ResourceId=resource_id, ScalableDimension=dimension, MinCapacity=min_capacity, MaxCapacity=2,
                    **extra)


VARIANT = "sagemaker:variant:DesiredInstanceCount"
COPIES = "sagemaker:inference-component:DesiredCopyCount"
SCHEDULE = [{"ScheduledActionName": "night", "Schedule": "cron(0 19 ? * MON-FRI *)",
             "ScalableTargetAction": {"MinCapacity": 1, "MaxCapacity": 1}}]


def variant_id(endpoint_logical_id: str) -> dict[str, Any]:
    """The ResourceId the CDK writes: a join over the endpoint's EndpointName attribute."""
    return {"Fn::Join": ["", ["endpoint/", {"Fn::GetAtt": [endpoint_logical_id, "EndpointName"]},
                              "/variant/AllTraffic"]]}


COST_TAGS = {
    "TaggedModel": resource("AWS::SageMaker::Model", ExecutionRoleArn="role", Tags=tag_list()),
    "ConfigWithoutTeam": endpoint_config("ml.g5.xlarge", team=None),
    "NotebookUnknownEnvironment": resource("AWS::SageMaker::NotebookInstance", InstanceType="ml.t3.medium",
                                           RoleArn="role", Tags=tag_list(environment="qa")),
    "QueueProjectOfOtherTeam": resource("AWS::Batch::JobQueue", Priority=1, ComputeEnvironmentOrder=[],
                                        Tags=tag_map(project="defect-detect")),
    "ProfileCatalogModel": resource("AWS::Bedrock::ApplicationInferenceProfile", InferenceProfileName="p",
                                    Tags=tag_list(model="us.anthropic.claude-haiku-4-5-20251001-v1:0")),
    "ProfileUnknownModel": resource("AWS::Bedrock::ApplicationInferenceProfile", InferenceProfileName="q",
                                    Tags=tag_list(model="gpt-5")),
    "ComponentTeamFromParameter": resource("AWS::SageMaker::InferenceComponent", EndpointName="x",
                                           Tags=tag_list(team={"Ref": "Team"})),
    "SmallInstanceUntagged": resource("AWS::EC2::Instance", InstanceType="t3.micro", ImageId="ami-1"),
    "GpuInstanceUntagged": resource("AWS::EC2::Instance", InstanceType="g5.xlarge", ImageId="ami-1"),
    "InstanceTypeFromParameter": resource("AWS::EC2::Instance", InstanceType={"Ref": "Type"}, ImageId="ami-1"),
    "ModelTagsFromParameter": resource("AWS::SageMaker::Model", ExecutionRoleArn="role",
                                       Tags={"Fn::If": ["Prod", [], []]}),
    "GpuLaunchTemplateTagged": resource("AWS::EC2::LaunchTemplate", LaunchTemplateData={
        "InstanceType": "p5.48xlarge",
        "TagSpecifications": [{"ResourceType": "instance", "Tags": tag_list(environment="prod")}]}),
    "LaunchTemplateWithoutType": resource("AWS::EC2::LaunchTemplate", LaunchTemplateData={"ImageId": "ami-1"}),
    "BucketUntagged": resource("AWS::S3::Bucket"),
}

ACCELERATORS = {
    "DevConfigG5": endpoint_config("ml.g5.xlarge"),
    "DevConfigP5": endpoint_config("ml.p5.48xlarge"),
    "ProdConfigP5": endpoint_config("ml.p5.48xlarge", "prod"),
    "DevConfigG6": endpoint_config("ml.g6.xlarge"),  # dev allows ml.g4dn and ml.g5 only
    "ConfigTypeFromParameter": endpoint_config({"Ref": "InstanceType"}),
    "CpuNotebook": resource("AWS::SageMaker::NotebookInstance", InstanceType="ml.t3.medium", RoleArn="role",
                            Tags=tag_list()),
    "DevComputeFamilies": compute_environment(["g5", "g6.xlarge", "optimal"]),
    "DevComputeWithP5": compute_environment(["g5", "p5.48xlarge"]),
    "StagingGpuInstance": resource("AWS::EC2::Instance", InstanceType="g6e.xlarge", ImageId="ami-1",
                                   Tags=tag_list(environment="staging")),
    "GpuInstanceNoEnvironment": resource("AWS::EC2::Instance", InstanceType="g5.xlarge", ImageId="ami-1",
                                         Tags=tag_list(environment=None)),
}

TIME_LIMITS = {
    "DevJobAtLimit": job_definition(8 * 3600),
    "DevJobOverLimit": job_definition(8 * 3600 + 1),
    "DevJobNoTimeout": job_definition(None),
    "ProdJobLong": job_definition(72 * 3600, "prod"),
    "JobNoEnvironment": job_definition(100 * 3600, None),  # CKV_AIF_1 reports the tag; no bound to apply
    "DevJobLimitAsText": resource("AWS::Batch::JobDefinition", Type="container", Tags=tag_map(),
                                  ContainerProperties={"Image": "image"}, Timeout={"AttemptDurationSeconds": "90000"}),
    "TimedQueue": resource("AWS::Batch::JobQueue", Priority=1, ComputeEnvironmentOrder=[], Tags=tag_map()),
}

SCALING = {
    # scale to zero: an inference component whose copies' target may reach 0 (literal names throughout)
    "DevZeroEndpoint": endpoint("dev-zero"),
    "DevZeroComponent": resource("AWS::SageMaker::InferenceComponent", EndpointName="dev-zero",
                                 InferenceComponentName="dev-zero-ic", Tags=tag_list()),
    "DevZeroTarget": target("inference-component/dev-zero-ic", COPIES, 0),
    # a classic variant that never goes below 1 and has no schedule
    "DevFixedEndpoint": endpoint("dev-fixed"),
    "DevFixedTarget": target(variant_id("DevFixedEndpoint"), VARIANT, 1),
    # no literal name: matched by reference; a schedule scales it down at night
    "DevScheduledEndpoint": endpoint(None),
    "DevScheduledTarget": target(variant_id("DevScheduledEndpoint"), VARIANT, 1, ScheduledActions=SCHEDULE),
    # an inference component referenced by Fn::GetAtt, its target by a join over the component's name
    "DevRefEndpoint": endpoint(None),
    "DevRefComponent": resource("AWS::SageMaker::InferenceComponent",
                                EndpointName={"Fn::GetAtt": ["DevRefEndpoint", "EndpointName"]}, Tags=tag_list()),
    "DevRefTarget": target({"Fn::Join": ["", ["inference-component/", {
        "Fn::GetAtt": ["DevRefComponent", "InferenceComponentName"]}]]}, COPIES, 0),
    "ProdFixedEndpoint": endpoint("prod-fixed", "prod"),
    "ProdFixedTarget": target("endpoint/prod-fixed/variant/AllTraffic", VARIANT, 1),
    "ProdUnscaledEndpoint": endpoint("prod-unscaled", "prod"),
    # no configured environment: CKV_AIF_1 reports the tag, scale-down is not judged
    "UntaggedFixedEndpoint": endpoint("untagged-fixed", None),
    "UntaggedFixedTarget": target("endpoint/untagged-fixed/variant/AllTraffic", VARIANT, 1),
    "DevSkippedEndpoint": endpoint("dev-skipped", Metadata={"checkov": {"skip": [
        {"id": "CKV_AIF_3", "comment": "a load test endpoint, deleted after the run"}]}}),
}

# Review findings: cases the cdk-nag rules and the checks once judged apart (test_parity.py compares them all).
NO_VALUE = {"Ref": "AWS::NoValue"}
SERVERLESS = [{"VariantName": "AllTraffic", "ModelName": "m",
               "ServerlessConfig": {"MaxConcurrency": 5, "MemorySizeInMB": 2048}}]


def endpoint_config_of(variants: list[dict[str, Any]], name: str | None = None) -> dict[str, Any]:
    props: dict[str, Any] = {"Tags": tag_list(), "ProductionVariants": variants}
    if name is not None:
        props["EndpointConfigName"] = name
    return resource("AWS::SageMaker::EndpointConfig", **props)


def endpoint_on(config: Any, name: str | None = None) -> dict[str, Any]:
    props: dict[str, Any] = {"EndpointConfigName": config, "Tags": tag_list()}
    if name is not None:
        props["EndpointName"] = name
    return resource("AWS::SageMaker::Endpoint", **props)


def job_with_timeout(timeout: Any) -> dict[str, Any]:
    return resource("AWS::Batch::JobDefinition", Type="container", Tags=tag_map(),
                    ContainerProperties={"Image": "image"}, Timeout=timeout)


def launch_template(instance_type: str, *specs: Any) -> dict[str, Any]:
    return resource("AWS::EC2::LaunchTemplate", LaunchTemplateData={
        "InstanceType": instance_type, "TagSpecifications": list(specs)})


UP_ONLY = [{"ScheduledActionName": "morning", "Schedule": "cron(0 8 ? * MON-FRI *)",
            "ScalableTargetAction": {"MinCapacity": 4}}]
TASK_TYPE_IF = {"Fn::If": ["Training", {"Key": "task-type", "Value": "training"}, NO_VALUE]}

REVIEW = {
    # SM1 / CKV_AIF_3: serverless endpoints need no scalable target
    "ServerlessConfig": endpoint_config_of(SERVERLESS),
    "ServerlessEndpoint": endpoint_on({"Fn::GetAtt": ["ServerlessConfig", "EndpointConfigName"]}),
    "NamedServerlessConfig": endpoint_config_of(SERVERLESS, "named-serverless"),
    "NamedServerlessEndpoint": endpoint_on("named-serverless"),
    "ProvisionedServerlessConfig": endpoint_config_of([{**SERVERLESS[0], "ServerlessConfig": {
        **SERVERLESS[0]["ServerlessConfig"], "ProvisionedConcurrency": 2}}]),
    "ProvisionedServerlessEndpoint": endpoint_on({"Fn::GetAtt": ["ProvisionedServerlessConfig",
                                                                 "EndpointConfigName"]}),
    # numbers written as text, a schedule that only scales up, an unresolved MinCapacity, Fn::Sub (list form)
    "TextMinEndpoint": endpoint("text-min"),
    "TextMinTarget": target("endpoint/text-min/variant/AllTraffic", VARIANT, "1"),
    "TextZeroEndpoint": endpoint("text-zero"),
    "TextZeroComponent": resource("AWS::SageMaker::InferenceComponent", EndpointName="text-zero",
                                  InferenceComponentName="text-zero-ic", Tags=tag_list()),
    "TextZeroTarget": target("inference-component/text-zero-ic", COPIES, "0"),
    "ScaleUpEndpoint": endpoint("scale-up"),
    "ScaleUpTarget": target("endpoint/scale-up/variant/AllTraffic", VARIANT, 1, ScheduledActions=UP_ONLY),
    "TokenMinEndpoint": endpoint("token-min"),
    "TokenMinTarget": target("endpoint/token-min/variant/AllTraffic", VARIANT, {"Ref": "Min"}),
    "SubListEndpoint": endpoint(None),
    "SubListTarget": target({"Fn::Sub": ["endpoint/${Name}/variant/AllTraffic", {
        "Name": {"Fn::GetAtt": ["SubListEndpoint", "EndpointName"]}}]}, VARIANT, 1),
    # JOB1 / CKV_AIF_4: a Timeout that may be unset is not judged; an unresolved length is set
    "JobTimeoutIf": job_with_timeout({"Fn::If": ["Bounded", {"AttemptDurationSeconds": 3600}, NO_VALUE]}),
    "JobSecondsIf": job_with_timeout({"AttemptDurationSeconds": {"Fn::If": ["Bounded", 3600, NO_VALUE]}}),
    "JobSecondsFromParameter": job_with_timeout({"AttemptDurationSeconds": {"Ref": "Seconds"}}),
    "JobSecondsAsTextOver": job_with_timeout({"AttemptDurationSeconds": "28801"}),
    # TAG1 / CKV_AIF_1: Fn::If items of a tag list, launch templates with several instance tag specifications
    "ModelTagFromCondition": resource("AWS::SageMaker::Model", ExecutionRoleArn="role",
                                      Tags=[*tag_list(**{"task-type": None}), TASK_TYPE_IF]),
    "ModelTagKeyUnresolved": resource("AWS::SageMaker::Model", ExecutionRoleArn="role", Tags=[
        *tag_list(), {"Fn::If": ["Extra", {"Key": {"Ref": "ExtraKey"}, "Value": "x"}, NO_VALUE]}]),
    "ModelTagMissing": resource("AWS::SageMaker::Model", ExecutionRoleArn="role",
                                Tags=tag_list(**{"task-type": None})),
    "LaunchTemplateTwoSpecs": launch_template(
        "g5.xlarge", {"ResourceType": "instance", "Tags": tag_list()[:2]},
        {"ResourceType": "volume", "Tags": []}, {"ResourceType": "instance", "Tags": tag_list()[2:]}),
    "LaunchTemplateSpecsMissTeam": launch_template(
        "g5.xlarge", {"ResourceType": "instance", "Tags": tag_list(team=None)[:2]},
        {"ResourceType": "instance", "Tags": tag_list(team=None)[2:]}),
    "LaunchTemplateSpecTagsIf": launch_template(
        "g5.xlarge", {"ResourceType": "instance", "Tags": {"Fn::If": ["Tagged", tag_list(), []]}}),
}

# A scalable target whose ResourceId cannot be read makes any endpoint of its template without a target
# "not judged": it gets a template of its own.
OPAQUE_SCALING = {
    "OpaqueEndpoint": endpoint("opaque"),
    "OpaqueTarget": target({"Fn::ImportValue": "shared-resource-id"}, VARIANT, 1),
    "ParameterEndpoint": endpoint("parameter"),
    "ParameterTarget": target({"Ref": "TargetResourceId"}, VARIANT, 1),
}


# IMD1 / CKV_AIF_5: accelerated instances and launch templates require IMDSv2.
def launch_template(instance_type: str | None, options: Any = None, name: str | None = None) -> dict[str, Any]:
    data: dict[str, Any] = {}
    if instance_type is not None:
        data["InstanceType"] = instance_type
    if options is not None:
        data["MetadataOptions"] = options
    props: dict[str, Any] = {"LaunchTemplateData": data}
    if name is not None:
        props["LaunchTemplateName"] = name
    return resource("AWS::EC2::LaunchTemplate", **props)


def instance(instance_type: str, launch_template: Any = None) -> dict[str, Any]:
    props: dict[str, Any] = {"InstanceType": instance_type, "ImageId": "ami-12345678",
                             "Tags": tag_list()}
    if launch_template is not None:
        props["LaunchTemplate"] = launch_template
    return resource("AWS::EC2::Instance", **props)


REQUIRED = {"HttpTokens": "required"}
IMDS = {
    "ImdsRequiredTemplate": launch_template("g5.xlarge", REQUIRED),
    "ImdsOptionalTemplate": launch_template("g5.xlarge", {"HttpTokens": "optional"}),
    "ImdsNoOptionsTemplate": launch_template("p4d.24xlarge"),
    "ImdsNoTokensTemplate": launch_template("g5.xlarge", {"HttpPutResponseHopLimit": 2}),
    "ImdsDisabledTemplate": launch_template("g5.xlarge", {"HttpEndpoint": "disabled"}),
    "ImdsUnresolvedTokens": launch_template("g5.xlarge", {"HttpTokens": {"Ref": "Tokens"}}),
    "ImdsCpuTemplate": launch_template("m5.large"),
    "ImdsTypelessRequired": launch_template(None, REQUIRED, name="gpu-imdsv2"),
    "ImdsTypelessOptional": launch_template(None, {"HttpTokens": "optional"}, name="gpu-imdsv1"),
    "ImdsBareInstance": instance("p5.48xlarge"),
    "ImdsCpuInstance": instance("m5.large"),
    "ImdsInstanceByRef": instance("g5.xlarge", {"LaunchTemplateId": {"Ref": "ImdsTypelessRequired"},
                                                "Version": "1"}),
    "ImdsInstanceByName": instance("g5.xlarge", {"LaunchTemplateName": "gpu-imdsv2", "Version": "1"}),
    "ImdsInstanceByRefOptional": instance("g6.xlarge", {"LaunchTemplateId": {"Ref": "ImdsTypelessOptional"},
                                                        "Version": "1"}),
    "ImdsInstanceByGetAtt": instance("g6.xlarge", {
        "LaunchTemplateId": {"Fn::GetAtt": ["ImdsTypelessOptional", "LaunchTemplateId"]}, "Version": "1"}),
    "ImdsInstanceElsewhere": instance("g5.xlarge", {"LaunchTemplateId": "lt-0123456789abcdef0", "Version": "1"}),
}

# SNS2 / CKV_AIF_6: the pack's topics are encrypted with a customer managed key.
KEY_ARN = "arn:aws:kms:us-east-1:222222222222:key/1234abcd-12ab-34cd-56ef-1234567890ab"
PACK_TOPIC_METADATA = {"aifinops:pack-topic": {"construct": "BudgetTopic"}}
TOPICS = {
    "PackTopicEncrypted": {**resource("AWS::SNS::Topic", KmsMasterKeyId=KEY_ARN), "Metadata": PACK_TOPIC_METADATA},
    "PackTopicByRef": {**resource("AWS::SNS::Topic", KmsMasterKeyId={"Fn::GetAtt": ["Key", "Arn"]}),
                       "Metadata": PACK_TOPIC_METADATA},
    "PackTopicPlain": {**resource("AWS::SNS::Topic", TopicName="renamed"), "Metadata": PACK_TOPIC_METADATA},
    "PackTopicByName": resource("AWS::SNS::Topic", TopicName="aifinops-gpu-guard"),
    "PackTopicAwsManaged": resource("AWS::SNS::Topic", TopicName="aifinops-budgets", KmsMasterKeyId="alias/aws/sns"),
    "PackTopicManagedArn": {**resource("AWS::SNS::Topic", KmsMasterKeyId={
        "Fn::Sub": "arn:${AWS::Partition}:kms:${AWS::Region}:${AWS::AccountId}:alias/aws/sns"}),
        "Metadata": PACK_TOPIC_METADATA},
    "UserTopicPlain": resource("AWS::SNS::Topic", TopicName="orders"),
}


# The other doors to accelerated capacity (ACC1/CKV_AIF_2, TAG1/CKV_AIF_1): fleets, groups, node groups, clusters.
def _instance_tag_specs(**changes: str | None) -> list[dict[str, Any]]:
    return [{"ResourceType": "instance", "Tags": tag_list(**changes)}]


def _overrides(*types: str) -> list[dict[str, Any]]:
    return [{"LaunchTemplateSpecification": {"LaunchTemplateId": "lt-0123456789abcdef0", "Version": "1"},
             "Overrides": [{"InstanceType": t} for t in types]}]


DOORS = {
    "DoorAsgP5": resource("AWS::AutoScaling::AutoScalingGroup", MinSize="0", MaxSize="2", Tags=[
        {"Key": k, "Value": v, "PropagateAtLaunch": True} for k, v in GOOD_TAGS.items()], MixedInstancesPolicy={
            "LaunchTemplate": {"LaunchTemplateSpecification": {"LaunchTemplateId": "lt-1", "Version": "1"},
                               "Overrides": [{"InstanceType": "g5.xlarge"}, {"InstanceType": "p5.48xlarge"}]}}),
    "DoorAsgCpuUntagged": resource("AWS::AutoScaling::AutoScalingGroup", MinSize="0", MaxSize="2",
                                   MixedInstancesPolicy={"LaunchTemplate": {
                                       "LaunchTemplateSpecification": {"LaunchTemplateId": "lt-1", "Version": "1"},
                                       "Overrides": [{"InstanceType": "m5.large"}]}}),
    "DoorFleetG5": resource("AWS::EC2::EC2Fleet", TargetCapacitySpecification={"TotalTargetCapacity": 1},
                            LaunchTemplateConfigs=_overrides("g5.xlarge"), TagSpecifications=_instance_tag_specs()),
    "DoorFleetUntagged": resource("AWS::EC2::EC2Fleet", TargetCapacitySpecification={"TotalTargetCapacity": 1},
                                  LaunchTemplateConfigs=_overrides("g6.xlarge")),
    "DoorSpotFleetP4d": resource("AWS::EC2::SpotFleet", SpotFleetRequestConfigData={
        "IamFleetRole": "arn:aws:iam::222222222222:role/fleet", "TargetCapacity": 1,
        "LaunchSpecifications": [{"ImageId": "ami-12345678", "InstanceType": "p4d.24xlarge"}],
        "TagSpecifications": [{"ResourceType": "instance", "Tags": tag_list()}]}),
    "DoorNodegroupP5": resource("AWS::EKS::Nodegroup", ClusterName="c", NodeRole="arn:aws:iam::222222222222:role/n",
                                Subnets=["subnet-1"], InstanceTypes=["p5.48xlarge"], Tags=tag_map()),
    "DoorNodegroupG5NoModel": resource("AWS::EKS::Nodegroup", ClusterName="c", Subnets=["subnet-1"],
                                       NodeRole="arn:aws:iam::222222222222:role/n", InstanceTypes=["g5.xlarge"],
                                       Tags=tag_map(model=None)),
    "DoorHyperPodP5": resource("AWS::SageMaker::Cluster", Tags=tag_list(), InstanceGroups=[
        {"InstanceGroupName": "workers", "InstanceType": "ml.p5.48xlarge", "InstanceCount": 2,
         "ExecutionRole": "arn:aws:iam::222222222222:role/hp",
         "LifeCycleConfig": {"SourceS3Uri": "s3://b/l", "OnCreate": "on_create.sh"}}]),
    "DoorHyperPodG5": resource("AWS::SageMaker::Cluster", Tags=tag_list(), InstanceGroups=[
        {"InstanceGroupName": "workers", "InstanceType": "ml.g5.xlarge", "InstanceCount": 1,
         "ExecutionRole": "arn:aws:iam::222222222222:role/hp",
         "LifeCycleConfig": {"SourceS3Uri": "s3://b/l", "OnCreate": "on_create.sh"}}]),
    # doors the schemas name (aif_resources.INSTANCE_TYPE_PATHS) and attribute-based selection
    "DoorProcessingP5": resource("AWS::SageMaker::ProcessingJob", Tags=tag_list(), ProcessingResources={
        "ClusterConfig": {"InstanceType": "ml.p5.48xlarge", "InstanceCount": 1, "VolumeSizeInGB": 30}}),
    "DoorStudioAppG5": resource("AWS::SageMaker::App", AppName="lab", AppType="JupyterLab", DomainId="d-1",
                                Tags=tag_list(), ResourceSpec={"InstanceType": "ml.g5.xlarge"}),
    "DoorReservationP5Untagged": resource("AWS::EC2::CapacityReservation", InstanceType="p5.48xlarge",
                                          InstanceCount=2, InstancePlatform="Linux/UNIX",
                                          AvailabilityZone="us-east-1a"),
    "DoorEmrP4d": resource("AWS::EMR::Cluster", Tags=tag_list(), Instances={
        "CoreInstanceGroup": {"InstanceType": "p4d.24xlarge", "InstanceCount": 2}}),
    "DoorAsgAnyGpu": resource("AWS::AutoScaling::AutoScalingGroup", MinSize="0", MaxSize="2", Tags=tag_list(),
                              MixedInstancesPolicy={"LaunchTemplate": {
                                  "LaunchTemplateSpecification": {"LaunchTemplateId": "lt-1", "Version": "1"},
                                  "Overrides": [{"InstanceRequirements": {"AcceleratorCount": {"Min": 1},
                                                                          "VCpuCount": {"Min": 4}}}]}}),
    "DoorAsgG5Pattern": resource("AWS::AutoScaling::AutoScalingGroup", MinSize="0", MaxSize="2", Tags=tag_list(),
                                 MixedInstancesPolicy={"LaunchTemplate": {
                                     "LaunchTemplateSpecification": {"LaunchTemplateId": "lt-1", "Version": "1"},
                                     "Overrides": [{"InstanceRequirements": {"AllowedInstanceTypes": ["g5.*"],
                                                                             "VCpuCount": {"Min": 4}}}]}}),
}

TEMPLATES = {"cost_tags.json": COST_TAGS, "accelerators.json": ACCELERATORS, "time_limits.json": TIME_LIMITS,
             "scaling.json": SCALING, "review.json": REVIEW, "opaque_scaling.json": OPAQUE_SCALING,
             "imds.json": IMDS, "topics.json": TOPICS, "doors.json": DOORS}
