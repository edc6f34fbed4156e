"""AiFinOps-BR1: Bedrock models are invoked only through application inference profiles."""

from __future__ import annotations

import re
from collections.abc import Iterator
from fnmatch import fnmatchcase
from typing import Any

from cdk_nag import NagMessageLevel

from aifinops.catalog import bedrock_invoke_managed_policies
from aifinops.config import FinOpsConfig
from aifinops.policies.nag.rule import NagRule, ResourceView, Verdict
from aifinops.policies.resource_facts.aif_template import is_intrinsic, render

RULE_ID = "AiFinOps-BR1"
LEVEL = NagMessageLevel.ERROR  # a direct grant bypasses per-team cost attribution
INFO = ("An IAM statement or AWS managed policy allows invoking Bedrock models directly (foundation-model ARNs "
        "or *) without a bedrock:InferenceProfileArn condition.")
EXPLANATION = (
    "Bedrock spend is attributed to a team only when calls go through its tagged application inference "
    "profile. Fix: use BedrockModelAccess and attach its policy, or allow bedrock:InvokeModel and "
    "bedrock:InvokeModelWithResponseStream on the application-inference-profile ARNs, and on the routed "
    "foundation models only with a condition that requires a profile: StringEquals, StringLike, ArnEquals or "
    "ArnLike (or ForAnyValue: of one) on bedrock:InferenceProfileArn, or Null bedrock:InferenceProfileArn "
    "false. Negated operators, ...IfExists and ForAllValues: (true when the key is absent) do not count. Do "
    "not attach AWS managed policies that allow any model (AdministratorAccess, PowerUserAccess, "
    "AmazonBedrockFullAccess, AmazonBedrockLimitedAccess, ...: aifinops/catalog/bedrock_managed_policies.yaml). "
    "Checked on AWS::IAM::Policy, ManagedPolicy, RolePolicy, UserPolicy, GroupPolicy and the inline and "
    "managed policies of roles, users and groups; actions are matched with their wildcards (bedrock:*, "
    "bedrock:Invoke*, *, NotAction) and Converse, which IAM authorises as InvokeModel; a NotResource grant "
    "complies only when it excludes every foundation model. A value unresolved at synth (a parameter, an "
    "import, Fn::If) is not judged, and the rule says so.")

TYPES = frozenset({"AWS::IAM::Policy", "AWS::IAM::ManagedPolicy", "AWS::IAM::Role", "AWS::IAM::User",
                   "AWS::IAM::Group", "AWS::IAM::RolePolicy", "AWS::IAM::UserPolicy", "AWS::IAM::GroupPolicy"})
# What IAM authorises a model call as; Converse names are listed because policies written by hand use them.
INVOKE_ACTIONS = ("bedrock:invokemodel", "bedrock:invokemodelwithresponsestream")
CONVERSE_NAMES = ("bedrock:converse", "bedrock:conversestream")
PROFILE_KEY = "bedrock:inferenceprofilearn"
# Operators that hold only when the request names a matching profile. ForAllValues: is left out on purpose:
# it is true when the key is absent, i.e. for a direct call.
POSITIVE_OPERATORS = frozenset({"StringEquals", "StringLike", "ArnEquals", "ArnLike"})
PROFILE_TYPE = "AWS::Bedrock::ApplicationInferenceProfile"
# Foundation-model ARNs a grant must exclude entirely: several regions, the region-less ARN of global
# profiles, and model ids of several providers (one outside any catalog).
MODEL_ARNS = tuple(f"arn:aws:bedrock:{region}::foundation-model/{model}"
                   for region in ("us-east-1", "eu-west-1", "ap-southeast-2", "")
                   for model in ("anthropic.claude-sonnet-4-5-20250929-v1:0", "amazon.nova-pro-v1:0", "zz.unlisted"))
_PSEUDO = re.compile(r"\$\{AWS::[A-Za-z]+\}")
_REFERENCE = re.compile(r"\$\{([^}]+)\}")
MANAGED_POLICY_ARN = re.compile(r"^arn:[^:]+:iam::aws:policy/(?:.*/)?([^/]+)$")


def check(resource: ResourceView, config: FinOpsConfig) -> Verdict:
    if resource.type not in TYPES:
        return Verdict.skip(f"{resource.type} holds no IAM policy")
    direct, unresolved = _managed_policies(resource)
    through_profiles = 0
    for label, statement in _statements(resource):
        if statement is None:
            unresolved.append(label)
            continue
        if statement.get("Effect") != "Allow":
            continue
        invokes = _invokes(statement)
        if invokes is None:
            unresolved.append(f"statement {label}")
        elif not invokes:
            continue
        elif _requires_profile(statement.get("Condition")):
            through_profiles += 1
        else:
            models = _direct_models(statement, resource)
            if models is None:
                unresolved.append(f"statement {label}")
            elif models:
                direct.append(f"statement {label}")
    if direct:
        return Verdict.fail(f"{', '.join(direct)} allows invoking foundation models (or *) directly")
    if unresolved:
        return Verdict.skip(f"not judged: {', '.join(unresolved)} is unresolved at synth (an intrinsic function "
                            "stands for its actions, resources or ARN)")
    if through_profiles:
        return Verdict.ok("model grants carry a bedrock:InferenceProfileArn condition")
    return Verdict.skip("grants no direct Bedrock model invocation")


