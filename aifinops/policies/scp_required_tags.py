"""SCP statements 2: no cost-bearing AI resource is created without the required cost tags, or with one empty.

For each key of `tags.required`, a Deny when `"StringNotLike": {"aws:RequestTag/<key>": "?*"}` on the create
actions that accept tags at creation. A negated operator is true when the key is absent from the request, and
`?*` needs at least one character: one condition denies a missing key and an empty value (`team=""`) alike. IAM
matches the key of `aws:RequestTag/<key>` case-insensitively, so `Team=search` would pass it while cost allocation
(case-sensitive) sees no `team`: a second statement per key denies unless the exact key is among `aws:TagKeys`. A
value of spaces only is not caught (IAM wildcards have no "non-space" class): the GPU guard treats a blank value
as missing at run time. A value emptied after creation is denied too (`AifDenyEmptyTag<Key>`, exempt:
break-glass only): `ec2:CreateTags` (instances, capacity reservations, dedicated hosts), `sagemaker:AddTags`,
`bedrock:TagResource` and `bedrock-mantle:TagResource` that set the key (`ForAnyValue:StringEquals aws:TagKeys`)
to nothing (`StringNotLike ... "?*"`). The create actions:

- SageMaker: CreateEndpointConfig, CreateEndpoint, CreateTrainingJob, CreateProcessingJob, CreateTransformJob,
  CreateHyperParameterTuningJob, CreateNotebookInstance, CreateInferenceComponent, CreateModel, and
  CreateCluster (HyperPod: the dearest of them; it takes `Tags` like the others);
- Bedrock: CreateInferenceProfile (application inference profiles: the per-team cost handle),
  CreateProvisionedModelThroughput, CreateModelCustomizationJob. The last has two tag lists (`jobTags`,
  `customModelTags`) and one `aws:RequestTag` context: pass the cost tags in both;
- SageMaker also: CreateInferenceExperiment (shadow endpoints), CreateMonitoringSchedule, and the jobs that start
  instances of their own (AutoML V1 and V2, compilation, optimization, inference recommendations); Bedrock also: batch
  (CreateModelInvocationJob), evaluation jobs, custom model deployments, model import jobs; bedrock-mantle projects
  and reservations;
- EC2: RunInstances and CreateFleet (EC2 Fleet, Karpenter) on `instance/*`, and capacity reservations, Capacity
  Blocks and dedicated hosts on `capacity-reservation/*` and `dedicated-host/*`, only when `ec2:InstanceType` is
  an accelerated type (every catalog family, whatever the environment allows): CPU instances are untouched. Not
  `*`: RunInstances is also authorised against the image, subnet, security group and network interface, and
  request tags of an instance are only in the context of the instance (and volume) evaluation, so a test on `*`
  would deny every launch.

SageMaker and Bedrock use `Resource: "*"`: their request tags are request-level context keys (listed on the
action itself in the service authorization data), so a Deny of the action on any resource is the simplest
correct form. One statement per key: several keys in one `Null` block are ANDed (deny only when all are
missing), and IAM has no operator for "the request's tag keys include all of these", so per key is the only
exact form.

Tools that create first and tag after are denied by these statements, by design (an untagged GPU is what
the pack exists to prevent). Known ones:
- CloudFormation, for resource types whose handler calls Create without tags and tags in a second call
  (the aifinops constructs themselves pass tags at creation);
- Terraform, for provider resources whose create call omits the tags and a later call adds them;
- Karpenter launches with CreateFleet as the controller's role; the tags it sends are those of the
  EC2NodeClass (`spec.tags`): put the required keys there, or exempt the controller role. EKS managed node
  groups and Auto Scaling groups launch through service-linked roles,
  which SCPs never restrict: they are neither blocked nor enforced here (the GPU guard catches them);
- SageMaker Studio creates apps (CreateApp) for users; apps are therefore not in the list.
Exempt such a principal by adding its role ARN pattern to `organization.tag_exempt_principals`, which only
these statements honour (the GPU guard still finds what it leaves untagged), rather than to `break_glass`,
which every statement honours.
Pure; no aws_cdk.
"""

from __future__ import annotations

from aifinops.catalog import accelerator_catalog
from aifinops.policies.scp_statement import ARN, deny, unique_sid_words
from aifinops.policies.scp_types import Statement

SAGEMAKER_CREATE = (
    "sagemaker:CreateEndpointConfig",
    "sagemaker:CreateEndpoint",
    "sagemaker:CreateTrainingJob",
    "sagemaker:CreateProcessingJob",
    "sagemaker:CreateTransformJob",
    "sagemaker:CreateHyperParameterTuningJob",
    "sagemaker:CreateNotebookInstance",
    "sagemaker:CreateInferenceComponent",
    "sagemaker:CreateModel",
    "sagemaker:CreateCluster",
    "sagemaker:CreateInferenceExperiment",
    "sagemaker:CreateMonitoringSchedule",
    # jobs that start instances of their own and take tags at creation (IAM data: aws:RequestTag on each)
    "sagemaker:CreateAutoMLJob",
    "sagemaker:CreateAutoMLJobV2",
    "sagemaker:CreateCompilationJob",
    "sagemaker:CreateOptimizationJob",
    "sagemaker:CreateInferenceRecommendationsJob",
)
BEDROCK_CREATE = (
    "bedrock:CreateInferenceProfile",
    "bedrock:CreateProvisionedModelThroughput",
    "bedrock:CreateModelCustomizationJob",
    "bedrock:CreateModelInvocationJob",
    "bedrock:CreateEvaluationJob",
    "bedrock:CreateCustomModelDeployment",
    "bedrock:CreateModelImportJob",
    "bedrock-mantle:CreateProject",
    "bedrock-mantle:CreateReservation",
)
GPU_CAPACITY_CREATE = ("ec2:CreateCapacityReservation", "ec2:AllocateHosts", "ec2:PurchaseCapacityBlock")
RUN_INSTANCES = "ec2:RunInstances"
CREATE_FLEET = "ec2:CreateFleet"
INSTANCE_ARN = f"{ARN}:ec2:*:*:instance/*"
GPU_CAPACITY_RESOURCES = (INSTANCE_ARN, f"{ARN}:ec2:*:*:capacity-reservation/*", f"{ARN}:ec2:*:*:dedicated-host/*")
INSTANCE_TYPE_KEY = "ec2:InstanceType"
PRESENT = "?*"  # at least one character


