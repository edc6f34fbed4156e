"""SCP statements 3: only the accelerated instance types an environment allows, by every door that names a type.

`environments.<env>.accelerators` lists families (`g5`, `ml.g5`) or exact types (`g5.xlarge`); anything
accelerated that it does not allow is denied, per service. CPU types are never matched: every pattern
names a catalog accelerator family.

EC2 (`ec2:InstanceType` is single-valued): RunInstances, CreateFleet (EC2 Fleet, Karpenter), StartInstances
(a stopped instance of a forbidden type, made before the SCP or changed by the management account) and the
legacy ImportInstance against `instance/*`; CreateCapacityReservation (and BySplitting, interruptible
allocations, ModifyCapacityReservation: reserved capacity bills whether used or not) and PurchaseCapacityBlock
(and its extension; where commitments are allowed, a Capacity Block of a forbidden type is still denied here)
against `capacity-reservation/*`, with moving instances into one, updating an interruptible allocation and
taking over (or assigning) a reservation's bill; AllocateHosts and PurchaseHostReservation against
`dedicated-host/*`; exchanging or modifying Reserved Instances into a type against `reserved-instances/*`; and
ModifyInstanceAttribute whose `ec2:Attribute/InstanceType` (the type asked for) is forbidden, in its own
statement. The same pair of conditions for each:
  Deny when `StringLike` [`<f>.*` for each family not wholly allowed] AND `StringNotLike` [exact allowed
  types]. A family allowed only by size (`g5.xlarge`) appears in the first list and its sizes in the second,
  so `g5.2xlarge` is denied and `g5.xlarge` is not; exact types only ever belong to such families, so the
  second list never rescues a type of a family that is not allowed at all. A family that is wholly allowed
  is in neither list. `p5.*` does not match `p5e.48xlarge`: the `.` is literal.

SageMaker (`sagemaker:InstanceTypes` is multivalued, `ForAnyValue:StringLike`): the same pair of conditions
would be wrong, because both would be tested over all the request's types independently: an endpoint
config with `ml.g5.xlarge` (allowed) and `ml.m5.large` (CPU) would match `ml.g5.*` through one value and
`StringNotLike ml.g5.xlarge` through the other, and be denied. So the list names what is denied exactly:
`ml.<f>.*` for families not allowed at all, and the catalog's other sizes (`ml.g5.2xlarge`, ...) for a
family allowed only by size. Gap, said openly: a size of such a family that the catalog does not list yet
is not denied on SageMaker until the catalog learns it. Every catalog family is denied on SageMaker, also
those it does not offer today (`sagemaker: false`): a pattern for a type that does not exist costs a few
characters and keeps the deny right the day SageMaker adds it.

SageMaker actions carrying `sagemaker:InstanceTypes` (the IAM data of September 2026, every one of them): the
creates of endpoint configs, training, processing, transform and tuning jobs, notebooks, Studio apps, spaces,
domains and user profiles, HyperPod clusters and model-monitoring job definitions and schedules, and the updates
of notebooks (a stopped notebook moved to another type), clusters, domains, spaces, user profiles, training jobs
and monitoring schedules. Not CreateEndpoint, UpdateEndpoint or CreateInferenceComponent: they take no instance
type of their own, so the gate is CreateEndpointConfig.

Cloud9 and CodeBuild (found by walking the IAM data of 2026 for every key naming an instance type): a Cloud9 EC2
environment (`cloud9:InstanceType`; Cloud9 launches the instance through its service-linked role, so the EC2
statement never sees it) and CodeBuild reserved-capacity fleets and projects on a custom EC2 instance type
(`codebuild:computeConfiguration.instanceType`, `codebuild:environment.computeConfiguration.instanceType`; the
capacity runs in CodeBuild's accounts, billed to this one). Single-valued: the same pair of conditions as EC2.

Auto Scaling: `autoscaling:InstanceTypes` on CreateAutoScalingGroup and UpdateAutoScalingGroup (the mixed
instances policy's override types: multivalued, so the exact denied list, as for SageMaker) and
`autoscaling:InstanceType` on CreateLaunchConfiguration. A group launching from a launch template with no
override names no type in the request, and the group launches through its service-linked role, which SCPs never
restrict: that door, EKS managed node groups, AWS Batch, EMR, Spot Fleet and spot requests have no condition key
for the type (`scp_uncovered`): the GPU guard finds what they launch, and reports it with its manager.
Pure; no aws_cdk.
"""

