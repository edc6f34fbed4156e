"""SCP statements 1: model tiers, by every Bedrock entry point, on the reference config and edits of it."""

from __future__ import annotations

from typing import Any

import pytest

from aifinops.catalog import model_catalog
from aifinops.catalog.models import GEO_PREFIXES
from aifinops.config import load
from aifinops.policies.scp import build_statements, validation_inputs
from aifinops.policies.scp_models import denied_model_patterns
from tests.conftest import REFERENCE_CONFIG
from tests.policies.scp_eval import BREAK_GLASS_ROLE, denied, denied_by, edited

REFERENCE = load(REFERENCE_CONFIG)
DEV = build_statements(REFERENCE, "dev")
PROD = build_statements(REFERENCE, "prod")

OPUS = ("anthropic.claude-opus-4-7", "anthropic.claude-opus-4-6-v1", "anthropic.claude-opus-4-1-20250805-v1:0",
        "anthropic.claude-3-opus-20240229-v1:0", "anthropic.claude-opus-5", "amazon.nova-premier-v1:0")
BELOW = ("anthropic.claude-sonnet-4-5-20250929-v1:0", "anthropic.claude-sonnet-5",
         "anthropic.claude-haiku-4-5-20251001-v1:0", "amazon.nova-pro-v1:0", "amazon.nova-2-lite-v1:0",
         "meta.llama4-maverick-17b-instruct-v1:0")
INVOKE = ("bedrock:InvokeModel", "bedrock:InvokeModelWithResponseStream", "bedrock:CreateModelInvocationJob")


def model_arn(model: str, region: str = "us-east-1", partition: str = "aws") -> str:
    return f"arn:{partition}:bedrock:{region}::foundation-model/{model}"


def profile_arn(geo: str, model: str) -> str:
    return f"arn:aws:bedrock:eu-west-1:222222222222:inference-profile/{geo}.{model}"


@pytest.mark.parametrize("action", INVOKE)
@pytest.mark.parametrize("model", OPUS)
def test_dev_denies_premium_models_directly_and_region_less(action: str, model: str) -> None:
    assert "AifDenyModelTierAboveStandard" in denied_by(DEV, action, model_arn(model))
    assert denied(DEV, action, model_arn(model, region=""))  # global profiles route to the region-less ARN
    assert denied(DEV, action, model_arn(model, region="ap-southeast-2"))


@pytest.mark.parametrize("geo", GEO_PREFIXES)
@pytest.mark.parametrize("model", OPUS)
def test_dev_denies_premium_models_through_every_system_profile(geo: str, model: str) -> None:
    assert denied(DEV, "bedrock:InvokeModel", profile_arn(geo, model))


def test_a_geo_prefix_unknown_to_the_catalog_is_covered_too() -> None:
    assert denied(DEV, "bedrock:InvokeModel", profile_arn("mx", "anthropic.claude-opus-4-7"))


@pytest.mark.parametrize("model", BELOW)
def test_dev_allows_models_up_to_its_tier(model: str) -> None:
    assert not denied(DEV, "bedrock:InvokeModel", model_arn(model))
    assert not denied(DEV, "bedrock:InvokeModel", profile_arn("us", model))
    assert not denied(DEV, "bedrock-mantle:CreateInference", context={"bedrock-mantle:Model": model})


@pytest.mark.parametrize("model", OPUS)
def test_dev_denies_premium_models_through_bedrock_mantle(model: str) -> None:
    for value in (model, f"us.{model}", f"global.{model}"):
        assert denied_by(DEV, "bedrock-mantle:CreateInference", context={"bedrock-mantle:Model": value}) == [
            "AifDenyMantleModelTierAboveStandard"]
    assert denied(DEV, "bedrock-mantle:CreateFineTuningJob", context={"bedrock-mantle:Model": model})


def test_fine_tuning_a_premium_base_model_is_denied() -> None:
    assert denied(DEV, "bedrock:CreateModelCustomizationJob", model_arn("amazon.nova-premier-v1:0:300k"),
                  context=_all_tags())


def test_break_glass_may_invoke_any_model() -> None:
    for model in OPUS:
        assert not denied(DEV, "bedrock:InvokeModel", model_arn(model), principal=BREAK_GLASS_ROLE)
        assert not denied(DEV, "bedrock-mantle:CreateInference", principal=BREAK_GLASS_ROLE,
                          context={"bedrock-mantle:Model": model})


def test_the_top_tier_environment_gets_no_model_statement() -> None:
    assert not [s for s in PROD if "ModelTier" in s.sid]
    assert not denied(PROD, "bedrock:InvokeModel", model_arn("anthropic.claude-opus-4-7"))


def test_a_govcloud_organization_is_matched_too() -> None:
    assert denied(DEV, "bedrock:InvokeModel", model_arn("anthropic.claude-opus-4-7", "us-gov-west-1", "aws-us-gov"))


def test_economy_environment_denies_standard_and_premium() -> None:
    def economy(data: dict[str, Any]) -> None:
        data["environments"]["dev"]["max_model_tier"] = "economy"
        data["workloads"] = [w for w in data["workloads"] if w.get("kind") != "bedrock_access"
                             or w["environment"] != "dev"]

    statements = build_statements(edited(economy), "dev")
    assert [s.sid for s in statements if "ModelTier" in s.sid] == [
        "AifDenyModelTierAboveEconomy", "AifDenyMantleModelTierAboveEconomy"]
    for model in (*OPUS, "anthropic.claude-sonnet-4-5-20250929-v1:0", "meta.llama3-3-70b-instruct-v1:0",
                  "mistral.mistral-large-2407-v1:0", "amazon.nova-pro-v1:0"):
        assert denied(statements, "bedrock:InvokeModel", model_arn(model)), model
    for model in ("anthropic.claude-haiku-4-5-20251001-v1:0", "amazon.nova-micro-v1:0",
                  "meta.llama3-1-8b-instruct-v1:0"):
        assert not denied(statements, "bedrock:InvokeModel", model_arn(model)), model


@pytest.mark.parametrize("tier", model_catalog().tiers)
def test_every_catalog_pattern_above_the_tier_is_matched_after_reduction(tier: str) -> None:
    catalog = model_catalog()
    config = edited(lambda data: _tier(data, tier))
    statements = build_statements(config, "prod")
    assert set(denied_model_patterns(config.environments["prod"])) <= set(
        catalog.patterns_for_tiers(catalog.tiers_above(tier)))
    for family in catalog.families:
        for pattern in family.patterns:
            example = pattern.replace("*", "-x-")
            above = catalog.tier_rank(family.tier) > catalog.tier_rank(tier)
            assert denied(statements, "bedrock:InvokeModel", model_arn(example)) == above, (tier, pattern)


def test_nonexistent_actions_are_never_used() -> None:
    actions = validation_inputs(REFERENCE).actions
    assert "bedrock:InvokeModel" in actions and "bedrock-mantle:CreateInference" in actions
    assert "bedrock:StartAsyncInvoke" not in actions
    assert "bedrock:InvokeModelWithBidirectionalStream" not in actions
    assert "bedrock:Converse" not in actions


def _tier(data: dict[str, Any], tier: str) -> None:
    data["environments"]["prod"]["max_model_tier"] = tier
    data["workloads"] = [w for w in data["workloads"] if w.get("kind") != "bedrock_access"]


def _all_tags() -> dict[str, str]:
    return {f"aws:RequestTag/{k}": "x" for k in REFERENCE.tags.required}
