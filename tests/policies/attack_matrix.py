"""The attack matrix: every route around the environment SCPs that we know of, by class, with the allowed paths
next to them (cheap models, allowed GPU types, tagged creates, break-glass, premium in prod).

Each class is a tuple of `Case`s written against the reference finops.yaml (dev: standard tier, g5/g6 and
ml.g4dn/ml.g5, 8 h; staging: standard, g5/g6/g6e and ml.g5/ml.g6, 24 h; prod: premium, adds p5 and ml.p5, 72 h,
commitments allowed). `ALLOWLIST` is written against the same config with `model_policy: allowlist` everywhere.
The cases are generated over axes (actions x resources x spellings) so that a class is covered, not an example:
adding a model spelling, an instance type or an action to an axis adds its cases everywhere.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from aifinops.naming import MANAGED_TAG, PAUSED_TAG, STOP_AFTER_TAG, STOPPED_BY_TAG, VIOLATION_TAG
from tests.policies.sim_cases import (
    APP_PROFILE,
    COST_TAGS,
    ENDPOINT,
    ENDPOINT_CONFIG,
    INSTANCE,
    INVOKE,
    MANTLE,
    MANTLE_INFER,
    NOTEBOOK,
    STREAM,
    TRAINING_JOB,
    Case,
    case,
    fm,
    profile,
    tags,
)

REGION = "us-east-1"
ACCT_ARN = "arn:aws:iam::{acct}"
GUARD_ROLE = f"{ACCT_ARN}:role/aifinops-gpu-guard-us-east-1"
ENFORCER_ACCESS_ROLE = f"{ACCT_ARN}:role/aifinops-budget-enforcer-access"
EXEC_ROLE = f"{ACCT_ARN}:role/cdk-aifinops-cfn-exec-role-{{acct}}-us-east-1"
DEPLOY_ROLE = f"{ACCT_ARN}:role/cdk-aifinops-deploy-role-{{acct}}-us-east-1"
FILE_ROLE = f"{ACCT_ARN}:role/cdk-aifinops-file-publishing-role-{{acct}}-us-east-1"
TEAM_EXEC_ROLE = f"{ACCT_ARN}:role/cdk-hnb659fds-cfn-exec-role-{{acct}}-us-east-1"
TEAM_DEPLOY_ROLE = f"{ACCT_ARN}:role/cdk-hnb659fds-deploy-role-{{acct}}-us-east-1"
SSO_DEVELOPER = f"{ACCT_ARN}:role/aws-reserved/sso.amazonaws.com/us-east-1/AWSReservedSSO_Developer_1a2b"

# --- models -------------------------------------------------------------------------------------------------

PREMIUM = (  # every spelling of the premium tier we know: old and new Anthropic ids, Nova Premier
    "anthropic.claude-opus-4-7", "anthropic.claude-opus-4-6-v1", "anthropic.claude-opus-4-1-20250805-v1:0",
    "anthropic.claude-3-opus-20240229-v1:0", "anthropic.claude-opus-5", "amazon.nova-premier-v1:0",
    "amazon.nova-2-premier-v1:0",
)
CHEAPER = (  # standard and economy: open everywhere
    "anthropic.claude-sonnet-4-5-20250929-v1:0", "anthropic.claude-haiku-4-5-20251001-v1:0",
    "anthropic.claude-sonnet-5", "amazon.nova-lite-v1:0", "amazon.nova-pro-v1:0", "amazon.nova-2-lite-v1:0",
    "meta.llama3-1-8b-instruct-v1:0",
)
UNCLASSIFIED = "newvendor.frontier-x1-v1:0"  # a model the catalog has never heard of
ROUTES: dict[str, Any] = {  # route name -> resources of a call to `model` that way
    "direct us-east-1": lambda m: fm(m),
    "direct eu-west-1": lambda m: fm(m, "eu-west-1"),
    "direct ap-northeast-1": lambda m: fm(m, "ap-northeast-1"),
    **{f"{geo}. profile": (lambda g: lambda m: profile(m, g))(geo) for geo in ("us", "eu", "apac", "jp", "global")},
    "application profile": lambda m: (APP_PROFILE, fm(m)),
}
INVOCATIONS = (INVOKE, STREAM, "bedrock:CreateModelInvocationJob")
BATCH_JOB = "arn:aws:bedrock:us-east-1:{acct}:model-invocation-job/batch1"
OTHER_MODEL_SPENDING = (  # actions that run a base model without invoking it per request
    ("bedrock:CreateModelCustomizationJob", True), ("bedrock:CreateEvaluationJob", True),
    ("bedrock:CreateModelEvaluationJob", False), ("bedrock:CreateAdvancedPromptOptimizationJob", False),
    ("bedrock:CreatePromptRouter", False), ("bedrock:CreateInferenceProfile", True),
)  # (action, takes cost tags at creation)
MANTLE_SPELLINGS = (  # bedrock-mantle:Model as a caller may write it
    *PREMIUM, "us.anthropic.claude-opus-4-7", "global.anthropic.claude-opus-4-7", "eu.amazon.nova-premier-v1:0",
    "claude-opus-4-7", "nova-premier-v1:0", "arn:aws:bedrock:us-east-1::foundation-model/anthropic.claude-opus-4-7",
)
PROJECT = "arn:aws:bedrock:us-east-1:{acct}:project/p1"
WORKSPACE = "arn:aws:aws-external-anthropic:us-east-1:{acct}:workspace/ws1"
# every bedrock-mantle action that carries `bedrock-mantle:Model` in the IAM data (CountTokens reads the model too)
MANTLE_MODEL_ACTIONS = ("bedrock-mantle:CreateInference", "bedrock-mantle:CreateFineTuningJob",
                        "bedrock-mantle:CountTokens")
CLAUDE_PLATFORM_ACTIONS = ("CreateInference", "CreateBatchInference", "CountTokens", "CreateAgent", "CreateSession",
                           "CallWithBearerToken")


def _routes(action: str) -> dict[str, Any]:
    """Batch jobs name a model (the IAM data lists no profile for them), and are authorised against the job too."""
    if action != "bedrock:CreateModelInvocationJob":
        return ROUTES
    return {"direct us-east-1": lambda m: (BATCH_JOB, fm(m)), "direct eu-west-1": lambda m: fm(m, "eu-west-1")}


def _job_tags(action: str) -> dict[str, Any]:
    """Batch jobs are cost-bearing creates: they take the cost tags (the tag statements are another class)."""
    return tags() if action == "bedrock:CreateModelInvocationJob" else {}


def _models() -> Iterable[Case]:
    for action in INVOCATIONS:
        for route, resources in _routes(action).items():
            for model in PREMIUM:
                yield case(f"{action} {model} {route}", "DDA", action, resources(model), _job_tags(action))
            for model in CHEAPER[:2]:
                yield case(f"{action} {model} {route}", "AAA", action, resources(model), _job_tags(action))
        for model in CHEAPER[2:]:
            yield case(f"{action} {model} direct", "AAA", action, fm(model), _job_tags(action))
    for action in INVOCATIONS[:1]:  # through a project (OpenAI-compatible APIs): the model only in bedrock:ModelArn
        for model, expect in ((PREMIUM[0], "DDA"), (PREMIUM[3], "DDA"), (CHEAPER[1], "AAA")):
            yield case(f"{action} {model} through a project", expect, action, PROJECT,
                       {"bedrock:ModelArn": fm(model)})
    for action, tagged in OTHER_MODEL_SPENDING:
        context = tags() if tagged else {}
        for model in PREMIUM[:3]:
            yield case(f"{action} on {model}", "DDA", action, fm(model), context)
        yield case(f"{action} on {CHEAPER[0]}", "AAA", action, fm(CHEAPER[0]), context)
    for action in MANTLE_MODEL_ACTIONS:
        for model in MANTLE_SPELLINGS:
            yield case(f"{action} {model}", "DDA", action, MANTLE, {"bedrock-mantle:Model": model})
        for model in CHEAPER:
            yield case(f"{action} {model}", "AAA", action, MANTLE, {"bedrock-mantle:Model": model})
        # a call whose model the SCP cannot see: below premium it is refused (fail closed), as on Claude Platform
        yield case(f"{action} naming no model", "DDA", action, MANTLE)
    for name in CLAUDE_PLATFORM_ACTIONS:
        yield case(f"Claude Platform {name}", "DDA", f"aws-external-anthropic:{name}",
                   "*" if name == "CallWithBearerToken" else WORKSPACE)
    for who, principal in (("SSO developer", SSO_DEVELOPER), ("role NotBreakGlass", f"{ACCT_ARN}:role/NotBreakGlass"),
                           ("role xBreakGlass", f"{ACCT_ARN}:role/xBreakGlassAdmin"),
                           ("team CDK exec role", TEAM_EXEC_ROLE), ("aifinops exec role", EXEC_ROLE)):
        yield case(f"opus by {who}", "DDA", INVOKE, fm(PREMIUM[0]), principal=principal, break_glass_variants=False)
    yield case("unclassified model direct (denylist)", "AAA", INVOKE, fm(UNCLASSIFIED))


# --- accelerated capacity -----------------------------------------------------------------------------------

EC2_TYPES = {  # type -> expected dev/staging/prod
    **dict.fromkeys((
        "p2.xlarge", "p3.2xlarge", "p3dn.24xlarge", "p4d.24xlarge", "p4de.24xlarge", "p5e.48xlarge", "p5en.48xlarge",
        "p6-b200.48xlarge", "g3.4xlarge", "g4dn.xlarge", "g4ad.xlarge", "g5g.xlarge", "g6f.large", "gr6.4xlarge",
        "g7e.2xlarge", "trn1.32xlarge", "trn1n.32xlarge", "trn2.48xlarge", "inf1.xlarge", "inf2.xlarge",
        "dl1.24xlarge", "dl2q.24xlarge", "f1.2xlarge", "f2.6xlarge", "vt1.3xlarge"), "DDD"),
    "g6e.xlarge": "DAA", "p5.48xlarge": "DDA", "p5.4xlarge": "DDA",
    **dict.fromkeys(("g5.xlarge", "g5.48xlarge", "g6.2xlarge"), "AAA"),
    **dict.fromkeys(("m5.large", "c7i.xlarge", "t3.micro", "i4i.large", "im4gn.large", "m7g.large", "r7iz.large",
                     "hpc7g.4xlarge", "x2idn.16xlarge"), "AAA"),  # CPU, some with names near accelerated ones
}
CAPACITY_RESERVATION = "arn:aws:ec2:us-east-1:{acct}:capacity-reservation/cr-0123456789abcdef0"
DEDICATED_HOST = "arn:aws:ec2:us-east-1:{acct}:dedicated-host/h-0123456789abcdef0"
LAUNCH_CONFIGURATION = ("arn:aws:autoscaling:us-east-1:{acct}:launchConfiguration:"
                        "11111111-2222-3333-4444-555555555555:launchConfigurationName/gpu-lc")
RESERVED_INSTANCES = "arn:aws:ec2:us-east-1:{acct}:reserved-instances/11111111-2222-3333-4444-555555555555"
CODEBUILD_FLEET = "arn:aws:codebuild:us-east-1:{acct}:fleet/gpu-fleet:11111111-2222-3333-4444-555555555555"
CODEBUILD_PROJECT = "arn:aws:codebuild:us-east-1:{acct}:project/gpu-build"
AUTO_SCALING_GROUP = ("arn:aws:autoscaling:us-east-1:{acct}:autoScalingGroup:"
                      "11111111-2222-3333-4444-555555555555:autoScalingGroupName/gpu-asg")


def _ec2_doors(instance_type: str) -> Iterable[tuple[str, str, Any, Mapping[str, Any]]]:
    """(door, action, resources, context) of every EC2 / Auto Scaling request that names `instance_type`."""
    launch = {"ec2:InstanceType": instance_type, **tags()}
    yield "RunInstances", "ec2:RunInstances", INSTANCE, launch
    yield "CreateFleet", "ec2:CreateFleet", INSTANCE, launch
    yield "StartInstances", "ec2:StartInstances", INSTANCE, {"ec2:InstanceType": instance_type}
    yield "CreateCapacityReservation", "ec2:CreateCapacityReservation", CAPACITY_RESERVATION, launch
    yield "AllocateHosts", "ec2:AllocateHosts", DEDICATED_HOST, launch
    yield "PurchaseCapacityBlock", "ec2:PurchaseCapacityBlock", CAPACITY_RESERVATION, launch
    for action in ("AcceptCapacityReservationBillingOwnership", "UpdateInterruptibleCapacityReservationAllocation",
                   "MoveCapacityReservationInstances"):
        yield action, f"ec2:{action}", CAPACITY_RESERVATION, {"ec2:InstanceType": instance_type}
    for action in ("AcceptReservedInstancesExchangeQuote", "ModifyReservedInstances"):
        yield action, f"ec2:{action}", RESERVED_INSTANCES, {"ec2:InstanceType": instance_type}
    yield "ModifyInstanceAttribute", "ec2:ModifyInstanceAttribute", INSTANCE, {
        "ec2:Attribute/InstanceType": instance_type}
    yield "CreateLaunchConfiguration", "autoscaling:CreateLaunchConfiguration", LAUNCH_CONFIGURATION, {
        "autoscaling:InstanceType": instance_type}
    for action in ("CreateAutoScalingGroup", "UpdateAutoScalingGroup"):
        yield action, f"autoscaling:{action}", AUTO_SCALING_GROUP, {"autoscaling:InstanceTypes": [instance_type]}
    # found by walking the IAM data for *InstanceType* keys: services that launch EC2 capacity of a type the
    # request names, through a role SCPs do not restrict (Cloud9's service-linked role, CodeBuild's fleet)
    yield "Cloud9 CreateEnvironmentEC2", "cloud9:CreateEnvironmentEC2", "*", {"cloud9:InstanceType": instance_type}
    for action in ("CreateFleet", "UpdateFleet"):
        yield f"CodeBuild {action}", f"codebuild:{action}", CODEBUILD_FLEET, {
            "codebuild:computeConfiguration.instanceType": instance_type}
    for action in ("CreateProject", "UpdateProject"):
        yield f"CodeBuild {action}", f"codebuild:{action}", CODEBUILD_PROJECT, {
            "codebuild:environment.computeConfiguration.instanceType": instance_type}


ML_TYPES = {
    "ml.p5.48xlarge": "DDA", "ml.g6.xlarge": "DAA", "ml.g4dn.xlarge": "ADD", "ml.g5.xlarge": "AAA",
    **dict.fromkeys(("ml.p4d.24xlarge", "ml.p3.2xlarge", "ml.p5e.48xlarge", "ml.trn1.32xlarge", "ml.trn2.48xlarge",
                     "ml.inf2.xlarge", "ml.inf1.xlarge", "ml.g6e.xlarge", "ml.p6-b200.48xlarge"), "DDD"),
    **dict.fromkeys(("ml.m5.large", "ml.c5.xlarge", "ml.t3.medium", "ml.r7i.large"), "AAA"),
}
ML_MIXES = {  # several types in one request: denied when any of them is
    ("ml.g5.xlarge", "ml.p5.48xlarge"): "DDA", ("ml.m5.large", "ml.p4d.24xlarge"): "DDD",
    ("ml.g5.xlarge", "ml.m5.large"): "AAA", ("ml.m5.large", "ml.g6.xlarge"): "DAA",
}
SAGEMAKER_DOORS = {  # action -> (resource, takes the cost tags, takes a max run time)
    "CreateEndpointConfig": (ENDPOINT_CONFIG, True, False),
    "CreateTrainingJob": (TRAINING_JOB, True, True),
    "CreateProcessingJob": ("arn:aws:sagemaker:us-east-1:{acct}:processing-job/p1", True, True),
    "CreateTransformJob": ("arn:aws:sagemaker:us-east-1:{acct}:transform-job/t1", True, False),
    "CreateHyperParameterTuningJob": ("arn:aws:sagemaker:us-east-1:{acct}:hyper-parameter-tuning-job/h1", True, True),
    "CreateNotebookInstance": (NOTEBOOK, True, False),
    "UpdateNotebookInstance": (NOTEBOOK, False, False),
    "CreateCluster": ("arn:aws:sagemaker:us-east-1:{acct}:cluster/c1", True, False),
    "UpdateCluster": ("arn:aws:sagemaker:us-east-1:{acct}:cluster/c1", False, False),
    "CreateApp": ("arn:aws:sagemaker:us-east-1:{acct}:app/d-1/u1/JupyterLab/default", False, False),
    "CreateSpace": ("arn:aws:sagemaker:us-east-1:{acct}:space/d-1/s1", False, False),
    "UpdateSpace": ("arn:aws:sagemaker:us-east-1:{acct}:space/d-1/s1", False, False),
    "CreateDomain": ("arn:aws:sagemaker:us-east-1:{acct}:domain/d-1", False, False),
    "UpdateDomain": ("arn:aws:sagemaker:us-east-1:{acct}:domain/d-1", False, False),
    "CreateUserProfile": ("arn:aws:sagemaker:us-east-1:{acct}:user-profile/d-1/u1", False, False),
    "UpdateUserProfile": ("arn:aws:sagemaker:us-east-1:{acct}:user-profile/d-1/u1", False, False),
    "UpdateTrainingJob": (TRAINING_JOB, False, False),
    "CreateMonitoringSchedule": ("arn:aws:sagemaker:us-east-1:{acct}:monitoring-schedule/m1", True, False),
    "CreateDataQualityJobDefinition": ("arn:aws:sagemaker:us-east-1:{acct}:data-quality-job-definition/q1", False,
                                       False),
}


def _sagemaker_context(action: str, types: tuple[str, ...], *, with_tags: bool = True) -> dict[str, Any]:
    _, tagged, runtime = SAGEMAKER_DOORS[action]
    return {"sagemaker:InstanceTypes": list(types), **(tags() if tagged and with_tags else {}),
            **({"sagemaker:MaxRuntimeInSeconds": "3600"} if runtime else {})}


def _accelerators() -> Iterable[Case]:
    for instance_type, expect in EC2_TYPES.items():
        for door, action, resources, context in _ec2_doors(instance_type):
            # Capacity Blocks and Reserved Instances are commitments: only prod buys them, of its allowed types
            commitment = door in ("PurchaseCapacityBlock", "AcceptReservedInstancesExchangeQuote",
                                  "ModifyReservedInstances")
            letters = f"DD{expect[2]}" if commitment else expect
            yield case(f"{door} {instance_type}", letters, action, resources, context)
    for action, (resource, _, _) in SAGEMAKER_DOORS.items():
        for ml_type, expect in ML_TYPES.items():
            yield case(f"sagemaker:{action} {ml_type}", expect, f"sagemaker:{action}", resource,
                       _sagemaker_context(action, (ml_type,)))
        for types, expect in ML_MIXES.items():
            yield case(f"sagemaker:{action} {' + '.join(types)}", expect, f"sagemaker:{action}", resource,
                       _sagemaker_context(action, types))


# --- run time and commitments -------------------------------------------------------------------------------

RUNTIMES = {"3600": "AAA", "28800": "AAA", "28801": "DAA", "86400": "DAA", "86401": "DDA", "259200": "DDA",
            "259201": "DDD", None: "DDD"}
COMMITMENTS = (
    ("bedrock:CreateProvisionedModelThroughput", fm("amazon.nova-lite-v1:0"), True),
    ("bedrock:UpdateProvisionedModelThroughput", "arn:aws:bedrock:us-east-1:{acct}:provisioned-model/pm1", False),
    ("bedrock-mantle:CreateReservation", MANTLE, True), ("bedrock-mantle:UpdateReservation", MANTLE, False),
    ("sagemaker:CreateTrainingPlan", "arn:aws:sagemaker:us-east-1:{acct}:training-plan/tp1", False),
    ("sagemaker:ExtendTrainingPlan", "*", False),
    ("sagemaker:CreateReservedCapacity", "arn:aws:sagemaker:us-east-1:{acct}:reserved-capacity/rc1", False),
    ("savingsplans:CreateSavingsPlan", "*", False),
    ("ec2:PurchaseReservedInstancesOffering", "*", False),
    ("ec2:PurchaseScheduledInstances", "*", False),
    ("rds:PurchaseReservedDBInstancesOffering", "arn:aws:rds:us-east-1:{acct}:ri:ri1", False),
    ("elasticache:PurchaseReservedCacheNodesOffering",
     "arn:aws:elasticache:us-east-1:{acct}:reserved-instance:rc1", False),
    ("memorydb:PurchaseReservedNodesOffering", "arn:aws:memorydb:us-east-1:{acct}:reservednode/rn1", False),
    ("es:PurchaseReservedInstanceOffering", "*", False),
    ("es:PurchaseReservedElasticsearchInstanceOffering", "*", False),
    ("dynamodb:PurchaseReservedCapacityOfferings", "*", False),
    ("redshift:PurchaseReservedNodeOffering", "*", False), ("redshift:AcceptReservedNodeExchange", "*", False),
    ("redshift-serverless:CreateReservation", "*", False),
)


def _runtime_and_commitments() -> Iterable[Case]:
    for action in ("CreateTrainingJob", "CreateProcessingJob", "CreateHyperParameterTuningJob"):
        resource = SAGEMAKER_DOORS[action][0]
        for seconds, expect in RUNTIMES.items():
            context = {"sagemaker:InstanceTypes": ["ml.g5.xlarge"], **tags()}
            if seconds is not None:
                context["sagemaker:MaxRuntimeInSeconds"] = seconds
            yield case(f"sagemaker:{action} max run time {seconds}", expect, f"sagemaker:{action}", resource, context)
    for action, resource, with_tags in COMMITMENTS:
        yield case(f"{action}", "DDA", action, resource, tags() if with_tags else {})
    for kind, resource in (("ec2:PurchaseHostReservation", DEDICATED_HOST), ("ec2:PurchaseCapacityBlock",
                           CAPACITY_RESERVATION), ("ec2:PurchaseCapacityBlockExtension", CAPACITY_RESERVATION)):
        yield case(f"{kind} g5 tagged", "DDA", kind, resource, {"ec2:InstanceType": "g5.48xlarge", **tags()})
        yield case(f"{kind} naming no instance type", "DDD", kind, resource, tags())  # not judged: fail closed
    committed = {"ec2:InstanceType": "g5.48xlarge", **tags()}
    yield case("CreateCapacityReservation g5 with a commitment duration", "DDA", "ec2:CreateCapacityReservation",
               CAPACITY_RESERVATION, {**committed, "ec2:CommitmentDuration": "15552000"})
    yield case("CreateCapacityReservation g5 without commitment", "AAA", "ec2:CreateCapacityReservation",
               CAPACITY_RESERVATION, committed)
    for action in ("CreateMonitoringSchedule", "CreateDataQualityJobDefinition"):
        resource = SAGEMAKER_DOORS[action][0]
        base = _sagemaker_context(action, ("ml.g5.xlarge",))
        for seconds, expect in (("3600", "AAA"), ("86400", "DAA"), ("86401", "DDA")):
            yield case(f"sagemaker:{action} max run time {seconds}", expect, f"sagemaker:{action}", resource,
                       {**base, "sagemaker:MaxRuntimeInSeconds": seconds})


# --- cost tags: at creation, emptied, stripped --------------------------------------------------------------

CREATES = {  # create action -> (resources, extra context that the other statements need to let it through)
    **{f"sagemaker:{a}": (r, _sagemaker_context(a, ("ml.g5.xlarge",), with_tags=False))
       for a, (r, tagged, _) in SAGEMAKER_DOORS.items() if tagged},
    "sagemaker:CreateEndpoint": ((ENDPOINT, ENDPOINT_CONFIG), {}),
    "sagemaker:CreateInferenceComponent": ("arn:aws:sagemaker:us-east-1:{acct}:inference-component/ic1", {}),
    "sagemaker:CreateModel": ("arn:aws:sagemaker:us-east-1:{acct}:model/m1", {}),
    "bedrock:CreateInferenceProfile": (fm("amazon.nova-lite-v1:0"), {}),
    "bedrock:CreateModelCustomizationJob": (fm("amazon.nova-lite-v1:0"), {}),
    "ec2:RunInstances": (INSTANCE, {"ec2:InstanceType": "g5.xlarge"}),
    "ec2:CreateFleet": (INSTANCE, {"ec2:InstanceType": "g5.xlarge"}),
    "ec2:CreateCapacityReservation": (CAPACITY_RESERVATION, {"ec2:InstanceType": "g5.48xlarge"}),
    "ec2:AllocateHosts": (DEDICATED_HOST, {"ec2:InstanceType": "g5.48xlarge"}),
    "bedrock:CreateModelInvocationJob": ((BATCH_JOB, fm("amazon.nova-lite-v1:0")), {}),
    "bedrock:CreateEvaluationJob": (fm("amazon.nova-lite-v1:0"), {}),
    "bedrock:CreateCustomModelDeployment": ("arn:aws:bedrock:us-east-1:{acct}:custom-model/abc", {}),
    "bedrock:CreateModelImportJob": ("*", {}),
    "bedrock-mantle:CreateProject": (MANTLE, {}),
    "sagemaker:CreateInferenceExperiment": ("arn:aws:sagemaker:us-east-1:{acct}:inference-experiment/x", {}),
    # SageMaker jobs that start instances of their own and take tags at creation (IAM data: aws:RequestTag)
    **{f"sagemaker:Create{kind}": (f"arn:aws:sagemaker:us-east-1:{{acct}}:{arn}/j1", {}) for kind, arn in (
        ("AutoMLJob", "automl-job"), ("AutoMLJobV2", "automl-job"), ("CompilationJob", "compilation-job"),
        ("OptimizationJob", "optimization-job"), ("InferenceRecommendationsJob", "inference-recommendations-job"))},
}


def tagged(values: Mapping[str, str]) -> dict[str, Any]:
    return {**{f"aws:RequestTag/{k}": v for k, v in values.items()}, "aws:TagKeys": list(values)}


def _tags_at_creation() -> Iterable[Case]:
    for action, (resources, extra) in CREATES.items():
        yield case(f"{action} all cost tags", "AAA", action, resources, {**extra, **tags()})
        yield case(f"{action} no tags", "DDD", action, resources, {**extra})
        for key in COST_TAGS:
            yield case(f"{action} without {key}", "DDD", action, resources, {**extra, **tags(without=(key,))})
            yield case(f"{action} {key} empty", "DDD", action, resources,
                       {**extra, **tagged({**COST_TAGS, key: ""})})
        yield case(f"{action} cost tag keys capitalized", "DDD", action, resources,
                   {**extra, **tagged({k.title(): v for k, v in COST_TAGS.items()})})
        yield case(f"{action} cost tags plus a capitalized twin", "AAA", action, resources,
                   {**extra, **tagged({**COST_TAGS, "Team": "other"})})
    for cpu in ("m5.large", "c7i.xlarge"):
        yield case(f"ec2:RunInstances {cpu} untagged", "AAA", "ec2:RunInstances", INSTANCE, {"ec2:InstanceType": cpu})
    yield case("ec2:CreateCapacityReservation m5 untagged", "AAA", "ec2:CreateCapacityReservation",
               CAPACITY_RESERVATION, {"ec2:InstanceType": "m5.large"})


TAGGABLE = {  # tagging action -> resources it tags here
    "ec2:CreateTags": (INSTANCE, "arn:aws:ec2:us-east-1:{acct}:capacity-reservation/cr-1"),
    "sagemaker:AddTags": (ENDPOINT, NOTEBOOK, TRAINING_JOB),
    "bedrock:TagResource": (APP_PROFILE,),
    "bedrock-mantle:TagResource": (MANTLE,),
}
AGENT_RUNTIME = "arn:aws:bedrock-agentcore:us-east-1:{acct}:runtime/rt-1"
UNTAG = {"ec2:DeleteTags": TAGGABLE["ec2:CreateTags"], "sagemaker:DeleteTags": TAGGABLE["sagemaker:AddTags"],
         "bedrock:UntagResource": TAGGABLE["bedrock:TagResource"],
         "bedrock-mantle:UntagResource": TAGGABLE["bedrock-mantle:TagResource"],
         "bedrock-agentcore:UntagResource": (AGENT_RUNTIME,),
         "aws-external-anthropic:UntagResource": (WORKSPACE,)}
# Untag calls without a key list (`aws:TagKeys` absent): `ForAnyValue` never matches them, so each is refused whole
STRIP_ALL = {**{f"ec2:DeleteTags {k}": ("ec2:DeleteTags", r) for k, r in (
    ("instance", INSTANCE), ("capacity reservation", CAPACITY_RESERVATION), ("dedicated host", DEDICATED_HOST))},
    **{f"{a} {r.split(':')[-1].split('/')[0]}": (a, r) for a, rs in UNTAG.items() if a != "ec2:DeleteTags"
       for r in rs},
    "batch:UntagResource job-queue": ("batch:UntagResource", "arn:aws:batch:us-east-1:{acct}:job-queue/gpu-queue")}


def _tags_later() -> Iterable[Case]:
    for action, resources in TAGGABLE.items():
        for resource in resources:
            kind = resource.split(":")[-1].split("/")[0]
            for key in COST_TAGS:
                yield case(f"{action} {key}='' on {kind}", "DDD", action, resource, tagged({key: ""}))
                yield case(f"{action} {key}=other on {kind}", "AAA", action, resource, tagged({key: "other"}))
            yield case(f"{action} Name='' on {kind}", "AAA", action, resource, tagged({"Name": ""}))
    for action, resources in UNTAG.items():
        for resource in resources:
            kind = resource.split(":")[-1].split("/")[0]
            for key in COST_TAGS:
                yield case(f"{action} {key} from {kind}", "DDD", action, resource, {"aws:TagKeys": [key]})
            yield case(f"{action} scratch + team from {kind}", "DDD", action, resource,
                       {"aws:TagKeys": ["scratch", "team"]})
            other = "DDA" if action.startswith("aws-external-anthropic:") else "AAA"  # below premium: denied whole
            yield case(f"{action} scratch from {kind}", other, action, resource, {"aws:TagKeys": ["scratch"]})
    for what, (action, resource) in STRIP_ALL.items():
        yield case(f"{what}: every tag (no aws:TagKeys)", "DDD", action, resource)
    yield case("ec2:DeleteTags every tag of a VPC", "AAA", "ec2:DeleteTags", "arn:aws:ec2:us-east-1:{acct}:vpc/vpc-1")


# --- the guard's own tags -----------------------------------------------------------------------------------

GUARD_TAGS = (VIOLATION_TAG, STOP_AFTER_TAG, STOPPED_BY_TAG, PAUSED_TAG, "aifinops:paused-by:endpoint:e1:0",
              "aifinops:critical")
JOB_QUEUE = "arn:aws:batch:us-east-1:{acct}:job-queue/gpu-queue"
GUARD_TAG_DOORS = (("ec2:CreateTags", INSTANCE), ("ec2:DeleteTags", INSTANCE), ("sagemaker:AddTags", ENDPOINT),
                   ("sagemaker:DeleteTags", NOTEBOOK), ("sagemaker:AddTags", TRAINING_JOB),
                   ("batch:TagResource", JOB_QUEUE), ("batch:UntagResource", JOB_QUEUE))
LOOKALIKES = ("Aifinops:Violation", "AIFINOPS:STOP-AFTER", "aifinops_stop_after", "AiFinOps:exempt-until",
              "aifinops-critical", "aifinops::paused-by")


def _guard_tags() -> Iterable[Case]:
    for key in GUARD_TAGS:
        for action, resource in GUARD_TAG_DOORS:
            kind = resource.split(":")[-1].split("/")[0]
            context = {"aws:TagKeys": [key]} if "Delete" in action or "Untag" in action else \
                tagged({key: "2026-12-31T00:00:00Z"})
            yield case(f"{action} {key} on {kind}", "DDD", action, resource, context)
            for who, principal in (("guard", GUARD_ROLE), ("enforcer access role", ENFORCER_ACCESS_ROLE)):
                yield case(f"{action} {key} on {kind} by the {who}", "AAA", action, resource, context,
                           principal=principal, break_glass_variants=False)
        yield case(f"ec2:CreateTags {key} at launch", "DDD", "ec2:CreateTags", INSTANCE,
                   {**tagged({**COST_TAGS, key: "x"}), "ec2:CreateAction": "RunInstances"})
    for action, resource in GUARD_TAG_DOORS:
        removing = "Delete" in action or "Untag" in action
        context = ({"aws:TagKeys": ["aifinops:exempt-until"]} if removing
                   else tagged({"aifinops:exempt-until": "2026-12-31"}))
        kind = resource.split(":")[-1].split("/")[0]
        yield case(f"{action} exempt-until on {kind} by the owner", "AAA", action, resource, context)
        if not removing:
            for value, expect in (("2026-12-31T18:00:00+05:00", "AAA"), ("forever", "DDD"), ("", "DDD"),
                                  ("next week", "DDD")):
                yield case(f"{action} exempt-until={value!r} on {kind}", expect, action, resource,
                           tagged({"aifinops:exempt-until": value}))
        for key in LOOKALIKES:
            look = {"aws:TagKeys": [key]} if removing else tagged({key: "x"})
            yield case(f"{action} look-alike {key} on {kind}", "DDD", action, resource, look)


# --- self-made exemptions and the aifinops bootstrap --------------------------------------------------------

EXEMPT_NAMES = ("BreakGlassMe", "BreakGlass", "cdk-aifinops-cfn-exec-role-{acct}-us-east-1",
                "cdk-aifinops-cfn-exec-role-evil", "cdk-aifinops-deploy-role-{acct}-us-east-1",
                "cdk-aifinops-anything", "aifinops-gpu-guard-us-east-1", "aifinops-gpu-guard-evil",
                "aifinops-budget-enforcer-access")
ROLE_ACTIONS = ("iam:CreateRole", "iam:UpdateAssumeRolePolicy", "iam:AttachRolePolicy", "iam:PutRolePolicy",
                "iam:DeleteRolePermissionsBoundary", "iam:PassRole", "iam:DeleteRole", "iam:TagRole")
ORDINARY_ROLES = ("ml-team-role", "cdk-hnb659fds-cfn-exec-role-{acct}-us-east-1", "xBreakGlass", "aifinops-reports")


def _exemptions() -> Iterable[Case]:
    for name in EXEMPT_NAMES:
        for action in ROLE_ACTIONS:
            yield case(f"{action} role/{name}", "DDD", action, f"{ACCT_ARN}:role/{name}")
        yield case(f"iam:CreateRole role/{name} by a team's CDK exec role", "DDD", "iam:CreateRole",
                   f"{ACCT_ARN}:role/{name}", principal=TEAM_EXEC_ROLE, break_glass_variants=False)
        yield case(f"iam:CreateRole role/{name} by the aifinops exec role", "AAA", "iam:CreateRole",
                   f"{ACCT_ARN}:role/{name}", principal=EXEC_ROLE, break_glass_variants=False)
    for name in ORDINARY_ROLES:
        for action in ROLE_ACTIONS:
            yield case(f"{action} role/{name}", "AAA", action, f"{ACCT_ARN}:role/{name}")
    yield case("iam:PassRole the aifinops exec role by its deploy role", "AAA", "iam:PassRole", EXEC_ROLE,
               principal=DEPLOY_ROLE, break_glass_variants=False)
    yield case("iam:PassRole the aifinops exec role by a team's deploy role", "DDD", "iam:PassRole", EXEC_ROLE,
               principal=TEAM_DEPLOY_ROLE, break_glass_variants=False)
    for role in ("deploy-role", "file-publishing-role", "image-publishing-role", "lookup-role", "cfn-exec-role"):
        arn = f"{ACCT_ARN}:role/cdk-aifinops-{role}-{{acct}}-us-east-1"
        yield case(f"sts:AssumeRole aifinops bootstrap {role}", "DDD", "sts:AssumeRole", arn)
        yield case(f"sts:AssumeRole aifinops bootstrap {role} by a team's CDK role", "DDD", "sts:AssumeRole", arn,
                   principal=TEAM_DEPLOY_ROLE, break_glass_variants=False)
        yield case(f"sts:AssumeRole team bootstrap {role}", "AAA", "sts:AssumeRole",
                   f"{ACCT_ARN}:role/cdk-hnb659fds-{role}-{{acct}}-us-east-1")
    bucket = "arn:aws:s3:::cdk-aifinops-assets-{acct}-us-east-1"
    for action, resource in (("s3:PutObject", f"{bucket}/guard.zip"), ("s3:DeleteObject", f"{bucket}/guard.zip"),
                             ("s3:PutBucketPolicy", bucket), ("s3:DeleteBucket", bucket)):
        yield case(f"{action} aifinops bootstrap bucket", "DDD", action, resource)
        yield case(f"{action} team bootstrap bucket", "AAA", action,
                   resource.replace("cdk-aifinops-", "cdk-hnb659fds-"))
    yield case("s3:PutObject aifinops asset by the file-publishing role", "AAA", "s3:PutObject", f"{bucket}/guard.zip",
               principal=FILE_ROLE, break_glass_variants=False)
    repository = "arn:aws:ecr:us-east-1:{acct}:repository/cdk-aifinops-container-assets-{acct}-us-east-1"
    for action in ("ecr:PutImage", "ecr:BatchDeleteImage", "ecr:SetRepositoryPolicy", "ecr:DeleteRepository"):
        yield case(f"{action} aifinops bootstrap repository", "DDD", action, repository)
    yield case("ssm:PutParameter aifinops bootstrap version", "DDD", "ssm:PutParameter",
               "arn:aws:ssm:us-east-1:{acct}:parameter/cdk-bootstrap/aifinops/version")
    for stack, expect in (("aifinops-guard-{acct}-us-east-1", "DDD"), ("aifinops-budget-access-{acct}", "DDD"),
                          ("aifinops-org-guardrails-dev", "DDD"), ("CDKToolkit-aifinops", "DDD"),
                          ("aifinops-workloads-dev-search", "AAA"), ("team-app", "AAA")):
        arn = f"arn:aws:cloudformation:us-east-1:{{acct}}:stack/{stack}/1a2b3c4d-aaaa-bbbb-cccc-111122223333"
        for action in ("UpdateStack", "DeleteStack", "CreateChangeSet", "ExecuteChangeSet", "RollbackStack"):
            yield case(f"cloudformation:{action} {stack}", expect, f"cloudformation:{action}", arn)
        yield case(f"cloudformation:ExecuteChangeSet {stack} by the aifinops deploy role", "AAA",
                   "cloudformation:ExecuteChangeSet", arn, principal=DEPLOY_ROLE, break_glass_variants=False)


# --- what aifinops deploys ----------------------------------------------------------------------------------

MANAGED = {f"aws:ResourceTag/{MANAGED_TAG}": "true"}
GUARDRAILS = (  # (action, resource) on aifinops resources, tagged aifinops:managed=true
    ("kms:DisableKey", "arn:aws:kms:us-east-1:{acct}:key/1111-2222"),
    ("kms:ScheduleKeyDeletion", "arn:aws:kms:us-east-1:{acct}:key/1111-2222"),
    ("kms:PutKeyPolicy", "arn:aws:kms:us-east-1:{acct}:key/1111-2222"),
    ("kms:CreateGrant", "arn:aws:kms:us-east-1:{acct}:key/1111-2222"),
    ("kms:RevokeGrant", "arn:aws:kms:us-east-1:{acct}:key/1111-2222"),
    ("kms:DisableKeyRotation", "arn:aws:kms:us-east-1:{acct}:key/1111-2222"),
    ("lambda:DeleteFunction", "arn:aws:lambda:us-east-1:{acct}:function:aifinops-gpu-guard"),
    ("lambda:UpdateFunctionCode", "arn:aws:lambda:us-east-1:{acct}:function:aifinops-gpu-guard"),
    ("lambda:PutFunctionConcurrency", "arn:aws:lambda:us-east-1:{acct}:function:aifinops-gpu-guard"),
    ("lambda:UpdateFunctionConfiguration", "arn:aws:lambda:us-east-1:{acct}:function:aifinops-gpu-guard"),
    ("events:DisableRule", "arn:aws:events:us-east-1:{acct}:rule/aifinops-gpu-guard"),
    ("events:RemoveTargets", "arn:aws:events:us-east-1:{acct}:rule/aifinops-gpu-guard"),
    ("sns:DeleteTopic", "arn:aws:sns:us-east-1:{acct}:aifinops-gpu-guard"),
    ("sns:SetTopicAttributes", "arn:aws:sns:us-east-1:{acct}:aifinops-gpu-guard"),
    ("sqs:PurgeQueue", "arn:aws:sqs:us-east-1:{acct}:aifinops-gpu-guard-dead-letters"),
    ("logs:DeleteLogGroup", "arn:aws:logs:us-east-1:{acct}:log-group:/aws/lambda/aifinops-gpu-guard"),
    ("iam:DeleteRolePolicy", f"{ACCT_ARN}:role/aifinops-reports"),
    ("cloudwatch:DeleteAlarms", "arn:aws:cloudwatch:us-east-1:{acct}:alarm:aifinops-gpu-guard-errors"),
    ("ssm:PutParameter", "arn:aws:ssm:us-east-1:{acct}:parameter/aifinops/state"),
    ("sns:SetSubscriptionAttributes", "arn:aws:sns:us-east-1:{acct}:aifinops-gpu-guard"),
    ("sns:Subscribe", "arn:aws:sns:us-east-1:{acct}:aifinops-gpu-guard"),
    ("cloudwatch:PutAlarmMuteRule", "arn:aws:cloudwatch:us-east-1:{acct}:alarm:aifinops-gpu-guard-errors"),
    ("sqs:DeleteMessage", "arn:aws:sqs:us-east-1:{acct}:aifinops-gpu-guard-dead-letters"),
    ("sqs:ReceiveMessage", "arn:aws:sqs:us-east-1:{acct}:aifinops-gpu-guard-dead-letters"),
    ("logs:DeleteLogStream", "arn:aws:logs:us-east-1:{acct}:log-group:/aws/lambda/aifinops-gpu-guard:log-stream:s1"),
    ("lambda:CreateFunctionUrlConfig", "arn:aws:lambda:us-east-1:{acct}:function:aifinops-gpu-guard"),
    ("lambda:InvokeFunction", "arn:aws:lambda:us-east-1:{acct}:function:aifinops-gpu-guard"),
    ("kms:RetireGrant", "arn:aws:kms:us-east-1:{acct}:key/1111-2222"),
    ("kms:UpdateAlias", "arn:aws:kms:us-east-1:{acct}:key/1111-2222"),
)
NAMED = (("budgets:ModifyBudget", "arn:aws:budgets::{acct}:budget/aifinops-search"),
         ("budgets:DeleteBudgetAction", "arn:aws:budgets::{acct}:budget/aifinops-search/action/a1"),
         ("scheduler:DeleteSchedule", "arn:aws:scheduler:us-east-1:{acct}:schedule/default/aifinops-resume"))


def _tampering() -> Iterable[Case]:
    for action, resource in GUARDRAILS:
        yield case(f"{action} managed", "DDD", action, resource, MANAGED)
        yield case(f"{action} managed by the aifinops exec role", "AAA", action, resource, MANAGED,
                   principal=EXEC_ROLE, break_glass_variants=False)
        yield case(f"{action} managed by a team's CDK exec role", "DDD", action, resource, MANAGED,
                   principal=TEAM_EXEC_ROLE, break_glass_variants=False)
        yield case(f"{action} unmanaged", "AAA", action, resource.replace("aifinops", "other"))
    for action, resource in NAMED:
        yield case(f"{action} {resource.rsplit('/', 1)[-1]}", "DDD", action, resource)
        yield case(f"{action} by the aifinops exec role", "AAA", action, resource, principal=EXEC_ROLE,
                   break_glass_variants=False)
        yield case(f"{action} another", "AAA", action, resource.replace("aifinops", "marketing"))
    for action, resource in (("lambda:TagResource", "arn:aws:lambda:us-east-1:{acct}:function:x"),
                             ("kms:TagResource", "arn:aws:kms:us-east-1:{acct}:key/3333"),
                             ("sns:UntagResource", "arn:aws:sns:us-east-1:{acct}:x")):
        context = ({"aws:TagKeys": [MANAGED_TAG]} if "Untag" in action else tagged({MANAGED_TAG: "true"}))
        yield case(f"{action} {MANAGED_TAG}", "DDD", action, resource, context)


# --- everything else stays open -----------------------------------------------------------------------------

def _untouched() -> Iterable[Case]:
    for action, resource in (
            ("s3:GetObject", "arn:aws:s3:::example-bucket/reports/2026-09.csv"),
            ("s3:PutObject", "arn:aws:s3:::example-bucket/x"), ("ec2:DescribeInstances", "*"),
            ("ec2:StopInstances", INSTANCE), ("ec2:TerminateInstances", INSTANCE),
            ("sagemaker:StopNotebookInstance", NOTEBOOK), ("sagemaker:DeleteEndpoint", ENDPOINT),
            ("bedrock:ListFoundationModels", "*"), ("sts:AssumeRole", f"{ACCT_ARN}:role/ml-team-role"),
            ("lambda:InvokeFunction", "arn:aws:lambda:us-east-1:{acct}:function:report")):
        yield case(f"{action} (untouched)", "AAA", action, resource)


CLASSES: dict[str, tuple[Case, ...]] = {
    "premium models": tuple(_models()),
    "accelerated capacity": tuple(_accelerators()),
    "run time and commitments": tuple(_runtime_and_commitments()),
    "cost tags at creation": tuple(_tags_at_creation()),
    "cost tags emptied or stripped": tuple(_tags_later()),
    "guard tags": tuple(_guard_tags()),
    "self-made exemptions": tuple(_exemptions()),
    "guardrail tampering": tuple(_tampering()),
    "untouched": tuple(_untouched()),
}


# --- the allowlist (model_policy: allowlist everywhere) -----------------------------------------------------

def _allowlist() -> Iterable[Case]:
    odd = {"unclassified": UNCLASSIFIED, "future Anthropic": "anthropic.claude-mythos-1-v1:0",
           "unlisted vendor": "deepseek.r9-v1:0"}
    for action in INVOCATIONS:
        routes = _routes(action)
        for label, model in odd.items():
            for route in routes:
                yield case(f"{action} {label} {route} (allowlist)", "DDD", action, routes[route](model),
                           _job_tags(action))
        for model in PREMIUM[:2]:
            yield case(f"{action} {model} direct (allowlist)", "DDA", action, fm(model), _job_tags(action))
        for model in CHEAPER[:4]:
            for route in routes:
                yield case(f"{action} {model} {route} (allowlist)", "AAA", action, routes[route](model),
                           _job_tags(action))
        batch = action == "bedrock:CreateModelInvocationJob"  # batch takes foundation and custom models only
        kinds = {"custom-model/abc123": "DDD"} if batch else {
            "imported-model/abc123": "DDD", "provisioned-model/abc123": "DDA", "custom-model-deployment/abc123": "DDD",
            "marketplace/model-endpoint/all-access": "DDD"}
        for kind, expect in kinds.items():
            yield case(f"{action} {kind} (allowlist)", expect, action, f"arn:aws:bedrock:us-east-1:{{acct}}:{kind}",
                       _job_tags(action))
    for label, model in odd.items():
        yield case(f"mantle {label} (allowlist)", "DDD", MANTLE_INFER, MANTLE, {"bedrock-mantle:Model": model})
    for model in CHEAPER[:4]:
        yield case(f"mantle {model} (allowlist)", "AAA", MANTLE_INFER, MANTLE, {"bedrock-mantle:Model": model})
    yield case("mantle without a model (allowlist)", "DDD", MANTLE_INFER, MANTLE)
    yield case("Claude Platform CreateInference (allowlist)", "DDD", "aws-external-anthropic:CreateInference",
               WORKSPACE)


ALLOWLIST: tuple[Case, ...] = tuple(_allowlist())
