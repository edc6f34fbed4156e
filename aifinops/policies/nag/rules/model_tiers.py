"""AiFinOps-BR2: Bedrock models within their environment's tier, whatever the construct says."""

from __future__ import annotations

import re
from typing import Any

from cdk_nag import NagMessageLevel

from aifinops.catalog import model_catalog
from aifinops.catalog.models import strip_geo_prefix
from aifinops.config import Environment, FinOpsConfig
from aifinops.policies.nag.rule import NagRule, ResourceView, Verdict
from aifinops.policies.nag.rules import bedrock_profiles
from aifinops.policies.nag.rules._cfn import environment_of, template_environment
from aifinops.policies.resource_facts import aif_resources
from aifinops.policies.resource_facts.aif_template import render
from aifinops.policies.wildcards import matches

RULE_ID = "AiFinOps-BR2"
LEVEL = NagMessageLevel.ERROR  # the environment's SCP denies the model at run time anyway: fail at synth
INFO = "A Bedrock inference profile, IAM grant or resource reaches a model above its environment's max_model_tier."
EXPLANATION = (
    "Each environment caps the model tier (finops.yaml `environments.<env>.max_model_tier`, e.g. no premium "
    "models in dev), and its SCP denies the rest at run time: a profile or grant above the cap is a finding at "
    "synth, whatever tier a construct was told. Fix: choose a model at or below the tier, or raise the "
    "environment's max_model_tier. Checked on application inference profiles (the model or system profile they "
    "copy, by their `environment` cost tag) and on the allowed resources of Bedrock invoke statements in IAM "
    "policies, roles, users and groups (foundation-model and inference-profile ARNs, wildcards included), whose "
    "environment is the one `environment` cost tag every tagged resource of the stack agrees on. Under "
    "`model_policy: allowlist` a model the catalog does not know fails too. Also checked wherever a resource "
    "names the model it invokes (aif_resources.MODEL_PATHS: Bedrock agents, prompts, flows, knowledge bases and "
    "data sources, prompt routers, AgentCore memories, evaluators and harnesses, Lex bots, Q in Connect prompts), "
    "in the resource's environment or its stack's. Unresolved ARNs, and stacks without one environment, are not "
    "judged.")

TYPES = frozenset({bedrock_profiles.PROFILE_TYPE, *bedrock_profiles.TYPES, *aif_resources.MODEL_PATHS})
# the model id of foundation-model/<id> or inference-profile/<geo>.<id> (geo prefix dropped)
_MODEL = re.compile(r"(?<![A-Za-z-])(?:foundation-model|inference-profile)/([A-Za-z0-9*?:._-]+)$")


def check(resource: ResourceView, config: FinOpsConfig) -> Verdict:
    if resource.type not in TYPES:
        return Verdict.skip(f"{resource.type} reaches no Bedrock model")
    if resource.type == bedrock_profiles.PROFILE_TYPE:
        found = environment_of(resource, config)
        source = resource.properties.get("ModelSource")
        models = [render(source.get("CopyFrom"))] if isinstance(source, dict) else [None]
    elif resource.type in aif_resources.MODEL_PATHS:  # agents, prompts, flows, knowledge bases, routers, bots...
        found = environment_of(resource, config) or _stack_environment(resource, config)
        models = [_as_arn(render(v)) for v in aif_resources.model_references(resource.type, resource.properties)]
    else:
        found = _stack_environment(resource, config)
        models = [m for _, statement in bedrock_profiles._statements(resource) if statement is not None
                  and statement.get("Effect") == "Allow" and bedrock_profiles._invokes(statement)
                  for m in _resources(statement)]
    if found is None:
        return Verdict.skip("no single configured environment: not judged")
    name, environment = found
    ids = [model_id for text in models if text is not None and (model_id := _model_id(text)) is not None]
    if not ids:
        return Verdict.skip("names no model")
    above = sorted({m for m in ids if not _allowed(m, environment)})
    if above:
        return Verdict.fail(f"{', '.join(above)} above {name}'s max_model_tier {environment.max_model_tier}"
                            + (" or outside the catalog (allowlist)" if environment.model_policy == "allowlist"
                               else ""))
    return Verdict.ok(f"{', '.join(sorted(set(ids)))} within {name}'s tier {environment.max_model_tier}")


def _as_arn(text: str | None) -> str | None:
    """A model named by id (`anthropic.claude-...`, `us.anthropic.claude-...`) as the ARN form `_model_id` reads;
    an ARN as it is; None for an unresolved value."""
    if text is None or "${" in text or not text.strip():
        return None
    return text if text.startswith("arn:") else f"foundation-model/{text.strip()}"


def _resources(statement: dict[str, Any]) -> list[str | None]:
    values = statement.get("Resource")
    return [render(v) for v in (values if isinstance(values, list) else [values])]


def _model_id(arn: str) -> str | None:
    """The model id (or id pattern) an ARN or ARN pattern names; "*" for everything; None for no model."""
    if arn == "*" or (arn.endswith(":*") and arn.count(":") <= 5 and "/" not in arn):
        return "*"
    match = _MODEL.search(arn)
    return strip_geo_prefix(match.group(1)) if match else None


def _allowed(model: str, environment: Environment) -> bool:
    """A model id, or a wildcard over ids, at or below the environment's tier (and, under an allowlist, known)."""
    catalog = model_catalog()
    cap = catalog.tier_rank(environment.max_model_tier)
    if any(ch in model for ch in "*?"):  # a pattern: allowed only when it can reach no family above the cap
        return not any(catalog.tier_rank(f.tier) > cap and any(_overlap(model, p) for p in f.patterns)
                       for f in catalog.families)
    tier = catalog.tier_of(model)
    if tier is None:
        return environment.model_policy != "allowlist"
    return catalog.tier_rank(tier) <= cap


def _overlap(a: str, b: str) -> bool:
    """Two IAM wildcard patterns could match one string (sound for the catalog's prefix patterns)."""
    return matches(a, b.replace("*", "")) or matches(b, a.replace("*", ""))


def _stack_environment(resource: ResourceView, config: FinOpsConfig) -> tuple[str, Environment] | None:
    """The environment every environment-tagged resource of the template agrees on."""
    name = template_environment(resource)
    return (name, config.environments[name]) if name is not None and name in config.environments else None


RULE = NagRule(RULE_ID, LEVEL, INFO, EXPLANATION, TYPES, check)
