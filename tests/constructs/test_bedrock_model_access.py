"""BedrockModelAccess: tagged profiles per model, invoke only through them, tier limits at synth."""

from __future__ import annotations

from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_iam as iam
from aws_cdk.assertions import Match, Template

from aifinops.constructs import BedrockModelAccess, ConstructPropError, CostTags
from aifinops.constructs.bedrock_model_access import profile_name
from aifinops.infra.context import cdk_json_context

HAIKU = "anthropic.claude-haiku-4-5-20251001-v1:0"
NOVA = "amazon.nova-lite-v1:0"
OPUS = "anthropic.claude-opus-4-7"
TAGS = CostTags(team="search", project="ranker", model="multiple", environment="dev", task_type="generation")
ENV = cdk.Environment(account="222222222222", region="us-east-1")


def make_stack(**props: Any) -> tuple[cdk.Stack, BedrockModelAccess]:
    app = cdk.App(context=cdk_json_context())
    stack = cdk.Stack(app, "Search", env=props.pop("env", ENV))
    role = iam.Role(stack, "AppRole", assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"))
    kwargs: dict[str, Any] = {"cost_tags": TAGS, "models": [HAIKU, NOVA], "max_model_tier": "standard",
                              "roles": [role], **props}
    return stack, BedrockModelAccess(stack, "Access", **kwargs)


@pytest.fixture(scope="module")
def template() -> Template:
    stack, _ = make_stack()
    return Template.from_stack(stack)


def copied_sources(template: Template) -> dict[str, str]:
    profiles = template.find_resources("AWS::Bedrock::ApplicationInferenceProfile").values()
    return {p["Properties"]["InferenceProfileName"]: _join(p["Properties"]["ModelSource"]["CopyFrom"])
            for p in profiles}


def test_one_profile_per_model_copying_the_geo_system_profile(template: Template) -> None:
    assert copied_sources(template) == {
        "search-ranker-dev-anthropic-claude-haiku-4-5-20251001-v1-0":
            f"arn:aws:bedrock:us-east-1:222222222222:inference-profile/us.{HAIKU}",
        "search-ranker-dev-amazon-nova-lite-v1-0":
            f"arn:aws:bedrock:us-east-1:222222222222:inference-profile/us.{NOVA}",
    }


def test_every_profile_carries_all_cost_tags_with_its_own_model(template: Template) -> None:
    profiles = template.find_resources("AWS::Bedrock::ApplicationInferenceProfile")
    models = set()
    for profile in profiles.values():
        tags = {t["Key"]: t["Value"] for t in profile["Properties"]["Tags"]}
        assert set(tags) == {"team", "project", "model", "environment", "task-type"}
        assert (tags["team"], tags["project"], tags["environment"]) == ("search", "ranker", "dev")
        models.add(tags["model"])
    assert models == {HAIKU, NOVA}


def test_policy_allows_invoke_only_through_the_profiles(template: Template) -> None:
    [policy] = template.find_resources("AWS::IAM::ManagedPolicy").values()
    statements = policy["Properties"]["PolicyDocument"]["Statement"]
    assert [s["Sid"] for s in statements] == ["InvokeThroughTeamProfiles", "RoutedModelsOnlyViaProfiles"]
    direct, routed = statements
    actions = ["bedrock:InvokeModel", "bedrock:InvokeModelWithResponseStream"]
    assert direct["Action"] == actions and routed["Action"] == actions
    assert direct["Effect"] == routed["Effect"] == "Allow"
    assert all("Fn::GetAtt" in r for r in direct["Resource"])
    profile_arns = direct["Resource"]
    assert routed["Condition"] == {"StringEquals": {"bedrock:InferenceProfileArn": profile_arns}}
    rendered = sorted(_join(r) for r in routed["Resource"])
    assert rendered == sorted([
        f"arn:aws:bedrock:us-east-1:222222222222:inference-profile/us.{HAIKU}",
        f"arn:aws:bedrock:us-east-1:222222222222:inference-profile/us.{NOVA}",
        f"arn:aws:bedrock:*::foundation-model/{HAIKU}",
        f"arn:aws:bedrock:*::foundation-model/{NOVA}",
    ])
    assert not any(r in ("*",) or str(r).endswith("foundation-model/*") for r in rendered)


def test_global_routing_also_allows_the_region_less_model_arn() -> None:
    stack, _ = make_stack(models=[HAIKU], routing="global")
    [policy] = Template.from_stack(stack).find_resources("AWS::IAM::ManagedPolicy").values()
    routed = policy["Properties"]["PolicyDocument"]["Statement"][1]["Resource"]
    assert sorted(_join(r) for r in routed) == sorted([
        f"arn:aws:bedrock:us-east-1:222222222222:inference-profile/global.{HAIKU}",
        f"arn:aws:bedrock:*::foundation-model/{HAIKU}",
        f"arn:aws:bedrock:::foundation-model/{HAIKU}",
    ])


def test_policy_is_attached_to_the_given_roles(template: Template) -> None:
    role_ref = {"Ref": Match.string_like_regexp("AppRole")}
    template.has_resource_properties("AWS::IAM::ManagedPolicy", {"Roles": [role_ref]})


def test_outputs_carry_each_profile_arn(template: Template) -> None:
    outputs = template.find_outputs("*")
    arns = [o for o in outputs.values() if "Fn::GetAtt" in o["Value"]]
    assert len(arns) == 2
    assert {o["Description"] for o in arns} == {f"pass as modelId to invoke {m}" for m in (HAIKU, NOVA)}


def test_in_region_routing_copies_the_foundation_model() -> None:
    stack, _ = make_stack(models=[HAIKU], routing="in_region")
    assert list(copied_sources(Template.from_stack(stack)).values()) == [
        f"arn:aws:bedrock:us-east-1::foundation-model/{HAIKU}"]


def test_model_above_the_tier_fails_naming_path_prop_and_tier() -> None:
    with pytest.raises(ConstructPropError) as caught:
        make_stack(models=[HAIKU, OPUS])
    message = str(caught.value)
    assert message.startswith("[AIF_MODEL_TIER] Search/Access: prop 'models': received 'anthropic.claude-opus-4-7'")
    assert "economy or standard (this one is premium)" in message


def test_unknown_model_and_tier_fail() -> None:
    with pytest.raises(ConstructPropError, match=r"\[AIF_MODEL_UNKNOWN\] Search/Access: prop 'models'"):
        make_stack(models=["acme.frontier-9"])
    with pytest.raises(ConstructPropError, match=r"\[AIF_TIER_UNKNOWN\].*allowed: economy, standard, premium"):
        make_stack(max_model_tier="gold")
    with pytest.raises(ConstructPropError, match=r"\[AIF_MODELS_EMPTY\]"):
        make_stack(models=[])


def test_geo_routing_needs_a_region() -> None:
    with pytest.raises(ValueError, match="explicit region"):
        make_stack(env=None)


def test_profile_names_are_valid_and_unique() -> None:
    import re

    long_tags = TAGS.replace(project="a-very-long-project-name-for-testing")
    names = {profile_name(long_tags, m) for m in (HAIKU, "anthropic.claude-haiku-4-5-20251001-v2:0")}
    assert len(names) == 2
    for name in names:
        assert len(name) <= 64 and re.fullmatch(r"([0-9a-zA-Z][ _-]?)+", name)


def _join(value: Any) -> str:
    """Render a Fn::Join of strings and AWS::Partition the way CloudFormation would in `aws`."""
    if isinstance(value, str):
        return value
    parts = value["Fn::Join"][1]
    return "".join("aws" if part == {"Ref": "AWS::Partition"} else part for part in parts)


def test_the_tier_is_the_environments_not_the_callers(config: Any) -> None:
    dev = config.environments["dev"]  # max_model_tier standard
    with pytest.raises(ConstructPropError) as caught:
        make_stack(models=[HAIKU, OPUS], max_model_tier="premium", environment=dev)
    assert str(caught.value).startswith("[AIF_TIER_ABOVE_ENVIRONMENT] Search/Access: prop 'max_model_tier': "
                                        "received 'premium'")
    with pytest.raises(ConstructPropError, match=r"\[AIF_MODEL_TIER\]"):
        make_stack(models=[HAIKU, OPUS], max_model_tier=None, environment=dev)
    stack, _ = make_stack(max_model_tier=None, environment=dev)  # the environment's tier applies
    assert len(Template.from_stack(stack).find_resources("AWS::Bedrock::ApplicationInferenceProfile")) == 2
    make_stack(models=[NOVA], max_model_tier="economy", environment=dev)  # a team may restrict itself


def test_without_an_environment_a_tier_is_required() -> None:
    with pytest.raises(ConstructPropError, match=r"\[AIF_TIER_MISSING\] Search/Access: prop 'environment'"):
        make_stack(max_model_tier=None)
