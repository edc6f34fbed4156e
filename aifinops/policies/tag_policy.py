"""The Organizations tag policies built from finops.yaml. Pure; no aws_cdk import.

A tag policy standardises key casing and allowed values; it never makes a tag mandatory (the SCPs do that at
creation). Each environment gets one policy (`aifinops-<env>-cost-tags`, attached to its OUs and accounts), in
one of two forms:

- report only (the default): keys, casing, allowed values and `report_required_tag_for`, which IaC hooks
  (CloudFormation's AWS::TagPolicies::TaggingComplianceValidator) and the tag compliance report read. Nothing is
  refused.
- enforced (`tags.enforcement.environments`): the same, plus `enforced_for` on `tags.enforcement.types`, so that
  creating or tagging a resource of those types with a value outside the allowed set is refused, for every
  resource of those types in the environment's accounts, AI or not (an `environment=production` web server
  included). Hence the opt-in, per environment and per type, and the report's list of what will be refused
  (`refusals`). Enforcement only works for the types of `catalog/tag_policy_types.yaml`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from aifinops.catalog.tag_policy_types import tag_policy_types
from aifinops.config import ENVIRONMENT, PROJECT, TASK_TYPE, TEAM, FinOpsConfig
from aifinops.naming import NAME_PREFIX


def allowed_tag_values(config: FinOpsConfig) -> dict[str, tuple[str, ...]]:
    """Keys whose values form a closed set across the whole organisation."""
    values: dict[str, tuple[str, ...]] = {
        TEAM: tuple(t.name for t in config.teams),
        ENVIRONMENT: tuple(config.environments),
        TASK_TYPE: config.tags.task_types,
    }
    shared = config.tags.shared
    # one team without projects, or a shared team without shared projects, leaves `project` open
    if all(t.projects for t in config.teams) and (not shared.get(TEAM) or shared.get(PROJECT)):
        values[PROJECT] = tuple(sorted({p for t in config.teams for p in t.projects} | set(shared.get(PROJECT, ()))))
    for key in (TEAM, TASK_TYPE):  # infrastructure owned by no team (tags.shared) carries these too
        values[key] += tuple(v for v in shared.get(key, ()) if v not in values[key])
    return {k: v for k, v in values.items() if k in config.tags.required}


def enforces(config: FinOpsConfig, environment: str) -> bool:
    return environment in config.tags.enforcement.environments


def tag_policy_name(environment: str) -> str:
    return f"{NAME_PREFIX}-{environment}-cost-tags"


def build_tag_policy(config: FinOpsConfig, environment: str) -> dict[str, Any]:
    """The tag policy of one environment: enforced or report only (see the module docstring)."""
    allowed = allowed_tag_values(config)
    enforced = config.tags.enforced_types() if enforces(config, environment) else ()
    tags: dict[str, Any] = {}
    for key in config.tags.required:
        entry: dict[str, Any] = {"tag_key": {"@@assign": key}}  # exact casing
        if key in allowed:
            entry["tag_value"] = {"@@assign": list(allowed[key])}
            if enforced:
                entry["enforced_for"] = {"@@assign": list(enforced)}
        entry["report_required_tag_for"] = {"@@assign": list(tag_policy_types().report_required_tag_for)}
        tags[key.lower()] = entry  # policy keys are the lower-case tag key
    return {"tags": tags}


@dataclass(frozen=True)
class Refusal:
    """What the tag policy of an environment refuses: a value of `key` outside `allowed` on `types`."""

    key: str
    allowed: tuple[str, ...]
    types: tuple[str, ...]


def refusals(config: FinOpsConfig, environment: str) -> tuple[Refusal, ...]:
    """Empty when the environment's tag policy only reports."""
    if not enforces(config, environment):
        return ()
    types = config.tags.enforced_types()
    return tuple(Refusal(key, values, types) for key, values in allowed_tag_values(config).items())
