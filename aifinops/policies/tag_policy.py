"""The Organizations tag policy built from finops.yaml. Pure; no aws_cdk import.

A tag policy standardises key casing and allowed values; it never makes a tag mandatory (the SCPs do
that at creation). `enforced_for` only lists types where enforcement works; `report_required_tag_for`
marks the required keys for the rest, which IaC hooks (CloudFormation's
AWS::TagPolicies::TaggingComplianceValidator) check before deploying.
"""

from __future__ import annotations

from typing import Any

from aifinops.catalog.tag_policy_types import tag_policy_types
from aifinops.config import ENVIRONMENT, PROJECT, TASK_TYPE, TEAM, FinOpsConfig


def allowed_tag_values(config: FinOpsConfig) -> dict[str, tuple[str, ...]]:
    """Keys whose values form a closed set across the whole organisation."""
    values: dict[str, tuple[str, ...]] = {
        TEAM: tuple(t.name for t in config.teams),
        ENVIRONMENT: tuple(config.environments),
        TASK_TYPE: config.tags.task_types,
    }
    if all(t.projects for t in config.teams):  # one team without projects leaves `project` open
        values[PROJECT] = tuple(sorted({p for t in config.teams for p in t.projects}))
    return {k: v for k, v in values.items() if k in config.tags.required}


def build_tag_policy(config: FinOpsConfig) -> dict[str, Any]:
    types = tag_policy_types()
    allowed = allowed_tag_values(config)
    tags: dict[str, Any] = {}
    for key in config.tags.required:
        entry: dict[str, Any] = {"tag_key": {"@@assign": key}}  # exact casing
        if key in allowed:
            entry["tag_value"] = {"@@assign": list(allowed[key])}
            entry["enforced_for"] = {"@@assign": list(types.enforced_for)}
        entry["report_required_tag_for"] = {"@@assign": list(types.report_required_tag_for)}
        tags[key.lower()] = entry  # policy keys are the lower-case tag key
    return {"tags": tags}
