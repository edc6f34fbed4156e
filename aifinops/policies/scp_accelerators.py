"""SCP statements 3: only the accelerated instance types an environment allows.

`environments.<env>.accelerators` lists families (`g5`, `ml.g5`) or exact types (`g5.xlarge`); anything
accelerated that it does not allow is denied, per service. CPU types are never matched: every pattern
names a catalog accelerator family.

EC2 (`ec2:InstanceType` is single-valued, on RunInstances against `instance/*`):
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

SageMaker actions carrying `sagemaker:InstanceTypes` (service authorization reference): CreateEndpointConfig,
CreateTrainingJob, CreateNotebookInstance, CreateProcessingJob, CreateTransformJob,
CreateHyperParameterTuningJob, CreateApp, CreateSpace, CreateDomain, CreateUserProfile, CreateCluster. Not
CreateEndpoint or CreateInferenceComponent: they take no instance type of their own, so the gate is
CreateEndpointConfig. Pure; no aws_cdk.
"""

from __future__ import annotations

from aifinops.catalog import accelerator_catalog, parse_instance_type
from aifinops.config import Environment
from aifinops.policies.scp_required_tags import INSTANCE_ARN, INSTANCE_TYPE_KEY, RUN_INSTANCES
from aifinops.policies.scp_statement import deny
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
)
SAGEMAKER_INSTANCE_TYPES_KEY = "sagemaker:InstanceTypes"


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
    """(StringLike patterns, StringNotLike exact types) of the EC2 Deny; empty patterns: nothing to deny."""
    families, sized = _allowed(env, sagemaker=False)
    like = [f"{f}.*" for f in accelerator_catalog().ec2_family_names() if f not in families]
    not_like = [f"{f}.{s}" for f in accelerator_catalog().ec2_family_names() for s in sized.get(f, ())]
    return like, not_like


def sagemaker_denied_types(env: Environment) -> list[str]:
    """`ml.` patterns and exact types that SageMaker must refuse in this environment."""
    families, sized = _allowed(env, sagemaker=True)
    denied: list[str] = []
    for family in accelerator_catalog().families:
        if family.name in families:
            continue
        if family.name in sized:
            denied.extend(f"ml.{family.name}.{s}" for s in family.sizes if s not in sized[family.name])
        else:
            denied.append(f"ml.{family.name}.*")
    return denied


def accelerator_statements(env_name: str, env: Environment, exempt: tuple[str, ...]) -> tuple[Statement, ...]:
    statements: list[Statement] = []
    like, not_like = ec2_type_conditions(env)
    ec2_allowed = ", ".join(e for e in env.accelerators if not parse_instance_type(e).sagemaker) or "none"
    if like:
        conditions: dict[str, dict[str, list[str]]] = {"StringLike": {INSTANCE_TYPE_KEY: like}}
        if not_like:
            conditions["StringNotLike"] = {INSTANCE_TYPE_KEY: not_like}
        statements.append(deny(
            "AifDenyAcceleratorTypesEc2",
            f"launching accelerated EC2 instance types not allowed in {env_name} (allowed: {ec2_allowed})",
            actions=(RUN_INSTANCES,), resources=(INSTANCE_ARN,), conditions=conditions, exempt=exempt))
    denied = sagemaker_denied_types(env)
    sm_allowed = ", ".join(e for e in env.accelerators if parse_instance_type(e).sagemaker) or "none"
    if denied:
        statements.append(deny(
            "AifDenyAcceleratorTypesSageMaker",
            f"SageMaker endpoint configs, jobs, notebooks, Studio apps and HyperPod clusters on accelerated "
            f"types not allowed in {env_name} (allowed: {sm_allowed})",
            actions=SAGEMAKER_INSTANCE_TYPE_ACTIONS,
            conditions={"ForAnyValue:StringLike": {SAGEMAKER_INSTANCE_TYPES_KEY: denied}}, exempt=exempt))
    return tuple(statements)
