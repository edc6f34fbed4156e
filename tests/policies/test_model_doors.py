"""Every CloudFormation property that names the model a resource invokes is known: listed in
`aif_resources.MODEL_PATHS`, where AiFinOps-BR2 holds the environment's model tier, or excused in NOT_MODEL with
a reason. Then BR2 at each of them: a premium model fails in dev by id, geo profile id or ARN, a cheap one passes."""

from __future__ import annotations

from typing import Any

import pytest

from aifinops.config import FinOpsConfig
from aifinops.policies.nag.rule import Outcome, ResourceView
from aifinops.policies.nag.rules import model_tiers
from aifinops.policies.resource_facts import aif_resources as r
from tests.policies import cfn_schemas
from tests.policies.nag.conftest import DEV_TAGS
from tests.policies.nag.test_capacity_doors_rule import put

MODEL_PROPERTY = r"(ModelId|ModelArn|FoundationModel|CopyFrom)$"
DOORS = [(kind, path) for kind, paths in sorted(r.MODEL_PATHS.items()) for path in paths]
OPUS = "anthropic.claude-opus-4-1-20250805-v1:0"
HAIKU = "anthropic.claude-3-haiku-20240307-v1:0"


def schema_paths() -> dict[str, set[str]]:
    return cfn_schemas.schema_paths(MODEL_PROPERTY)


@pytest.mark.parametrize("resource_type", sorted(schema_paths()))
def test_every_model_property_is_classified(resource_type: str) -> None:
    unclassified = sorted(p for p in schema_paths()[resource_type]
                          if p not in r.MODEL_PATHS.get(resource_type, ())
                          and resource_type not in r.NOT_MODEL and f"{resource_type} {p}" not in r.NOT_MODEL)
    assert not unclassified, f"{resource_type} names models at {unclassified}: list them in aif_resources.MODEL_PATHS"


def test_every_listed_path_exists_in_the_schema() -> None:
    for kind, path in DOORS:
        assert path in schema_paths().get(kind, set()), (kind, path)
    for key in r.NOT_MODEL:
        kind, _, path = key.partition(" ")
        assert kind in schema_paths() and (not path or path in schema_paths()[kind]), key


def door(kind: str, path: str, model: str, tagged: bool = True) -> ResourceView:
    props: dict[str, Any] = put({}, path, model)
    siblings: dict[str, Any] = {}
    if tagged:
        props["Tags"] = [{"Key": k, "Value": v} for k, v in DEV_TAGS.items()]
    else:  # the stack's environment: another resource of the template carries it
        siblings["Queue"] = {"Type": "AWS::SQS::Queue",
                             "Properties": {"Tags": [{"Key": "environment", "Value": "dev"}]}}
    return ResourceView("Door", kind, props, {}, {"Door": {"Type": kind, "Properties": props}, **siblings})


@pytest.mark.parametrize(("kind", "path"), [d for d in DOORS if d[0] != "AWS::Bedrock::ApplicationInferenceProfile"],
                         ids=[f"{k}:{p}" for k, p in DOORS if k != "AWS::Bedrock::ApplicationInferenceProfile"])
@pytest.mark.parametrize("spelling", ["{}", "us.{}", "arn:aws:bedrock:us-east-1::foundation-model/{}",
                                      "arn:aws:bedrock:us-east-1:222222222222:inference-profile/eu.{}"])
def test_a_premium_model_fails_in_dev_wherever_it_is_named(config: FinOpsConfig, kind: str, path: str,
                                                           spelling: str) -> None:
    verdict = model_tiers.check(door(kind, path, spelling.format(OPUS)), config)
    assert verdict.outcome == Outcome.NON_COMPLIANT and "claude-opus" in verdict.reason and "dev" in verdict.reason
    assert model_tiers.check(door(kind, path, spelling.format(HAIKU)), config).outcome == Outcome.COMPLIANT


def test_the_stack_environment_applies_to_an_untagged_resource(config: FinOpsConfig) -> None:
    kind, path = "AWS::Bedrock::Agent", "FoundationModel"
    assert model_tiers.check(door(kind, path, OPUS, tagged=False), config).outcome == Outcome.NON_COMPLIANT


def test_unresolved_and_custom_models_are_not_judged(config: FinOpsConfig) -> None:
    kind, path = "AWS::Bedrock::Agent", "FoundationModel"
    custom = "arn:aws:bedrock:us-east-1:222222222222:custom-model/anthropic.claude/abc"
    assert model_tiers.check(door(kind, path, custom), config).outcome == Outcome.NOT_APPLICABLE
    unresolved = ResourceView("Door", kind, {"FoundationModel": {"Ref": "Model"}, "Tags": []}, {}, {})
    assert model_tiers.check(unresolved, config).outcome == Outcome.NOT_APPLICABLE
