"""SCP statements 2: no cost-bearing AI resource is created without the required cost tags.

For each key of `tags.required`, a Deny when `"Null": {"aws:RequestTag/<key>": "true"}` (the key absent from
the request) on the create actions that accept tags at creation:

- SageMaker: CreateEndpointConfig, CreateEndpoint, CreateTrainingJob, CreateProcessingJob, CreateTransformJob,
  CreateHyperParameterTuningJob, CreateNotebookInstance, CreateInferenceComponent, CreateModel, and
  CreateCluster (HyperPod: the dearest of them; it takes `Tags` like the others);
- Bedrock: CreateInferenceProfile (application inference profiles: the per-team cost handle),
  CreateProvisionedModelThroughput, CreateModelCustomizationJob. The last has two tag lists (`jobTags`,
  `customModelTags`) and one `aws:RequestTag` context: pass the cost tags in both;
- EC2: RunInstances on `instance/*` only, and only when `ec2:InstanceType` is an accelerated type (every
  catalog family, `<family>.*`, whatever the environment allows): CPU instances are untouched. The resource
  must be `instance/*`: RunInstances is also authorised against the image, subnet, security group and
  network interface, and request tags of an instance are only in the context of the instance (and volume)
  evaluation, so a `Null` test on `*` would deny every launch.

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
- Karpenter launches with CreateFleet, which is also authorised as RunInstances for the controller's role;
  the tags it sends are those of the EC2NodeClass (`spec.tags`): put the required keys there, or exempt the
  controller role. EKS managed node groups and Auto Scaling groups launch through service-linked roles,
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
)
BEDROCK_CREATE = (
    "bedrock:CreateInferenceProfile",
    "bedrock:CreateProvisionedModelThroughput",
    "bedrock:CreateModelCustomizationJob",
)
RUN_INSTANCES = "ec2:RunInstances"
INSTANCE_ARN = f"{ARN}:ec2:*:*:instance/*"
INSTANCE_TYPE_KEY = "ec2:InstanceType"


def accelerated_ec2_patterns() -> tuple[str, ...]:
    """`<family>.*` for every accelerated family of the catalog (`p5.*` does not match `p5e.48xlarge`)."""
    return tuple(f"{name}.*" for name in accelerator_catalog().ec2_family_names())


def required_tag_statements(required: tuple[str, ...], exempt: tuple[str, ...]) -> tuple[Statement, ...]:
    statements: list[Statement] = []
    accelerated = accelerated_ec2_patterns()
    for key, word in zip(required, unique_sid_words(required), strict=True):
        missing = {"Null": {f"aws:RequestTag/{key}": "true"}}
        statements.append(deny(
            f"AifRequireTag{word}",
            f"creating SageMaker endpoints, jobs, notebooks, models or clusters, or Bedrock application "
            f"inference profiles, provisioned throughput or customization jobs, without the '{key}' tag",
            actions=(*SAGEMAKER_CREATE, *BEDROCK_CREATE), conditions=missing, exempt=exempt))
        statements.append(deny(
            f"AifRequireTag{word}OnGpuInstances",
            f"launching accelerated EC2 instances (GPU, Trainium, Inferentia) without the '{key}' tag",
            actions=(RUN_INSTANCES,), resources=(INSTANCE_ARN,),
            conditions={**missing, "StringLike": {INSTANCE_TYPE_KEY: list(accelerated)}}, exempt=exempt))
    return tuple(statements)
