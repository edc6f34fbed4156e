"""The cost tag rules: which keys are required and which values each may take. Pure; no aws_cdk."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from aifinops.catalog import model_catalog
from aifinops.config import ENVIRONMENT, MODEL, PROJECT, TASK_TYPE, TEAM, FinOpsConfig
from aifinops.policies.resource_facts.aif_template import read_cost_tags

MISSING = "cost-tag-missing"
WRONG_VALUE = "cost-tag-value"
RULES = (MISSING, WRONG_VALUE)



@dataclass(frozen=True, order=True)
class TagProblem:
    rule: str  # MISSING or WRONG_VALUE
    key: str
    message: str
    fix: str


def allowed_values(key: str, config: FinOpsConfig, tags: Mapping[str, str]) -> tuple[str, ...] | None:
    """The closed set of values for `key`, or None when any valid tag value is allowed; `tags.shared` values
    (infrastructure owned by no team) are allowed besides the configured ones."""
    shared = config.tags.shared
    if key == PROJECT and tags.get(TEAM) in shared.get(TEAM, ()):
        return shared.get(PROJECT) or None  # a shared resource: its project is whatever shared.project allows
    found = _configured_values(key, config, tags)
    if found is None:
        return None
    return found + tuple(v for v in shared.get(key, ()) if v not in found)


def _configured_values(key: str, config: FinOpsConfig, tags: Mapping[str, str]) -> tuple[str, ...] | None:
    if key == TEAM:
        return tuple(t.name for t in config.teams)
    if key == ENVIRONMENT:
        return tuple(config.environments)
    if key == TASK_TYPE:
        return config.tags.task_types
    if key == PROJECT:
        team = next((t for t in config.teams if t.name == tags.get(TEAM)), None)
        return tuple(team.projects) if team and team.projects else None
    return None


def check_tags(tags: Mapping[str, str | None], config: FinOpsConfig) -> list[TagProblem]:
    """Problems with one resource's tags. A value of None means 'present but unresolved at synth'
    (a token): it counts as present and its value is not judged."""
    known = {k: v for k, v in tags.items() if v is not None}
    problems = []
    for key in config.tags.required:
        if key not in tags or tags[key] == "":
            problems.append(_missing(key, config, known))
        elif key in known:
            problems.extend(_value_problem(key, known[key], config, known))
    return sorted(problems)


def _missing(key: str, config: FinOpsConfig, tags: Mapping[str, str]) -> TagProblem:
    allowed = _describe_allowed(key, config, tags)
    fix = f"pass cost_tags=CostTags(...) to the construct or its stack, or Tags.of(scope).add('{key}', ...)"
    return TagProblem(MISSING, key, f"required cost tag '{key}' is missing; allowed values: {allowed}", fix)


def _value_problem(key: str, value: str, config: FinOpsConfig, tags: Mapping[str, str]) -> list[TagProblem]:
    if key == MODEL:
        if model_catalog().family_of(value) is None and value not in config.tags.model_values:
            return [_wrong(key, value, _describe_allowed(key, config, tags))]
        return []
    allowed = allowed_values(key, config, tags)
    if allowed is not None and value not in allowed:
        return [_wrong(key, value, ", ".join(allowed))]
    return []


def _wrong(key: str, value: str, allowed: str) -> TagProblem:
    return TagProblem(WRONG_VALUE, key, f"cost tag '{key}' has value '{value}', which is not allowed; "
                      f"allowed values: {allowed}", f"set '{key}' to one of: {allowed}")


def _describe_allowed(key: str, config: FinOpsConfig, tags: Mapping[str, str]) -> str:
    if key == MODEL:
        families = ", ".join(f"{p}" for f in model_catalog().families for p in f.patterns[:1])
        return f"a catalog model id ({families}) or one of {', '.join(config.tags.model_values)}"
    allowed = allowed_values(key, config, tags)
    return ", ".join(allowed) if allowed is not None else "any valid AWS tag value"


def read_template_tags(value: Any) -> dict[str, str | None]:
    """Tags as rendered in a template: a list of {Key, Value} or a map; unresolved values -> None, keys in the
    branches of an Fn::If item count as present. The reader the checkov checks and the nag rules use, so all
    judge the same tags; {} when the tags cannot be read (one intrinsic function stands for them)."""
    return read_cost_tags(value) or {}
