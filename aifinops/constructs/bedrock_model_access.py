"""`BedrockModelAccess`: a team's Bedrock models behind tagged application inference profiles."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from typing import Literal

import aws_cdk as cdk
from aws_cdk import aws_bedrock as bedrock
from aws_cdk import aws_iam as iam
from constructs import Construct

from aifinops.catalog import model_catalog
from aifinops.constructs import nag_acks
from aifinops.constructs.capacity import record_token_pricing
from aifinops.constructs.cost_tags import CostTags
from aifinops.constructs.errors import PropProblem, raise_if_any

# Converse and ConverseStream are authorised as these two actions; there is no bedrock:Converse.
INVOKE_ACTIONS = ("bedrock:InvokeModel", "bedrock:InvokeModelWithResponseStream")
Routing = Literal["in_region", "geo", "global"]
_GEO_BY_REGION_PREFIX = {"us": "us", "eu": "eu", "ap": "apac", "ca": "ca"}


class BedrockModelAccess(Construct):
    """Per team and environment: one tagged application inference profile per model, and a managed
    policy that allows invoking those models only through the profiles.

    Example::

        import aws_cdk as cdk
        from aifinops.constructs import BedrockModelAccess, CostTags

        app = cdk.App()
        stack = cdk.Stack(app, "Search", env=cdk.Environment(account="222222222222", region="us-east-1"))
        access = BedrockModelAccess(
            stack, "Access",
            cost_tags=CostTags(team="search", project="ranker", model="multiple",
                               environment="dev", task_type="generation"),
            models=["anthropic.claude-haiku-4-5-20251001-v1:0"],
            max_model_tier="standard",
        )
        # applications pass access.profile_arns[model_id] as modelId

    Spend then reaches Cost Explorer under the profile's tags once the keys are activated as
    cost allocation tags.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        cost_tags: CostTags,
        models: Sequence[str],
        max_model_tier: str,
        routing: Routing = "geo",
        roles: Sequence[iam.IRole] = (),
    ) -> None:
        """
        :param cost_tags: tags for every resource; the profile's `model` tag is set per model.
        :param models: Bedrock model ids (no geo prefix), each at or below `max_model_tier`.
        :param max_model_tier: the environment's highest allowed tier (catalog tiers).
        :param routing: what each profile copies. Default: ``geo`` - the system inference profile of the
            stack region's geography (us., eu., apac.), required by newer models for on-demand use;
            ``global`` the global profile; ``in_region`` the foundation model itself.
        :param roles: roles to attach the invoke policy to. Default: none; attach `policy` yourself.
        """
        super().__init__(scope, construct_id)
        raise_if_any(self, _check_models(models, max_model_tier))
        stack = cdk.Stack.of(self)
        cost_tags.apply(self)
        self.profile_arns: dict[str, str] = {}
        profile_resources, model_resources, sources = [], [], []
        for index, model_id in enumerate(models):
            source = _model_source(stack, model_id, routing)
            profile = bedrock.CfnApplicationInferenceProfile(
                self, f"Profile{index}",
                inference_profile_name=profile_name(cost_tags, model_id),
                # CloudFormation allows only letters, digits, : and . with single separators here.
                description=f"{cost_tags.team} {cost_tags.project} {cost_tags.environment} {model_id}",
                model_source=bedrock.CfnApplicationInferenceProfile.InferenceProfileModelSourceProperty(
                    copy_from=source),
            )
            cdk.Tags.of(profile).add("model", model_id, priority=200)
            record_token_pricing(profile, workload=construct_id, model_id=model_id)
            self.profile_arns[model_id] = profile.attr_inference_profile_arn
            profile_resources.append(profile.attr_inference_profile_arn)
            sources.append(source)
            model_resources.append(f"arn:{stack.partition}:bedrock:*::foundation-model/{model_id}")
            if routing == "global":
                # Global profiles route to the region-less ARN; whether `*` matches an empty region
                # is unconfirmed, so name it explicitly.
                model_resources.append(f"arn:{stack.partition}:bedrock:::foundation-model/{model_id}")
            cdk.CfnOutput(self, f"ProfileArn{index}", value=profile.attr_inference_profile_arn,
                          description=f"pass as modelId to invoke {model_id}")
        self.policy = iam.ManagedPolicy(self, "InvokePolicy", description=(
            f"Invoke Bedrock models of {cost_tags.team}/{cost_tags.environment} only through its "
            "tagged application inference profiles"), roles=list(roles))
        self.policy.add_statements(iam.PolicyStatement(
            sid="InvokeThroughTeamProfiles", actions=list(INVOKE_ACTIONS), resources=profile_resources))
        # A profile call is also authorised against what it routes to; allow that only via the profiles.
        routed = [s for s in sources if ":inference-profile/" in s] + model_resources
        routed_statement = iam.PolicyStatement(
            sid="RoutedModelsOnlyViaProfiles", actions=list(INVOKE_ACTIONS), resources=routed,
            conditions={"StringEquals": {"bedrock:InferenceProfileArn": profile_resources}})
        self.policy.add_statements(routed_statement)
        nag_acks.acknowledge_wildcards(self.policy, [routed_statement],
                                       {"RoutedModelsOnlyViaProfiles": nag_acks.BEDROCK_ROUTED_MODELS})


def _check_models(models: Sequence[str], max_tier: str) -> list[PropProblem]:
    catalog = model_catalog()
    if max_tier not in catalog.tiers:
        return [PropProblem("AIF_TIER_UNKNOWN", "max_model_tier", max_tier, ", ".join(catalog.tiers))]
    problems = []
    if not models:
        problems.append(PropProblem("AIF_MODELS_EMPTY", "models", list(models), "one or more model ids"))
    allowed = catalog.tiers[: catalog.tier_rank(max_tier) + 1]
    for model_id in models:
        tier = catalog.tier_of(model_id)
        if tier is None:
            problems.append(PropProblem("AIF_MODEL_UNKNOWN", "models", model_id, "a model id of a catalog family"))
        elif tier not in allowed:
            problems.append(PropProblem("AIF_MODEL_TIER", "models", model_id,
                                        f"models of tier {' or '.join(allowed)} (this one is {tier})"))
    return problems


def _model_source(stack: cdk.Stack, model_id: str, routing: Routing) -> str:
    if routing == "in_region":
        return f"arn:{stack.partition}:bedrock:{stack.region}::foundation-model/{model_id}"
    geo = "global" if routing == "global" else _geo_of(stack.region)
    return f"arn:{stack.partition}:bedrock:{stack.region}:{stack.account}:inference-profile/{geo}.{model_id}"


def _geo_of(region: str) -> str:
    if cdk.Token.is_unresolved(region):
        raise ValueError("routing='geo' needs a stack with an explicit region (env=...); "
                         "or use routing='in_region' or 'global'")
    geo = _GEO_BY_REGION_PREFIX.get(region.split("-")[0])
    if geo is None:
        raise ValueError(f"no geographic inference profile is known for region {region}; "
                         "use routing='global' or 'in_region'")
    return geo


def profile_name(tags: CostTags, model_id: str) -> str:
    """1-64 characters matching ^([0-9a-zA-Z][ _-]?)+$, unique per team, project, environment and model;
    a long name keeps its start and gets a short hash of the whole."""
    raw = f"{tags.team}-{tags.project}-{tags.environment}-{model_id}"
    cleaned = re.sub(r"[^0-9a-zA-Z]+", "-", raw).strip("-")
    if len(cleaned) <= 64:
        return cleaned
    digest = hashlib.sha256(raw.encode()).hexdigest()[:8]
    return f"{cleaned[:55].rstrip('-')}-{digest}"