def accelerated_ec2_patterns() -> tuple[str, ...]:
    """Patterns matching every accelerated EC2 type of the catalog and no other family it knows: the shortest
    prefixes (`p*`, `g5*`, `in*`, `tr*` ...; `covering_prefixes`). A family AWS adds under one of them is covered
    before the catalog learns it."""
    catalog = accelerator_catalog()
    return tuple(f"{p}*" for p in covering_prefixes(set(catalog.ec2_family_names()), set(catalog.other_families)))


def covering_prefixes(wanted: set[str], blocked: set[str]) -> tuple[str, ...]:
    """The shortest prefixes of the `wanted` family names that start no `blocked` name, none covering another,
    sorted: `{p5, p5e, g5, g6} / {geospatial}` -> (`g5`, `g6`, `p`). A family whose whole name starts a blocked
    one (`g5` when `g5g` is blocked) gets its name and the dot (`g5.`), which matches its types only."""
    found: set[str] = set()
    for name in sorted(wanted):
        prefix = next((name[:n] for n in range(1, len(name) + 1)
                       if not any(b.startswith(name[:n]) for b in blocked)), f"{name}.")
        found.add(prefix)
    return tuple(sorted(p for p in found if not any(q != p and p.startswith(q) for q in found)))


def required_tag_statements(required: tuple[str, ...], exempt: tuple[str, ...]) -> tuple[Statement, ...]:
    """Per key, two conditions in their own statements, because either alone lets something through: the value
    present and not empty (`aws:RequestTag/<key>`, whose key IAM matches case-insensitively: `Team=search` passes
    it), and the key present exactly as written (`ForAllValues:StringNotEquals aws:TagKeys`, case-sensitive, like
    cost allocation tags; true when the request has no tags at all)."""
    statements: list[Statement] = []
    accelerated = {"StringLike": {INSTANCE_TYPE_KEY: list(accelerated_ec2_patterns())}}
    gpu = (RUN_INSTANCES, CREATE_FLEET, *GPU_CAPACITY_CREATE)
    for key, word in zip(required, unique_sid_words(required), strict=True):
        empty = {"StringNotLike": {f"aws:RequestTag/{key}": PRESENT}}  # absent (in any case), or ""
        other_case = {"ForAllValues:StringNotEquals": {"aws:TagKeys": key}}  # not there exactly as written
        for suffix, condition, what in (("", empty, "without the '{key}' tag or with it empty"),
                                        ("Exact", other_case, "without the '{key}' tag key exactly as written")):
            statements.append(deny(
                f"AifRequireTag{word}{suffix}",
                "creating SageMaker endpoints, jobs, notebooks, models, clusters, inference experiments or monitoring "
                "schedules, Bedrock application inference profiles, provisioned throughput, customization, batch, "
                f"evaluation or import jobs, custom model deployments, or bedrock-mantle projects or reservations "
                f"{what.format(key=key)}",
                actions=(*SAGEMAKER_CREATE, *BEDROCK_CREATE), conditions=condition, exempt=exempt))
            statements.append(deny(
                f"AifRequireTag{word}{suffix}OnGpuCapacity",
                f"launching accelerated EC2 instances (GPU, Trainium, Inferentia, FPGA ...; RunInstances, "
                f"CreateFleet) or reserving, buying or allocating capacity of those types {what.format(key=key)}",
                actions=gpu, resources=GPU_CAPACITY_RESOURCES, conditions={**condition, **accelerated},
                exempt=exempt))
    return tuple(statements)


TAG_WRITES = ("ec2:CreateTags", "sagemaker:AddTags", "bedrock:TagResource", "bedrock-mantle:TagResource")
TAGGED_COMPUTE = (INSTANCE_ARN, f"{ARN}:ec2:*:*:capacity-reservation/*", f"{ARN}:ec2:*:*:dedicated-host/*")
TAG_WRITE_RESOURCES = (*TAGGED_COMPUTE, *(f"{ARN}:{svc}:*:*:*" for svc in ("sagemaker", "bedrock", "bedrock-mantle")))


def emptied_tag_statements(required: tuple[str, ...], exempt: tuple[str, ...]) -> tuple[Statement, ...]:
    """Per key: setting it to an empty value on an existing (or new) instance, SageMaker or Bedrock resource."""
    return tuple(deny(
        f"AifDenyEmptyTag{word}",
        f"setting the '{key}' tag to an empty value on EC2 instances, capacity reservations, dedicated hosts, "
        f"SageMaker or Bedrock resources",
        actions=TAG_WRITES, resources=TAG_WRITE_RESOURCES,
        conditions={"ForAnyValue:StringEquals": {"aws:TagKeys": key},
                    "StringNotLike": {f"aws:RequestTag/{key}": PRESENT}}, exempt=exempt)
        for key, word in zip(required, unique_sid_words(required), strict=True))