from __future__ import annotations

from aifinops.catalog import accelerator_catalog, parse_instance_type
from aifinops.config import Environment
from aifinops.policies.scp_required_tags import (
    CREATE_FLEET,
    INSTANCE_ARN,
    INSTANCE_TYPE_KEY,
    RUN_INSTANCES,
    accelerated_ec2_patterns,
    covering_prefixes,
)
from aifinops.policies.scp_statement import ARN, deny
from aifinops.policies.scp_types import Statement

SAGEMAKER_INSTANCE_TYPE_ACTIONS = (
    "sagemaker:CreateEndpointConfig",
    "sagemaker:CreateTrainingJob",
    "sagemaker:CreateNotebookInstance",
    "sagemaker:CreateProcessingJob",
    "sagemaker:CreateTransformJob",
    "sagemaker:CreateHyperParameterTuningJob",
    "sagemaker:CreateApp",
    "sagemaker:CreateSpace",
    "sagemaker:CreateDomain",
    "sagemaker:CreateUserProfile",
    "sagemaker:CreateCluster",
    "sagemaker:CreateDataQualityJobDefinition",
    "sagemaker:CreateModelBiasJobDefinition",
    "sagemaker:CreateModelExplainabilityJobDefinition",
    "sagemaker:CreateModelQualityJobDefinition",
    "sagemaker:CreateMonitoringSchedule",
    "sagemaker:UpdateNotebookInstance",
    "sagemaker:UpdateCluster",
    "sagemaker:UpdateDomain",
    "sagemaker:UpdateSpace",
    "sagemaker:UpdateUserProfile",
    "sagemaker:UpdateTrainingJob",
    "sagemaker:UpdateMonitoringSchedule",
)
SAGEMAKER_INSTANCE_TYPES_KEY = "sagemaker:InstanceTypes"
EC2_TYPE_ACTIONS = (
    RUN_INSTANCES, CREATE_FLEET, "ec2:StartInstances", "ec2:ImportInstance", "ec2:CreateCapacityReservation",
    "ec2:CreateCapacityReservationBySplitting", "ec2:CreateInterruptibleCapacityReservationAllocation",
    "ec2:UpdateInterruptibleCapacityReservationAllocation", "ec2:ModifyCapacityReservation",
    "ec2:MoveCapacityReservationInstances", "ec2:AcceptCapacityReservationBillingOwnership",
    "ec2:AssociateCapacityReservationBillingOwner", "ec2:PurchaseCapacityBlock", "ec2:PurchaseCapacityBlockExtension",
    "ec2:AllocateHosts", "ec2:PurchaseHostReservation", "ec2:AcceptReservedInstancesExchangeQuote",
    "ec2:ModifyReservedInstances",
)
EC2_TYPE_RESOURCES = (INSTANCE_ARN, f"{ARN}:ec2:*:*:capacity-reservation/*", f"{ARN}:ec2:*:*:dedicated-host/*",
                      f"{ARN}:ec2:*:*:reserved-instances/*")
# Purchases the IAM data gives an instance type only through their resource type, not the action's own row:
# where commitments are allowed, one that arrives without the key is denied (fail closed), not waved through.
UNJUDGED_PURCHASES = ("ec2:PurchaseCapacityBlock", "ec2:PurchaseCapacityBlockExtension",
                      "ec2:PurchaseHostReservation")
