"""The request vocabulary of the SCP simulations: principals, resources, request contexts, and `Case`, one API
call with the result expected in each environment of the reference config (dev, staging, prod).

A case is one API call. Calls that AWS authorises against several resources (a call through an inference
profile: the profile and the foundation model in each destination region; RunInstances: the instance, its
subnet, security group, image...) list every resource; the call is denied when any of them is.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from tests.iam.harness import ALLOWED, ERROR, EXPLICIT_DENY, IMPLICIT_DENY, Request, SimResult

ENVS = ("dev", "staging", "prod")
A, D = "A", "D"  # expected per environment, written dev/staging/prod: "DDA" = denied in dev and staging
RESULT = {A: ALLOWED, D: EXPLICIT_DENY}

ROLE = "arn:aws:iam::{acct}:role/ml-engineer"
DEPLOY_ROLE = "arn:aws:iam::{acct}:role/cdk-aifinops-cfn-exec-role-{acct}-us-east-1"  # organization.deployers
TEAM_DEPLOY_ROLE = "arn:aws:iam::{acct}:role/cdk-hnb659fds-cfn-exec-role-{acct}-us-east-1"  # any team's CDK
BREAK_GLASS = {
    "BreakGlassAdmin": "arn:aws:iam::{acct}:role/BreakGlassAdmin",
    "SSO PlatformAdmin": "arn:aws:iam::{acct}:role/aws-reserved/sso.amazonaws.com/us-east-1/"
                         "AWSReservedSSO_PlatformAdmin_abc123",
}

OPUS = "anthropic.claude-opus-4-7"
OPUS3 = "anthropic.claude-3-opus-20240229-v1:0"
HAIKU = "anthropic.claude-haiku-4-5-20251001-v1:0"
SONNET = "anthropic.claude-sonnet-4-5-20250929-v1:0"
NOVA_LITE = "amazon.nova-lite-v1:0"
NOVA_PREMIER = "amazon.nova-premier-v1:0"
US_REGIONS = ("us-east-1", "us-east-2", "us-west-2")  # destinations of `us.` system profiles
GEO_REGIONS = {  # source region first, then the destinations of each geo's system profiles
    "us": US_REGIONS, "eu": ("eu-west-1", "eu-central-1", "eu-west-3"), "apac": ("ap-southeast-2", "ap-northeast-1",
    "ap-south-1"), "jp": ("ap-northeast-1", "ap-northeast-3"), "au": ("ap-southeast-2", "ap-southeast-4"),
    "ca": ("ca-central-1", "ca-west-1"), "global": ("us-east-1",),
}


def fm(model: str, region: str = "us-east-1") -> str:
    return f"arn:aws:bedrock:{region}::foundation-model/{model}"


def profile(model: str, geo: str) -> tuple[str, ...]:
    """A call through a system inference profile: the profile, then the model in each destination.
    For `global.` only the source region here; the region-less ARN is checked by pattern below."""
    regions = GEO_REGIONS[geo]
    return (f"arn:aws:bedrock:{regions[0]}:{{acct}}:inference-profile/{geo}.{model}",
            *(fm(model, r) for r in regions))


APP_PROFILE = "arn:aws:bedrock:us-east-1:{acct}:application-inference-profile/a1b2c3d4e5f6"
MANTLE = "arn:aws:bedrock-mantle:us-east-1:{acct}:project/default"
ENDPOINT = "arn:aws:sagemaker:us-east-1:{acct}:endpoint/search-ranker"
ENDPOINT_CONFIG = "arn:aws:sagemaker:us-east-1:{acct}:endpoint-config/search-ranker"
TRAINING_JOB = "arn:aws:sagemaker:us-east-1:{acct}:training-job/defect-train-1"
NOTEBOOK = "arn:aws:sagemaker:us-east-1:{acct}:notebook-instance/research-nb"
GUARD_FUNCTION = "arn:aws:lambda:us-east-1:{acct}:function:aifinops-gpu-guard"
MANAGED = {"aws:ResourceTag/aifinops:managed": "true"}
INSTANCE = "arn:aws:ec2:us-east-1:{acct}:instance/i-0123456789abcdef0"
VOLUME = "arn:aws:ec2:us-east-1:{acct}:volume/vol-0123456789abcdef0"
RUN_SUPPORT = (  # what else RunInstances is authorised against; no request tags or instance type there
    "arn:aws:ec2:us-east-1:{acct}:subnet/subnet-0a1b2c3d4e5f60011",
    "arn:aws:ec2:us-east-1:{acct}:security-group/sg-0123456789abcdef0",
    "arn:aws:ec2:us-east-1::image/ami-0123456789abcdef0",
)

COST_TAGS = {"team": "search", "project": "ranker", "model": "llama-3-1-8b-custom", "environment": "{env}",
             "task-type": "generation"}


def tags(*, without: tuple[str, ...] = ()) -> dict[str, Any]:
    """Request tags as IAM sees them at creation: aws:RequestTag/<key> and aws:TagKeys."""
    kept = {k: v for k, v in COST_TAGS.items() if k not in without}
    return {**{f"aws:RequestTag/{k}": v for k, v in kept.items()}, "aws:TagKeys": list(kept)}


def ml_types(*types: str) -> dict[str, Any]:
    return {"sagemaker:InstanceTypes": list(types)}


def training(runtime: str | None, *types: str, tagged: Mapping[str, Any] | None = None) -> dict[str, Any]:
    out = {**(tags() if tagged is None else tagged), **ml_types(*(types or ("ml.g5.xlarge",)))}
    return out if runtime is None else {**out, "sagemaker:MaxRuntimeInSeconds": runtime}


def ec2(instance_type: str, context: Mapping[str, Any] | None = None) -> dict[str, Any]:
    return {"ec2:InstanceType": instance_type, **(tags() if context is None else context)}


@dataclass(frozen=True)
class Case:
    id: str
    expect: str  # one letter per environment of ENVS
    action: str
    resources: tuple[str, ...]
    context: Mapping[str, Any] = field(default_factory=dict)
    principal: str = ROLE
    break_glass_variants: bool = True  # add the same call by each break-glass principal: always allowed

    def __post_init__(self) -> None:
        assert len(self.expect) == len(ENVS) and set(self.expect) <= {A, D}, self.id


def case(id: str, expect: str, action: str, resources: str | tuple[str, ...], context: Mapping[str, Any] | None = None,
         **kw: Any) -> Case:
    res = (resources,) if isinstance(resources, str) else resources
    return Case(id, expect, action, res, context or {}, **kw)


INVOKE, STREAM = "bedrock:InvokeModel", "bedrock:InvokeModelWithResponseStream"
MANTLE_INFER = "bedrock-mantle:CreateInference"



def with_break_glass(matrix: tuple[Case, ...]) -> tuple[Case, ...]:
    """The matrix plus, for every call denied somewhere, the same call by each break-glass principal."""
    extra = [
        replace(c, id=f"{c.id} [{name}]", expect=A * len(ENVS), principal=arn, break_glass_variants=False)
        for c in matrix if D in c.expect and c.break_glass_variants
        for name, arn in BREAK_GLASS.items()
    ]
    return (*matrix, *extra)


def _fill(value: Any, env: str, acct: str) -> Any:
    if isinstance(value, str):
        return value.replace("{acct}", acct).replace("{env}", env)
    if isinstance(value, list):
        return [_fill(v, env, acct) for v in value]
    return value


def requests_for(env: str, acct: str, c: Case) -> list[Request]:
    context = {k: _fill(v, env, acct) for k, v in c.context.items()}
    return [
        Request(f"{c.id}#{i}", c.action, _fill(resource, env, acct), _fill(c.principal, env, acct), context)
        for i, resource in enumerate(c.resources)
    ]


def call_result(parts: list[SimResult]) -> str:
    results = {p.result for p in parts}
    for worst in (ERROR, EXPLICIT_DENY, IMPLICIT_DENY):
        if worst in results:
            return worst
    return ALLOWED


@dataclass
class EnvRun:
    account: str
    results: dict[str, SimResult]
    policies: list[dict[str, Any]]


