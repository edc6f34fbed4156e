"""finops.yaml -> the policy of the AiFinOps checkov checks (JSON). Pure; no aws_cdk.

The checks (aifinops/policies/checkov/) run inside checkov's own virtual environment, without aifinops: this
document is their only input, named by the environment variable ENV_VAR. `aif_policy.parse_policy` reads it;
a contract test round-trips it. Tag rules come from `cost_tags`, accelerated families from the catalog.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from aifinops.catalog import accelerator_catalog, model_catalog
from aifinops.catalog.models import GEO_PREFIXES
from aifinops.config import ENVIRONMENT, MODEL, PROJECT, TEAM, FinOpsConfig
from aifinops.policies.checkov.aif_policy import ENV_VAR, POLICY_VERSION
from aifinops.policies.cost_tags import allowed_values

__all__ = ["ENV_VAR", "POLICY_VERSION", "checkov_policy", "write_checkov_policy"]


def checkov_policy(config: FinOpsConfig) -> dict[str, Any]:
    """The tag keys and closed value sets, the model id patterns, the accelerated families and, per
    environment, whether it is production, its accelerator allow-list and its training time cap."""
    required = config.tags.required
    closed = {key: list(values) for key in required
              if key != PROJECT and (values := allowed_values(key, config, {})) is not None}
    families = accelerator_catalog().families
    return {
        "version": POLICY_VERSION,
        "tags": {
            "required": list(required),
            "environmentKey": ENVIRONMENT, "teamKey": TEAM, "projectKey": PROJECT, "modelKey": MODEL,
            "allowedValues": closed,
            # a team that lists no projects takes any project value (as cost_tags.allowed_values says)
            "projectsByTeam": {team: list(projects)
                               for team in (*(t.name for t in config.teams), *config.tags.shared.get(TEAM, ()))
                               if (projects := allowed_values(PROJECT, config, {TEAM: team})) is not None},
            "modelValues": list(config.tags.model_values),
            "modelPatterns": [p for f in model_catalog().families for p in f.patterns],
            "geoPrefixes": list(GEO_PREFIXES),
        },
        "acceleratedFamilies": {"ec2": [f.name for f in families if f.ec2],
                                "sagemaker": [f.name for f in families if f.sagemaker]},
        "environments": {
            name: {"production": env.production, "accelerators": list(env.accelerators),
                   "maxTrainingHours": env.max_training_hours}
            for name, env in sorted(config.environments.items())
        },
    }


def write_checkov_policy(config: FinOpsConfig, path: str | Path) -> Path:
    """Write the policy to `path` (parents created); point ENV_VAR at it before running checkov."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(json.dumps(checkov_policy(config), indent=1, sort_keys=True) + "\n", encoding="utf-8")
    return target