MODIFY_INSTANCE = "ec2:ModifyInstanceAttribute"
NEW_TYPE_KEY = "ec2:Attribute/InstanceType"
AUTO_SCALING_GROUP_ACTIONS = ("autoscaling:CreateAutoScalingGroup", "autoscaling:UpdateAutoScalingGroup")
AUTO_SCALING_TYPES_KEY = "autoscaling:InstanceTypes"
LAUNCH_CONFIGURATION = "autoscaling:CreateLaunchConfiguration"
LAUNCH_CONFIGURATION_TYPE_KEY = "autoscaling:InstanceType"
# Services that launch EC2 capacity of a type the request names, in a key of their own (single-valued strings in the
# IAM data): a Cloud9 EC2 environment (its instance is launched by Cloud9's service-linked role, out of the EC2
# statement's reach) and CodeBuild reserved-capacity fleets and projects on a custom instance type (run by CodeBuild).
OTHER_TYPE_DOORS = (
    ("AifDenyGpuTypesCloud9", "Cloud9 EC2 environments", ("cloud9:CreateEnvironmentEC2",),
     "cloud9:InstanceType"),
    ("AifDenyGpuTypesCodeBuildFleet", "CodeBuild reserved-capacity fleets",
     ("codebuild:CreateFleet", "codebuild:UpdateFleet"), "codebuild:computeConfiguration.instanceType"),
    ("AifDenyGpuTypesCodeBuildProject", "CodeBuild projects",
     ("codebuild:CreateProject", "codebuild:UpdateProject"), "codebuild:environment.computeConfiguration.instanceType"),
)


def _allowed(env: Environment, sagemaker: bool) -> tuple[set[str], dict[str, list[str]]]:
    """Families wholly allowed, and family -> sizes allowed one by one, for one service."""
    families: set[str] = set()
    sizes: dict[str, list[str]] = {}
    for entry in env.accelerators:
        parsed = parse_instance_type(entry)
        if parsed.sagemaker != sagemaker:
            continue
        if parsed.size is None:
            families.add(parsed.family)
        else:
            sizes.setdefault(parsed.family, []).append(parsed.size)
    return families, {f: s for f, s in sizes.items() if f not in families}


def ec2_type_conditions(env: Environment) -> tuple[list[str], list[str]]:
    """(StringLike patterns, StringNotLike allowed families and types) of the EC2 Deny; empty patterns: nothing
    to deny. StringLike: every accelerated type (`accelerated_ec2_patterns`: `p*`, `g5*`, `in*` ...; a family AWS
    adds under a prefix is denied until the environment allows it); StringNotLike: `<family>.*` of each family
    the environment allows, and its exact allowed types."""
    families, sized = _allowed(env, sagemaker=False)
    ec2 = accelerator_catalog().ec2_family_names()
    if set(ec2) <= families:
        return [], []
    not_like = [f"{f}.*" for f in ec2 if f in families] + [f"{f}.{s}" for f in ec2 for s in sized.get(f, ())]
    return list(accelerated_ec2_patterns()), not_like


def denied_types(env: Environment, *, sagemaker: bool) -> list[str]:
    """Patterns and exact types a multivalued key must not contain in this environment (negated lists cannot be
    used there: see the module docstring): the shortest prefixes that cover the families not allowed at all and
    no family that is allowed or not accelerated (`covering_prefixes`: `ml.p*`, `ml.g6*`), and the catalog's
    other sizes of a family allowed only by size. SageMaker: every catalog family (also those it does not offer
    today: a pattern for a type that does not exist costs a few characters and keeps the deny right the day
    SageMaker adds it); EC2 (Auto Scaling): the EC2 families."""
    families, sized = _allowed(env, sagemaker=sagemaker)
    catalog = accelerator_catalog()
    prefix = "ml." if sagemaker else ""
    names = [f.name for f in catalog.families if sagemaker or f.ec2]
    barred = {n for n in names if n not in families and n not in sized}
    kept = set(names) - barred
    denied = [f"{prefix}{p}*" for p in covering_prefixes(barred, {*catalog.other_families, *kept})]
    for name in names:
        family = catalog.family(name)
        if family is not None and name in sized:
            denied.extend(f"{prefix}{name}.{s}" for s in family.sizes if s not in sized[name])
    return denied


