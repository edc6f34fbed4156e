"""`BedrockModelAccess`: a team's Bedrock models behind tagged application inference profiles."""

from __future__ import annotations

from collections.abc import Sequence

import aws_cdk as cdk
from aws_cdk import aws_bedrock as bedrock
from aws_cdk import aws_iam as iam
from constructs import Construct

from aifinops.config import Environment
from aifinops.constructs import nag_acks
from aifinops.constructs.bedrock_model_rules import Routing, check_props, geo_of, resolve_tier
from aifinops.constructs.capacity import record_token_pricing
from aifinops.constructs.cost_tags import CostTags
from aifinops.constructs.engineering_dashboard import ProfileView
from aifinops.constructs.errors import raise_if_any
from aifinops.naming import bedrock_profile_name

# Converse and ConverseStream are authorised as these two actions; there is no bedrock:Converse.
INVOKE_ACTIONS = ("bedrock:InvokeModel", "bedrock:InvokeModelWithResponseStream")


class BedrockModelAccess(Construct):
    """Per team and environment: one tagged application inference profile per model, and a managed
    policy that allows invoking those models only through the profiles.

    Example::

        import aws_cdk as cdk
        from aifinops.config import load
        from aifinops.constructs import BedrockModelAccess, CostTags

        app = cdk.App()
        stack = cdk.Stack(app, "Search", env=cdk.Environment(account="222222222222", region="us-east-1"))
        access = BedrockModelAccess(
            stack, "Access",
            cost_tags=CostTags(team="search", project="ranker", model="multiple",
                               environment="dev", task_type="generation"),
            models=["anthropic.claude-haiku-4-5-20251001-v1:0"],
            environment=load("finops.yaml").environments["dev"],  # its max_model_tier applies
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
        environment: Environment | None = None,
        max_model_tier: str | None = None,
        routing: Routing = "geo",
        roles: Sequence[iam.IRole] = (),
    ) -> None:
        """
        :param cost_tags: tags for every resource; the profile's `model` tag is set per model.
        :param models: Bedrock model ids (no geo prefix), each at or below the environment's tier.
        :param environment: the finops.yaml environment the access is for: its ``max_model_tier`` applies (the
            tier is the environment's, not the caller's word). Default: none - then ``max_model_tier`` is required.
        :param max_model_tier: a tier at or below the environment's, to restrict a team further (catalog tiers);
            above the environment's it is refused. Default: the environment's.
        :param routing: what each profile copies. Default: ``geo`` - the system inference profile of the
            stack region's geography (us., eu., apac.), required by newer models for on-demand use;
            ``global`` the global profile; ``in_region`` the foundation model itself.
        :param roles: roles to attach the invoke policy to. Default: none; attach `policy` yourself.
        """
        super().__init__(scope, construct_id)
        stack = cdk.Stack.of(self)
        tier, problems = resolve_tier(environment.max_model_tier if environment else None, max_model_tier)
        raise_if_any(self, problems or check_props(models, tier, routing, stack.region))
        cost_tags.apply(self)
        self.profile_arns: dict[str, str] = {}
        self.profile_ids: dict[str, str] = {}  # model id -> the profile's id: the ModelId dimension of its metrics
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
            self.profile_ids[model_id] = profile.attr_inference_profile_id
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

    def profile_views(self) -> list[ProfileView]:
        """The profiles as an `EngineeringDashboard` shows them: label <construct id>/<model>."""
        return [ProfileView(label=f"{self.node.id}/{model_id}", model_id=model_id, profile_id=profile_id)
                for model_id, profile_id in self.profile_ids.items()]


def _model_source(stack: cdk.Stack, model_id: str, routing: Routing) -> str:
    if routing == "in_region":
        return f"arn:{stack.partition}:bedrock:{stack.region}::foundation-model/{model_id}"
    geo = "global" if routing == "global" else geo_of(stack.region)  # check_props refused a region without one
    return f"arn:{stack.partition}:bedrock:{stack.region}:{stack.account}:inference-profile/{geo}.{model_id}"


def profile_name(tags: CostTags, model_id: str) -> str:
    """The profile name of `model_id` for these cost tags (`naming.bedrock_profile_name`)."""
    return bedrock_profile_name(tags.team, tags.project, tags.environment, model_id)
