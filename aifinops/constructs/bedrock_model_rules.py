"""Prop rules of `BedrockModelAccess`: each broken rule is one `PropProblem` with a stable code.
No aws_cdk import: `aifinops validate` runs these rules on finops.yaml workloads, for every region."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

from aifinops.catalog import model_catalog
from aifinops.constructs.errors import PropProblem
from aifinops.constructs.tokens import is_token

Routing = Literal["in_region", "geo", "global"]
# The geography of a region's system inference profiles (us., eu., apac., ca.), by the region's first part.
GEO_BY_REGION_PREFIX = {"us": "us", "eu": "eu", "ap": "apac", "ca": "ca"}


def check_props(models: Sequence[str], max_tier: str, routing: Routing, region: str) -> list[PropProblem]:
    return [*_check_models(models, max_tier), *_check_routing(routing, region)]


def resolve_tier(environment_tier: str | None, given: str | None) -> tuple[str, list[PropProblem]]:
    """The tier a BedrockModelAccess enforces: its environment's max_model_tier, or a lower `given` one (a team
    may restrict itself); a `given` tier above the environment's, or neither, is a problem."""
    catalog = model_catalog()
    if environment_tier is None:
        if given is None:
            return "", [PropProblem("AIF_TIER_MISSING", "environment", None,
                                    "environment=config.environments[<name>] (its max_model_tier applies)")]
        return given, []
    if given is None or given not in catalog.tiers:
        return (environment_tier if given is None else given), []  # an unknown given tier: AIF_TIER_UNKNOWN
    if catalog.tier_rank(given) > catalog.tier_rank(environment_tier):
        allowed = catalog.tiers[: catalog.tier_rank(environment_tier) + 1]
        return environment_tier, [PropProblem("AIF_TIER_ABOVE_ENVIRONMENT", "max_model_tier", given,
                                              f"{' or '.join(allowed)} (the environment's max_model_tier is "
                                              f"{environment_tier})")]
    return given, []


def geo_of(region: str) -> str | None:
    """The geography prefix of `region`'s system inference profiles; None when none is known."""
    return GEO_BY_REGION_PREFIX.get(region.split("-")[0])


def _check_models(models: Sequence[str], max_tier: str) -> list[PropProblem]:
    catalog = model_catalog()
    if max_tier not in catalog.tiers:
        return [PropProblem("AIF_TIER_UNKNOWN", "max_model_tier", max_tier, ", ".join(catalog.tiers))]
    problems = []
    if not models:
        problems.append(PropProblem("AIF_MODELS_EMPTY", "models", list(models), "one or more model ids"))
    allowed = catalog.tiers[: catalog.tier_rank(max_tier) + 1]
    for index, model_id in enumerate(models):
        tier = catalog.tier_of(model_id)
        if model_id in models[:index]:  # one profile a model: a second would take the same profile name
            problems.append(PropProblem("AIF_MODEL_DUPLICATE", "models", model_id, "each model id once", index))
        elif tier is None:
            problems.append(PropProblem("AIF_MODEL_UNKNOWN", "models", model_id, "a model id of a catalog family",
                                        index))
        elif tier not in allowed:
            problems.append(PropProblem("AIF_MODEL_TIER", "models", model_id,
                                        f"models of tier {' or '.join(allowed)} (this one is {tier})", index))
    return problems


def _check_routing(routing: Routing, region: str) -> list[PropProblem]:
    if routing != "geo":
        return []
    if is_token(region):
        return [PropProblem("AIF_ROUTING_REGION", "routing", routing,
                            "'in_region' or 'global', or 'geo' in a stack with an explicit region (env=...)")]
    if geo_of(region) is None:
        prefixes = ", ".join(f"{p}-*" for p in GEO_BY_REGION_PREFIX)
        return [PropProblem("AIF_ROUTING_REGION", "routing", routing, (
            f"'global' or 'in_region' in region {region}: geographic inference profiles are known for "
            f"{prefixes} only"))]
    return []