def sagemaker_denied_types(env: Environment) -> list[str]:
    """`ml.` patterns and exact types that SageMaker must refuse in this environment."""
    return denied_types(env, sagemaker=True)


def _single_valued(key: str, like: list[str], not_like: list[str]) -> dict[str, dict[str, list[str]]]:
    conditions = {"StringLike": {key: like}}
    if not_like:
        conditions["StringNotLike"] = {key: not_like}
    return conditions


def accelerator_statements(env_name: str, env: Environment, exempt: tuple[str, ...]) -> tuple[Statement, ...]:
    statements: list[Statement] = []
    like, not_like = ec2_type_conditions(env)
    ec2_allowed = ", ".join(e for e in env.accelerators if not parse_instance_type(e).sagemaker) or "none"
    if like:
        statements += [
            deny("AifDenyAcceleratorTypesEc2",
                 f"launching, starting, reserving capacity for or allocating hosts of accelerated EC2 instance "
                 f"types not allowed in {env_name} (allowed: {ec2_allowed})",
                 actions=EC2_TYPE_ACTIONS, resources=EC2_TYPE_RESOURCES,
                 conditions=_single_valued(INSTANCE_TYPE_KEY, like, not_like), exempt=exempt),
            deny("AifDenyAcceleratorTypeChangeEc2",
                 f"changing a stopped instance to an accelerated type not allowed in {env_name}",
                 actions=(MODIFY_INSTANCE,), resources=(INSTANCE_ARN,),
                 conditions=_single_valued(NEW_TYPE_KEY, like, not_like), exempt=exempt),
            deny("AifDenyAcceleratorTypesLaunchConfig",
                 f"Auto Scaling launch configurations of accelerated types not allowed in {env_name}",
                 actions=(LAUNCH_CONFIGURATION,), conditions=_single_valued(LAUNCH_CONFIGURATION_TYPE_KEY, like,
                                                                           not_like), exempt=exempt),
        ]
        statements += [deny(sid, f"{what} on accelerated EC2 instance types not allowed in {env_name}", actions=actions,
                            conditions=_single_valued(key, like, not_like), exempt=exempt)
                       for sid, what, actions, key in OTHER_TYPE_DOORS]
    if like and env.provisioned_throughput:  # elsewhere AifDenyCommitments denies these purchases whole
        statements.append(deny(
            "AifDenyUnjudgedAcceleratorPurchases",
            "Capacity Blocks and host reservations whose request names no instance type (so that the type rule "
            "above could not judge them)", actions=UNJUDGED_PURCHASES, resources=EC2_TYPE_RESOURCES[1:3],
            conditions={"Null": {INSTANCE_TYPE_KEY: "true"}}, exempt=exempt))
    groups = denied_types(env, sagemaker=False)
    if groups:
        statements.append(deny(
            "AifDenyAcceleratorTypesAutoScaling",
            f"Auto Scaling groups whose instance type overrides include accelerated types not allowed in "
            f"{env_name}", actions=AUTO_SCALING_GROUP_ACTIONS,
            conditions={"ForAnyValue:StringLike": {AUTO_SCALING_TYPES_KEY: groups}}, exempt=exempt))
    denied = sagemaker_denied_types(env)
    sm_allowed = ", ".join(e for e in env.accelerators if parse_instance_type(e).sagemaker) or "none"
    if denied:
        statements.append(deny(
            "AifDenyAcceleratorTypesSageMaker",
            f"SageMaker endpoint configs, jobs, notebooks, Studio, HyperPod clusters and model monitoring on "
            f"accelerated types not allowed in {env_name}, at creation or update (allowed: {sm_allowed})",
            actions=SAGEMAKER_INSTANCE_TYPE_ACTIONS,
            conditions={"ForAnyValue:StringLike": {SAGEMAKER_INSTANCE_TYPES_KEY: denied}}, exempt=exempt))
    return tuple(statements)
