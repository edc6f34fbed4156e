"""AiFinOps-BR1: Bedrock models are invoked only through application inference profiles."""

from __future__ import annotations

import re
from collections.abc import Iterator
from fnmatch import fnmatchcase
from typing import Any

from cdk_nag import NagMessageLevel

from aifinops.config import FinOpsConfig
from aifinops.policies.nag.rule import NagRule, ResourceView, Verdict
from aifinops.policies.nag.rules._cfn import is_intrinsic, render

RULE_ID = "AiFinOps-BR1"
LEVEL = NagMessageLevel.ERROR  # a direct grant bypasses per-team cost attribution
INFO = ("An IAM statement allows invoking Bedrock models directly (foundation-model ARNs or *) without a "
        "bedrock:InferenceProfileArn condition.")
EXPLANATION = (
    "Bedrock spend is attributed to a team only when calls go through its tagged application inference "
    "profile. Fix: use BedrockModelAccess and attach its policy, or allow bedrock:InvokeModel and "
    "bedrock:InvokeModelWithResponseStream on the application-inference-profile ARNs, and on the routed "
    "foundation models only with a condition on bedrock:InferenceProfileArn naming those profiles. Checked "
    "on AWS::IAM::Policy, ManagedPolicy and the inline policies of roles, users and groups; actions are "
    "matched with their wildcards (bedrock:*, bedrock:Invoke*, *) and Converse, which IAM authorises as "
    "InvokeModel. Unresolved actions or resources are not judged.")

TYPES = frozenset({"AWS::IAM::Policy", "AWS::IAM::ManagedPolicy", "AWS::IAM::Role", "AWS::IAM::User",
                   "AWS::IAM::Group"})
# What IAM authorises a model call as; Converse names are listed because policies written by hand use them.
INVOKE_ACTIONS = ("bedrock:invokemodel", "bedrock:invokemodelwithresponsestream")
CONVERSE_NAMES = ("bedrock:converse", "bedrock:conversestream")
PROFILE_KEY = "bedrock:inferenceprofilearn"
SAMPLE_MODEL_ARN = "arn:aws:bedrock:us-east-1::foundation-model/anthropic.claude-sonnet-4-5-20250929-v1:0"
_PSEUDO = re.compile(r"\$\{AWS::[A-Za-z]+\}")
_REFERENCE = re.compile(r"\$\{[^}]+\}")


def check(resource: ResourceView, config: FinOpsConfig) -> Verdict:
    if resource.type not in TYPES:
        return Verdict.skip(f"{resource.type} holds no IAM policy")
    direct, through_profiles, unreadable = [], 0, False
    for label, statement in _statements(resource):
        if statement is None:
            unreadable = True
            continue
        if statement.get("Effect") != "Allow":
            continue
        invokes = _invokes(statement)
        if invokes is None:
            unreadable = True
        elif invokes and _direct_models(statement):
            if _has_profile_condition(statement.get("Condition")):
                through_profiles += 1
            else:
                direct.append(label)
    if direct:
        return Verdict.fail(f"statement {', '.join(direct)} allows invoking foundation models (or *) directly")
    if through_profiles:
        return Verdict.ok("model grants carry a bedrock:InferenceProfileArn condition")
    if unreadable:
        return Verdict.skip("part of the policy is unresolved at synth and was not judged")
    return Verdict.skip("grants no direct Bedrock model invocation")


def _statements(resource: ResourceView) -> Iterator[tuple[str, dict[str, Any] | None]]:
    """(label, statement) of every policy document; None for an unreadable document or statement."""
    props = resource.properties
    documents: list[Any] = [props.get("PolicyDocument")] if "PolicyDocument" in props else []
    policies = props.get("Policies", [])
    if isinstance(policies, list):
        documents += [p.get("PolicyDocument") if isinstance(p, dict) else None for p in policies]
    else:
        documents.append(None)
    for d, document in enumerate(documents):
        statements = document.get("Statement") if isinstance(document, dict) else None
        if isinstance(statements, dict):
            statements = [statements]
        if not isinstance(statements, list):
            yield f"document {d}", None
            continue
        for s, statement in enumerate(statements):
            if not isinstance(statement, dict):
                yield f"#{s}", None
            else:
                yield str(statement.get("Sid") or f"#{s}"), statement


def _invokes(statement: dict[str, Any]) -> bool | None:
    """Whether the statement's actions include a model invocation; None when they are unresolved."""
    negated = "NotAction" in statement
    patterns = _strings(statement.get("NotAction" if negated else "Action"))
    if patterns is None:
        return None
    lowered = [p.lower() for p in patterns]
    if negated:
        return any(not any(fnmatchcase(a, p) for p in lowered) for a in INVOKE_ACTIONS)
    return any(fnmatchcase(a, p) for a in INVOKE_ACTIONS for p in lowered) or any(
        p in CONVERSE_NAMES for p in lowered)


def _direct_models(statement: dict[str, Any]) -> bool:
    """Whether the statement's resources cover foundation-model ARNs (or everything)."""
    if "NotResource" in statement:
        excluded = _strings(statement["NotResource"]) or []
        return not any(fnmatchcase(SAMPLE_MODEL_ARN, _pattern(r)) for r in excluded)
    values = statement.get("Resource")
    items = values if isinstance(values, list) else [values]
    for item in items:
        text = render(item)
        if text is None:
            continue  # e.g. a profile's Fn::GetAtt: not a foundation model
        pattern = _pattern(text)
        if pattern == "*" or "foundation-model/" in pattern or fnmatchcase(SAMPLE_MODEL_ARN, pattern):
            return True
    return False


def _pattern(text: str) -> str:
    # Partition, region and account references match anything; other references match nothing.
    return _REFERENCE.sub("\x00", _PSEUDO.sub("*", text))


def _has_profile_condition(condition: Any) -> bool:
    if not isinstance(condition, dict):
        return False
    for operator, block in condition.items():
        if not isinstance(block, dict):
            continue
        for key, value in block.items():
            if key.lower() != PROFILE_KEY:
                continue
            if not operator.startswith("Null") or str(value).lower() == "false":
                return True
    return False


def _strings(value: Any) -> list[str] | None:
    items = value if isinstance(value, list) else [value]
    if any(is_intrinsic(i) or not isinstance(i, str) for i in items):
        return None
    return list(items)


RULE = NagRule(RULE_ID, LEVEL, INFO, EXPLANATION, TYPES, check)
