"""The policy the AiFinOps checkov checks apply, read from the JSON file named by AIFINOPS_CHECKOV_POLICY.

Standard library only: checkov runs in its own virtual environment, without aifinops, pydantic or yaml.
`aifinops.policies.checkov_policy` writes the file from finops.yaml; a contract test round-trips it.
The rules mirror `aifinops.policies.cost_tags` and `aifinops.config.Environment.allows_instance_type`.
"""

from __future__ import annotations

import fnmatch
import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any

ENV_VAR = "AIFINOPS_CHECKOV_POLICY"
POLICY_VERSION = 1
SAGEMAKER_PREFIX = "ml."


class PolicyUnavailable(Exception):
    """No usable policy: the checks fail every resource they apply to, with this message."""


@dataclass(frozen=True)
class EnvironmentRules:
    production: bool
    accelerators: tuple[str, ...]  # [ml.]family[.size] entries, as in finops.yaml
    max_training_hours: int


@dataclass(frozen=True)
class Policy:
    required_tags: tuple[str, ...]
    environment_tag: str
    team_tag: str
    project_tag: str
    model_tag: str
    allowed_tag_values: Mapping[str, tuple[str, ...]]  # closed value sets; other keys take any value
    projects_by_team: Mapping[str, tuple[str, ...]]  # teams that list projects
    model_values: tuple[str, ...]  # `model` values allowed besides catalog model ids
    model_patterns: tuple[str, ...]  # catalog model id patterns (shell wildcards)
    geo_prefixes: tuple[str, ...]  # system inference profile prefixes ("us.") ignored before matching
    ec2_families: frozenset[str]  # accelerated instance families
    sagemaker_families: frozenset[str]
    environments: Mapping[str, EnvironmentRules]

    def tag_problems(self, tags: Mapping[str, str | None]) -> list[str]:
        """Why a resource's cost tags are wrong, as `aifinops.policies.cost_tags.check_tags` says it.
        A None value is present but unresolved (an intrinsic function): its value is not judged."""
        problems = []
        for key in self.required_tags:
            value = tags.get(key, "")
            if value == "":
                problems.append(f"required cost tag '{key}' is missing")
            elif value is not None and not self._value_allowed(key, value, tags):
                problems.append(f"cost tag '{key}' has value '{value}', which is not allowed")
        return problems

    def _value_allowed(self, key: str, value: str, tags: Mapping[str, str | None]) -> bool:
        if key == self.model_tag:
            head, _, rest = value.partition(".")
            model = rest if rest and head in self.geo_prefixes else value
            return value in self.model_values or any(fnmatch.fnmatchcase(model, p) for p in self.model_patterns)
        if key == self.project_tag:
            allowed = self.projects_by_team.get(tags.get(self.team_tag) or "")
        else:
            allowed = self.allowed_tag_values.get(key)
        return allowed is None or value in allowed

    def is_accelerated(self, instance_type: str) -> bool:
        sagemaker, family, _ = split_instance_type(instance_type)
        return family in (self.sagemaker_families if sagemaker else self.ec2_families)

    def environment(self, tags: Mapping[str, str | None]) -> tuple[str | None, EnvironmentRules | None]:
        """The resource's environment name (its environment tag) and that environment's rules."""
        name = tags.get(self.environment_tag)
        return name, self.environments.get(name) if name else None


def split_instance_type(value: str) -> tuple[bool, str, str | None]:
    """`[ml.]family[.size]` -> (SageMaker?, family, size or None)."""
    sagemaker = value.startswith(SAGEMAKER_PREFIX)
    family, _, size = value.removeprefix(SAGEMAKER_PREFIX).partition(".")
    return sagemaker, family, size or None


def allows(environment: EnvironmentRules, instance_type: str) -> bool:
    """True when an accelerators entry names this exact type or its family, on the same service."""
    wanted = split_instance_type(instance_type)
    for entry in environment.accelerators:
        sagemaker, family, size = split_instance_type(entry)
        if sagemaker == wanted[0] and family == wanted[1] and size in (None, wanted[2]):
            return True
    return False


def current_policy() -> Policy:
    """The policy named by the environment variable; raises PolicyUnavailable saying what to do."""
    return load_policy(os.environ.get(ENV_VAR))


@cache
def load_policy(path: str | None) -> Policy:
    if not path:
        raise PolicyUnavailable(f"{ENV_VAR} is not set: the AiFinOps policy is unknown. Run `aifinops check`, or "
                                "write it with aifinops.policies.checkov_policy.write_checkov_policy(config, path) "
                                f"and set {ENV_VAR} to that path")
    try:
        with open(path, encoding="utf-8") as file:
            return parse_policy(json.load(file))
    except (OSError, ValueError) as exc:
        raise PolicyUnavailable(f"{ENV_VAR}={path}: cannot read the AiFinOps policy: {exc}") from exc


def parse_policy(data: Any) -> Policy:
    """The policy from its JSON document; raises PolicyUnavailable on another version or a malformed one."""
    if not isinstance(data, dict) or data.get("version") != POLICY_VERSION:
        found = data.get("version") if isinstance(data, dict) else type(data).__name__
        raise PolicyUnavailable(f"policy version {found!r} is not supported (expected {POLICY_VERSION})")
    try:
        tags, families = data["tags"], data["acceleratedFamilies"]
        return Policy(
            required_tags=_strings(tags["required"]), environment_tag=str(tags["environmentKey"]),
            team_tag=str(tags["teamKey"]), project_tag=str(tags["projectKey"]), model_tag=str(tags["modelKey"]),
            allowed_tag_values={str(k): _strings(v) for k, v in tags["allowedValues"].items()},
            projects_by_team={str(k): _strings(v) for k, v in tags["projectsByTeam"].items()},
            model_values=_strings(tags["modelValues"]), model_patterns=_strings(tags["modelPatterns"]),
            geo_prefixes=_strings(tags["geoPrefixes"]),
            ec2_families=frozenset(_strings(families["ec2"])),
            sagemaker_families=frozenset(_strings(families["sagemaker"])),
            environments={str(name): EnvironmentRules(
                production=bool(env["production"]), accelerators=_strings(env["accelerators"]),
                max_training_hours=int(env["maxTrainingHours"])) for name, env in data["environments"].items()})
    except (KeyError, TypeError, AttributeError, ValueError) as exc:
        raise PolicyUnavailable(f"malformed AiFinOps policy: {type(exc).__name__}: {exc}") from exc


def _strings(value: Any) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise TypeError(f"expected a list of strings, got {value!r}")
    return tuple(value)
