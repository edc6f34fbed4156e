"""AiFinOps-BR2: the environment's max_model_tier holds whatever tier a construct is told: a BedrockModelAccess
told `premium` in dev, a raw profile copying Opus, and raw IAM grants on premium models or wildcards fail."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from aws_cdk import aws_bedrock as bedrock
from aws_cdk import aws_iam as iam

from aifinops.constructs import BedrockModelAccess, CostTags
from aifinops.policies.nag.rule import Outcome
from aifinops.policies.nag.rules.model_tiers import RULE
from tests.policies.nag.conftest import DEV_TAGS, Cases, tag

OPUS = "anthropic.claude-opus-4-1-20250805-v1:0"
HAIKU = "anthropic.claude-haiku-4-5-20251001-v1:0"
MODEL_ARN = "arn:aws:bedrock:us-east-1::foundation-model/{}"


def _grant(stack: object, construct_id: str, resources: list[str]) -> iam.CfnManagedPolicy:
    return iam.CfnManagedPolicy(stack, construct_id, policy_document={"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "bedrock:InvokeModel", "Resource": resources}]})


@pytest.fixture(scope="module")
def nodes(cases: Cases) -> SimpleNamespace:
    n = SimpleNamespace()
    dev = cases.stack("DevAccess")
    tags = CostTags(team="search", project="ranker", model="multiple", environment="dev", task_type="generation")
    told_premium = BedrockModelAccess(dev, "ToldPremium", cost_tags=tags, max_model_tier="premium",
                                      models=[OPUS, HAIKU])
    n.opus_profile = told_premium.node.find_child("Profile0")
    n.haiku_profile = told_premium.node.find_child("Profile1")
    n.access_policy = next(c for c in told_premium.node.find_all() if isinstance(c, iam.CfnManagedPolicy))
    n.raw_profile = bedrock.CfnApplicationInferenceProfile(
        dev, "RawProfile", inference_profile_name="raw",
        model_source=bedrock.CfnApplicationInferenceProfile.InferenceProfileModelSourceProperty(
            copy_from=MODEL_ARN.format(OPUS)))
    tag(n.raw_profile, DEV_TAGS)
    n.opus_grant = _grant(dev, "OpusGrant", [MODEL_ARN.format(OPUS)])
    n.wildcard_grant = _grant(dev, "WildcardGrant", [MODEL_ARN.format("anthropic.claude-*")])
    n.lite_grant = _grant(dev, "LiteGrant", [MODEL_ARN.format("amazon.nova-lite*")])
    untagged = cases.stack("NoEnvironment")
    n.no_environment_grant = _grant(untagged, "Grant", [MODEL_ARN.format(OPUS)])
    cases.synth()
    return n


@pytest.mark.parametrize(("name", "outcome"), [
    ("opus_profile", Outcome.NON_COMPLIANT), ("haiku_profile", Outcome.COMPLIANT),
    ("access_policy", Outcome.NON_COMPLIANT), ("raw_profile", Outcome.NON_COMPLIANT),
    ("opus_grant", Outcome.NON_COMPLIANT), ("wildcard_grant", Outcome.NON_COMPLIANT),
    ("lite_grant", Outcome.COMPLIANT), ("no_environment_grant", Outcome.NOT_APPLICABLE)])
def test_the_environment_caps_the_tier(cases: Cases, nodes: SimpleNamespace, name: str, outcome: Outcome) -> None:
    assert cases.verdict(RULE, getattr(nodes, name)).outcome is outcome


def test_the_finding_names_the_model_the_environment_and_its_tier(cases: Cases, nodes: SimpleNamespace) -> None:
    assert cases.verdict(RULE, nodes.opus_profile).reason == f"{OPUS} above dev's max_model_tier standard"
