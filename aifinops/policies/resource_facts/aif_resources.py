"""The AI resource types the checks cover, where each keeps its cost tags, instance types and time limit.
Standard library only.

These lists are the one place both tools read their resource types from: the checkov checks
(`aifinops.policies.checkov`) and the cdk-nag rules (`aifinops.policies.nag.rules`);
tests/policies/nag/test_shared_facts.py pins that each rule covers the types of its check.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Collection, Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING or __package__:  # imported as part of aifinops (the cdk-nag rules, tests)
    from aifinops.policies.resource_facts import aif_template as t
else:  # checkov: this directory is on sys.path (aifinops/policies/checkov/aif_facts.py)
    import aif_template as t

LAUNCH_TEMPLATE = "AWS::EC2::LaunchTemplate"
EC2_INSTANCE = "AWS::EC2::Instance"
ENDPOINT = "AWS::SageMaker::Endpoint"
ENDPOINT_CONFIG = "AWS::SageMaker::EndpointConfig"
NOTEBOOK = "AWS::SageMaker::NotebookInstance"
INFERENCE_COMPONENT = "AWS::SageMaker::InferenceComponent"
COMPUTE_ENVIRONMENT = "AWS::Batch::ComputeEnvironment"
JOB_DEFINITION = "AWS::Batch::JobDefinition"
SCALABLE_TARGET = "AWS::ApplicationAutoScaling::ScalableTarget"
# Other doors to accelerated capacity: judged, like EC2 instances, when one of their types is accelerated.
AUTO_SCALING_GROUP = "AWS::AutoScaling::AutoScalingGroup"
LAUNCH_CONFIGURATION = "AWS::AutoScaling::LaunchConfiguration"
EC2_FLEET = "AWS::EC2::EC2Fleet"
SPOT_FLEET = "AWS::EC2::SpotFleet"
EKS_NODEGROUP = "AWS::EKS::Nodegroup"
SAGEMAKER_CLUSTER = "AWS::SageMaker::Cluster"
CAPACITY_RESERVATION = "AWS::EC2::CapacityReservation"
PROCESSING_JOB = "AWS::SageMaker::ProcessingJob"
STUDIO_APP = "AWS::SageMaker::App"
EMR_CLUSTER = "AWS::EMR::Cluster"
EMR_INSTANCE_GROUP = "AWS::EMR::InstanceGroupConfig"
EMR_INSTANCE_FLEET = "AWS::EMR::InstanceFleetConfig"

_STUDIO_APPS = ("CodeEditorAppSettings", "JupyterLabAppSettings", "JupyterServerAppSettings",
                "KernelGatewayAppSettings", "RSessionAppSettings")
_EMR_FLEET = "InstanceTypeConfigs[].InstanceType"
# Where each resource type names the instance types it launches, reserves or runs on ("[]" steps into every
# item of a list). One table for every door: tests/policies/test_capacity_doors.py compares it with the
# CloudFormation schemas cfn-lint ships, so a resource type with an instance type property fails CI until it
# is listed here or in NOT_CAPACITY with its reason.
INSTANCE_TYPE_PATHS: dict[str, tuple[str, ...]] = {
    EC2_INSTANCE: ("InstanceType",),
    NOTEBOOK: ("InstanceType",),
    LAUNCH_TEMPLATE: ("LaunchTemplateData.InstanceType",),
    LAUNCH_CONFIGURATION: ("InstanceType",),
    AUTO_SCALING_GROUP: ("MixedInstancesPolicy.LaunchTemplate.Overrides[].InstanceType",),
    EC2_FLEET: ("LaunchTemplateConfigs[].Overrides[].InstanceType",),
    SPOT_FLEET: ("SpotFleetRequestConfigData.LaunchSpecifications[].InstanceType",
                 "SpotFleetRequestConfigData.LaunchTemplateConfigs[].Overrides[].InstanceType"),
    CAPACITY_RESERVATION: ("InstanceType",),
    "AWS::EC2::CapacityReservationFleet": ("InstanceTypeSpecifications[].InstanceType",),
    "AWS::EC2::Host": ("InstanceType", "InstanceFamily"),
    EKS_NODEGROUP: ("InstanceTypes",),
    COMPUTE_ENVIRONMENT: ("ComputeResources.InstanceTypes",),
    JOB_DEFINITION: ("NodeProperties.NodeRangeProperties[].InstanceTypes",
                     "NodeProperties.NodeRangeProperties[].Container.InstanceType"),
    ENDPOINT_CONFIG: ("ProductionVariants[].InstanceType", "ProductionVariants[].InstancePools[].InstanceType",
                      "ShadowProductionVariants[].InstanceType",
                      "ShadowProductionVariants[].InstancePools[].InstanceType"),
    INFERENCE_COMPONENT: ("Specifications[].InstanceType",),
    SAGEMAKER_CLUSTER: ("InstanceGroups[].InstanceType", "InstanceGroups[].InstanceRequirements.InstanceTypes",
                        "RestrictedInstanceGroups[].InstanceType"),
    PROCESSING_JOB: ("ProcessingResources.ClusterConfig.InstanceType",),
    "AWS::SageMaker::MonitoringSchedule": (
        "MonitoringScheduleConfig.MonitoringJobDefinition.MonitoringResources.ClusterConfig.InstanceType",),
    **{f"AWS::SageMaker::{kind}JobDefinition": ("JobResources.ClusterConfig.InstanceType",)
       for kind in ("DataQuality", "ModelBias", "ModelExplainability", "ModelQuality")},
    "AWS::SageMaker::InferenceExperiment": (
        "ModelVariants[].InfrastructureConfig.RealTimeInferenceConfig.InstanceType",),
    STUDIO_APP: ("ResourceSpec.InstanceType",),
    "AWS::SageMaker::Space": tuple(f"SpaceSettings.{a}.DefaultResourceSpec.InstanceType" for a in _STUDIO_APPS[:4]),
    "AWS::SageMaker::UserProfile": tuple(f"UserSettings.{a}.DefaultResourceSpec.InstanceType"
                                         for a in _STUDIO_APPS[:4]),
    "AWS::SageMaker::Domain": (
        *(f"DefaultUserSettings.{a}.DefaultResourceSpec.InstanceType" for a in _STUDIO_APPS),
        *(f"DefaultSpaceSettings.{a}.DefaultResourceSpec.InstanceType" for a in _STUDIO_APPS[1:4]),
        "DomainSettings.RStudioServerProDomainSettings.DefaultResourceSpec.InstanceType"),
    EMR_CLUSTER: ("Instances.MasterInstanceGroup.InstanceType", "Instances.CoreInstanceGroup.InstanceType",
                  "Instances.TaskInstanceGroups[].InstanceType", f"Instances.MasterInstanceFleet.{_EMR_FLEET}",
                  f"Instances.CoreInstanceFleet.{_EMR_FLEET}", f"Instances.TaskInstanceFleets[].{_EMR_FLEET}"),
    EMR_INSTANCE_GROUP: ("InstanceType",),
    EMR_INSTANCE_FLEET: (_EMR_FLEET,),
    "AWS::PCS::ComputeNodeGroup": ("InstanceConfigs[].InstanceType",),
    "AWS::GameLift::Fleet": ("EC2InstanceType",),
    "AWS::GameLift::ContainerFleet": ("InstanceType",),
    "AWS::GameLift::GameServerGroup": ("InstanceDefinitions[].InstanceType",),
    "AWS::Cloud9::EnvironmentEC2": ("InstanceType",),
    "AWS::ImageBuilder::InfrastructureConfiguration": ("InstanceTypes",),
    "AWS::WorkspacesInstances::WorkspaceInstance": ("ManagedInstance.InstanceType",),
}
# Attribute-based selection: EC2 picks the types at launch from requirements (InstanceRequirements, Deadline's
# InstanceCapabilities). Judged by what they let through: each accelerated family an AllowedInstanceTypes
# pattern matches, or every accelerated family when they ask for accelerators without naming types.
REQUIREMENT_PATHS: dict[str, tuple[str, ...]] = {
    LAUNCH_TEMPLATE: ("LaunchTemplateData.InstanceRequirements",),
    AUTO_SCALING_GROUP: ("MixedInstancesPolicy.LaunchTemplate.Overrides[].InstanceRequirements",),
    EC2_FLEET: ("LaunchTemplateConfigs[].Overrides[].InstanceRequirements",),
    SPOT_FLEET: ("SpotFleetRequestConfigData.LaunchSpecifications[].InstanceRequirements",
                 "SpotFleetRequestConfigData.LaunchTemplateConfigs[].Overrides[].InstanceRequirements"),
    COMPUTE_ENVIRONMENT: ("ComputeResources.ManagedInstancesProvider.InstanceLaunchTemplate.InstanceRequirements",),
    "AWS::ECS::CapacityProvider": ("ManagedInstancesProvider.InstanceLaunchTemplate.InstanceRequirements",),
    "AWS::Lambda::CapacityProvider": ("InstanceRequirements",),
    "AWS::BedrockAgentCore::CapacityProvider": (
        "ComputeConfiguration.Ec2Configuration.LaunchTemplateSource.LaunchParameters.InstanceRequirements",),
    "AWS::Deadline::Fleet": ("Configuration.ServiceManagedEc2.InstanceCapabilities",),
}
# Resource types whose schema names instance types that launch nothing accelerated, and why (the test above
# reads this); a path of a listed type ("TYPE PATH") excludes only that property.
NOT_CAPACITY: dict[str, str] = {
    "AWS::AmazonMQ::Broker": "broker hosts (mq.* types), never accelerated",
    "AWS::AppStream::AppBlockBuilder": "AppStream's own stream.* types, outside the EC2 and SageMaker catalog",
    "AWS::AppStream::Fleet": "AppStream's own stream.* types, outside the EC2 and SageMaker catalog",
    "AWS::AppStream::ImageBuilder": "AppStream's own stream.* types, outside the EC2 and SageMaker catalog",
    "AWS::DRS::ReplicationConfigurationTemplate": "replication servers of Elastic Disaster Recovery",
    "AWS::EKS::Cluster": "the control plane of an EKS cluster on Outposts",
    "AWS::EVS::Environment": "VMware hosts (i4i.metal), never accelerated",
    "AWS::Elasticsearch::Domain": "search domain types (*.elasticsearch), never accelerated",
    "AWS::OpenSearchService::Domain": "search domain types (*.search), never accelerated",
    "AWS::M2::Environment": "mainframe runtime types (M2.*)",
    "AWS::MSK::Cluster": "Kafka broker types (kafka.*)",
    "AWS::ManagedBlockchain::Node": "blockchain node types (bc.*)",
    "AWS::Pipes::Pipe": "a Batch job's container override: the job's compute environment is judged",
    "AWS::Route53Resolver::OutpostResolver": "resolver sizes on Outposts",
    "AWS::Route53Resolver::ResolverEndpoint": "resolver sizes on Outposts",
    "AWS::SageMaker::Algorithm": "the types an algorithm supports: it launches nothing",
    "AWS::SageMaker::ModelPackage": "the types a model package supports: it launches nothing",
    "AWS::SageMaker::ComputeQuota": "a share of a HyperPod cluster, whose instance groups are judged",
    "AWS::SecurityHub::Insight": "a findings filter",
    "AWS::Timestream::InfluxDBInstance": "database types (db.influx.*)",
    "AWS::Timestream::InfluxDBCluster": "database types (db.influx.*)",
    "AWS::Timestream::InfluxDBBackup": "database types (db.influx.*)",
    "AWS::WorkSpacesWeb::Portal": "browser session sizes",
    "AWS::EC2::EC2Fleet OnDemandOptions.SingleInstanceType": "a boolean (one type per fleet)",
    "AWS::EC2::EC2Fleet SpotOptions.SingleInstanceType": "a boolean (one type per fleet)",
    "AWS::EC2::LaunchTemplate LaunchTemplateData.InstanceMarketOptions.SpotOptions.SpotInstanceType":
        "one-time or persistent, not a type",
    "AWS::Batch::ComputeEnvironment ComputeResources.LaunchTemplate.Overrides[].TargetInstanceTypes":
        "which of the listed InstanceTypes an override launch template applies to",
    "AWS::SageMaker::InferenceComponent RuntimeConfig.PlacementStatus[].InstanceType":
        "read-only: where the component was placed",
}

_MEMORY = "MemoryStrategies[].CustomMemoryStrategy.Configuration"
_EVALUATOR = "EvaluatorConfig.{}.ModelConfig.{}.ModelId"
_LEX_MODEL = "BotLocales[].{}.ModelArn"
# Where each resource type names the foundation models (or inference profiles) it invokes, by id or ARN: the
# environment's model tier holds there (AiFinOps-BR2). Kept complete against the CloudFormation schemas like the
# instance type paths (tests/policies/test_model_doors.py); NOT_MODEL says why a model-like property is not one.
MODEL_PATHS: dict[str, tuple[str, ...]] = {
    "AWS::Bedrock::Agent": ("FoundationModel", "PromptOverrideConfiguration.PromptConfigurations[].FoundationModel"),
    "AWS::Bedrock::ApplicationInferenceProfile": ("ModelSource.CopyFrom",),
    "AWS::Bedrock::DataSource": tuple(
        f"VectorIngestionConfiguration.{c}.BedrockFoundationModelConfiguration.ModelArn"
        for c in ("ContextEnrichmentConfiguration", "ParsingConfiguration")),
    **{f"AWS::Bedrock::{kind}": (
        "Definition.Nodes[].Configuration.KnowledgeBase.ModelId",
        "Definition.Nodes[].Configuration.KnowledgeBase.RerankingConfiguration.BedrockRerankingConfiguration."
        "ModelConfiguration.ModelArn",
        "Definition.Nodes[].Configuration.Prompt.SourceConfiguration.Inline.ModelId")
        for kind in ("Flow", "FlowVersion")},
    "AWS::Bedrock::IntelligentPromptRouter": ("FallbackModel.ModelArn", "Models[].ModelArn"),
    "AWS::Bedrock::KnowledgeBase": tuple(f"KnowledgeBaseConfiguration.{c}.EmbeddingModelArn"
                                         for c in ("ManagedKnowledgeBaseConfiguration",
                                                   "VectorKnowledgeBaseConfiguration")),
    "AWS::Bedrock::Prompt": ("Variants[].ModelId",),
    "AWS::Bedrock::PromptVersion": ("Variants[].ModelId",),
    "AWS::BedrockAgentCore::Evaluator": tuple(
        _EVALUATOR.format(k, c) for k in ("Derived", "LlmAsAJudge")
        for c in ("BedrockEvaluatorModelConfig", "ResponsesEvaluatorModelConfig")),
    "AWS::BedrockAgentCore::Harness": ("Model.BedrockModelConfig.ModelId",),
    "AWS::BedrockAgentCore::Memory": tuple(
        f"{_MEMORY}.{override}.{step}.ModelId" for override, steps in (
            ("EpisodicOverride", ("Consolidation", "Extraction", "Reflection")),
            ("SemanticOverride", ("Consolidation", "Extraction")), ("SummaryOverride", ("Consolidation",)),
            ("UserPreferenceOverride", ("Consolidation", "Extraction"))) for step in steps),
    "AWS::Lex::Bot": tuple(_LEX_MODEL.format(p) for p in (
        "GenerativeAISettings.BuildtimeSettings.DescriptiveBotBuilderSpecification.BedrockModelSpecification",
        "GenerativeAISettings.BuildtimeSettings.SampleUtteranceGenerationSpecification.BedrockModelSpecification",
        "GenerativeAISettings.RuntimeSettings.SlotResolutionImprovementSpecification.BedrockModelSpecification",
        "Intents[].BedrockAgentIntentConfiguration.BedrockAgentIntentKnowledgeBaseConfiguration."
        "BedrockModelConfiguration",
        "Intents[].QnAIntentConfiguration.BedrockModelConfiguration", "UnifiedSpeechSettings.SpeechFoundationModel")),
    "AWS::Wisdom::AIPrompt": ("ModelId",),
    "AWS::Wisdom::KnowledgeBase": (
        "VectorIngestionConfiguration.ParsingConfiguration.BedrockFoundationModelConfiguration.ModelArn",),
}
NOT_MODEL: dict[str, str] = {
    "AWS::ApiGatewayV2::Model": "an API's data model",
    "AWS::Bedrock::ApplicationInferenceProfile Models[].ModelArn": "read-only: the models the profile resolved to",
    "AWS::BedrockAgentCore::Harness Model.GeminiModelConfig.ModelId": "another provider's model, outside Bedrock",
    "AWS::BedrockAgentCore::Harness Model.LiteLlmModelConfig.ModelId": "another provider's model, outside Bedrock",
    "AWS::BedrockAgentCore::Harness Model.OpenAiModelConfig.ModelId": "another provider's model, outside Bedrock",
    "AWS::Comprehend::DocumentClassifierEndpoint": "a Comprehend custom model",
    "AWS::Comprehend::EntityRecognizerEndpoint": "a Comprehend custom model",
    "AWS::Comprehend::Flywheel": "a Comprehend custom model",
    "AWS::IoTSiteWise::Asset": "an IoT asset model",
    "AWS::IoTSiteWise::AssetModel": "an IoT asset model",
    "AWS::IoTSiteWise::ComputationModel": "an IoT computation model",
    "AWS::Lex::Bot BotLocales[].SpeechRecognitionSettings.SpeechModelConfig.DeepgramConfig.ModelId":
        "a Deepgram speech model, outside Bedrock",
    "AWS::Lex::Bot BotLocales[].UnifiedSpeechSettings.SpeechFoundationModel": "the object whose ModelArn is listed",
    "AWS::SageMaker::Model": "read-only: the SageMaker model's own ARN",
    "AWS::SageMaker::ModelCard": "documentation of a model",
}


def model_references(resource_type: str, props: Mapping[str, Any]) -> list[Any]:
    """The model ids or ARNs a resource names, as written (strings, or intrinsic functions)."""
    return [v for path in MODEL_PATHS.get(resource_type, ()) for value in _at(props, path) for v in t.as_list(value)]


# Cost tags (CKV_AIF_1, AiFinOps-TAG1): always, and EC2 only with an accelerated instance type.
AI_RESOURCE_TYPES = (ENDPOINT, ENDPOINT_CONFIG, "AWS::SageMaker::Model", NOTEBOOK, INFERENCE_COMPONENT,
                     "AWS::Bedrock::ApplicationInferenceProfile", COMPUTE_ENVIRONMENT, "AWS::Batch::JobQueue",
                     JOB_DEFINITION)
# Tags live elsewhere: a launch configuration's on its Auto Scaling group, an EMR group's on its cluster.
UNTAGGED_DOORS = (LAUNCH_CONFIGURATION, EMR_INSTANCE_GROUP, EMR_INSTANCE_FLEET)
# Every other door, when one of its types is accelerated.
ACCELERATED_EC2_TYPES = tuple(sorted(
    {*INSTANCE_TYPE_PATHS, *REQUIREMENT_PATHS} - {*AI_RESOURCE_TYPES, *UNTAGGED_DOORS}))
COST_TAG_TYPES = AI_RESOURCE_TYPES + ACCELERATED_EC2_TYPES
# Accelerated instance types allowed (CKV_AIF_2, AiFinOps-ACC1).
INSTANCE_TYPE_TYPES = tuple(sorted({*INSTANCE_TYPE_PATHS, *REQUIREMENT_PATHS}))
# Endpoint scaling (CKV_AIF_3, AiFinOps-SM1) and job time limits (CKV_AIF_4, AiFinOps-JOB1).
ENDPOINT_SCALING_TYPES = (ENDPOINT,)
TIME_LIMIT_TYPES = (JOB_DEFINITION,)
# Tag specifications of the resource itself (capacity reservations and their fleets tag this way).
_OWN_TAG_SPECIFICATIONS = {CAPACITY_RESERVATION: "capacity-reservation",
                           "AWS::EC2::CapacityReservationFleet": "capacity-reservation-fleet"}
_ACCELERATOR_KINDS = ("gpu", "fpga", "inference")
_SIZES = ("medium", "large", "xlarge", "2xlarge", "4xlarge", "8xlarge", "12xlarge", "16xlarge", "24xlarge",
          "48xlarge", "metal")


def cost_tags(resource_type: str, props: Mapping[str, Any]) -> dict[str, str | None] | None:
    """The tags a resource's cost is attributed to; a launch template's are those of its instances.
    None when they cannot be read at all (an intrinsic function stands for them)."""
    if resource_type == LAUNCH_TEMPLATE:
        return t.launch_template_instance_tags(props.get("LaunchTemplateData"))
    if resource_type == EC2_FLEET:
        return t.launch_template_instance_tags(props)  # its `instance` TagSpecifications
    if resource_type == SPOT_FLEET:
        return t.launch_template_instance_tags(props.get("SpotFleetRequestConfigData"))
    if resource_type in _OWN_TAG_SPECIFICATIONS:
        return t.tag_specification_tags(props, _OWN_TAG_SPECIFICATIONS[resource_type])
    return t.read_cost_tags(props.get("Tags"))  # an ASG's tags (PropagateAtLaunch or not), a node group's map


def instance_types(resource_type: str, props: Mapping[str, Any],
                   accelerated_families: Collection[str] = ()) -> list[Any]:
    """The instance types a resource runs on, as written (strings, or intrinsic functions). With the EC2
    accelerated families, attribute-based selection adds each accelerated family it lets through (by
    AllowedInstanceTypes pattern, or all of them when it asks for accelerators without naming types)."""
    found = [v for path in INSTANCE_TYPE_PATHS.get(resource_type, ()) for value in _at(props, path)
             for v in t.as_list(value)]
    if accelerated_families:
        for path in REQUIREMENT_PATHS.get(resource_type, ()):
            for requirements in _at(props, path):
                found.extend(requirement_families(requirements, accelerated_families))
    return found


def requirement_families(requirements: Any, accelerated_families: Collection[str]) -> list[str]:
    """The accelerated families attribute-based selection can launch, sorted."""
    requirements = t.clean(requirements)
    if not isinstance(requirements, dict):
        return []
    allowed = requirements.get("AllowedInstanceTypes")
    if isinstance(allowed, list) and allowed:
        patterns = [p for p in allowed if isinstance(p, str)]
        return sorted(f for f in accelerated_families if any(_family_matches(f, p) for p in patterns))
    return sorted(accelerated_families) if _asks_for_accelerators(requirements) else []


def _family_matches(family: str, pattern: str) -> bool:
    """An AllowedInstanceTypes pattern (`*` stands for any text, as EC2 reads it) can match a type of `family`:
    its family part (before the first dot) matches the family, or, without a dot, the pattern matches a
    common size of the family."""
    pattern = pattern.strip().lower()
    head, dot, _ = pattern.partition(".")
    if dot:
        return fnmatch.fnmatchcase(family, head)
    return any(fnmatch.fnmatchcase(f"{family}.{size}", pattern) for size in _SIZES)


def _asks_for_accelerators(requirements: Mapping[str, Any]) -> bool:
    """Accelerators asked for: a minimum count of one or more, accelerator kinds, names or makers (EC2's
    InstanceRequirements; Deadline's AcceleratorCapabilities)."""
    count = requirements.get("AcceleratorCount")
    minimum = t.number(count.get("Min")) if isinstance(count, dict) else None
    kinds = [k for k in t.as_list(requirements.get("AcceleratorTypes")) if isinstance(k, str)]
    return (minimum is not None and minimum >= 1) or any(k.lower() in _ACCELERATOR_KINDS for k in kinds) \
        or bool(requirements.get("AcceleratorNames")) or bool(requirements.get("AcceleratorManufacturers")) \
        or bool(requirements.get("AcceleratorCapabilities"))


def _at(value: Any, path: str) -> list[Any]:
    """The values at a dotted path ("A.B[].C"), stepping into every item of a list marked "[]"."""
    values = [t.clean(value)]
    for step in path.split("."):
        key, each = step.removesuffix("[]"), step.endswith("[]")
        values = [v.get(key) for v in values if isinstance(v, dict) and v.get(key) is not None]
        if each:
            values = [item for v in values for item in t.as_list(v)]
    return values


def attempt_limit(props: Mapping[str, Any]) -> tuple[str, float | None]:
    """A job definition's time limit: ("absent", None), ("unresolved", None) when the Timeout may or may not
    be set (an intrinsic function, or an Fn::If with an AWS::NoValue branch), ("set", None) when set to an
    unresolved length, ("set", seconds) otherwise. Numbers written as text count as numbers."""
    timeout = t.clean(props.get("Timeout"))
    if timeout is None:
        return "absent", None
    if not isinstance(timeout, dict) or t.is_intrinsic(timeout):
        return "unresolved", None
    seconds = timeout.get("AttemptDurationSeconds")
    if seconds is None:
        return "absent", None
    if t.may_be_absent(seconds):
        return "unresolved", None
    return "set", t.number(seconds)