def _managed_policies(resource: ResourceView) -> tuple[list[str], list[str]]:
    """(AWS managed policies attached that allow any model, ARNs unresolved at synth that could be one).
    A reference to a customer managed policy of the template is not one: that policy is judged itself."""
    arns = resource.properties.get("ManagedPolicyArns")
    if arns is None:
        return [], []
    if not isinstance(arns, list):
        return [], ["ManagedPolicyArns"]
    direct, unresolved = [], []
    for arn in arns:
        text = render(arn)
        match = MANAGED_POLICY_ARN.match(_PSEUDO.sub("*", text or ""))
        if match:
            if match.group(1) in bedrock_invoke_managed_policies():
                direct.append(f"AWS managed policy {match.group(1)}")
            continue
        names = _REFERENCE.findall(text or "${?}")
        if any(not n.startswith("AWS::") and n.split(".")[0] not in resource.siblings for n in names):
            unresolved.append(f"managed policy ARN {text or arn}")
    return direct, unresolved


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
            yield f"policy document {d}", None
            continue
        for s, statement in enumerate(statements):
            if not isinstance(statement, dict):
                yield f"statement #{s}", None
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


def _direct_models(statement: dict[str, Any], resource: ResourceView) -> bool | None:
    """Whether the statement's resources cover foundation-model ARNs (or everything); None when a resource
    that could be one is unresolved at synth."""
    if "NotResource" in statement:  # a grant on everything but these: direct unless they cover every model
        values = statement["NotResource"]
        excluded = [render(v) for v in (values if isinstance(values, list) else [values])]
        if any(text is None for text in excluded):
            return None
        patterns = [_REFERENCE.sub("\x00", _PSEUDO.sub("*", text or "")) for text in excluded]
        return not all(any(fnmatchcase(arn, p) for p in patterns) for arn in MODEL_ARNS)
    values = statement.get("Resource")
    unresolved = False
    for item in values if isinstance(values, list) else [values]:
        kind = _resource_kind(item, resource)
        if kind == "model":
            return True
        unresolved = unresolved or kind == "unresolved"
    return None if unresolved else False


def _resource_kind(item: Any, resource: ResourceView) -> str:
    """"model" when the resource pattern matches foundation models, "unresolved" when an unresolved part
    could make it one, "other" otherwise (a profile ARN, another service, a profile's Fn::GetAtt)."""
    text = render(item)
    if text is None:
        return "unresolved"  # Fn::If, Fn::ImportValue, Fn::Select ...
    names = [n for n in _REFERENCE.findall(text) if not n.startswith("AWS::")]
    if _matches_models(_REFERENCE.sub("\x00", _PSEUDO.sub("*", text))):
        return "model"
    if not names:
        return "other"
    if text == f"${{{names[0]}}}":  # the whole value is one reference: what it refers to decides
        target = resource.siblings.get(names[0].split(".")[0], {})
        return "other" if target.get("Type") == PROFILE_TYPE else "unresolved"
    # references inside a larger literal: unresolved only if some value of them could match a model
    return "unresolved" if _matches_models(_REFERENCE.sub("*", text)) else "other"


def _matches_models(pattern: str) -> bool:
    return pattern == "*" or "foundation-model/" in pattern or any(fnmatchcase(a, pattern) for a in MODEL_ARNS)


def _requires_profile(condition: Any) -> bool:
    """A condition that holds only for calls through an inference profile."""
    if not isinstance(condition, dict):
        return False
    for operator, block in condition.items():
        if not isinstance(operator, str) or not isinstance(block, dict):
            continue
        for key, value in block.items():
            if not isinstance(key, str) or key.lower() != PROFILE_KEY:
                continue
            if operator == "Null" and str(value).lower() == "false":
                return True
            if operator.removeprefix("ForAnyValue:") in POSITIVE_OPERATORS:
                return True
    return False


def _strings(value: Any) -> list[str] | None:
    items = value if isinstance(value, list) else [value]
    if any(is_intrinsic(i) or not isinstance(i, str) for i in items):
        return None
    return list(items)


RULE = NagRule(RULE_ID, LEVEL, INFO, EXPLANATION, TYPES, check)
