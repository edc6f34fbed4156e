"""Service control policies per environment, from finops.yaml: `build_scps(config)`.

Each environment gets Deny statements, in this order (one module each):
1. model tiers (`scp_models`): no Bedrock model above `max_model_tier`, by bedrock or bedrock-mantle;
2. mandatory cost tags at creation (`scp_required_tags`);
3. accelerator types (`scp_accelerators`): only the environment's GPU / Neuron families and types;
4. job run-time caps and 5. capacity commitments (`scp_runtime`);
6. guardrail and cost-tag protection (`scp_protection`).
Every Deny spares `organization.break_glass` (`ArnNotLike` on `aws:PrincipalARN`); the guardrail
protection also spares `organization.deployment_roles`. `packing` fits the statements into documents named
`aifinops-<env>-<n>` under `organization.scp_limits`, and raises `ScpLimitError` when they cannot fit.

SCPs never restrict the management account or service-linked roles, and never grant anything.
Pure; no aws_cdk.
"""

from __future__ import annotations

from typing import NamedTuple

from aifinops.config import FinOpsConfig
from aifinops.config_errors import ConfigError, ConfigIssue
from aifinops.policies.packing import Limits, ScpLimitError, pack
from aifinops.policies.scp_accelerators import accelerator_statements
from aifinops.policies.scp_models import model_tier_statements
from aifinops.policies.scp_protection import cost_tag_statements, guardrail_statements
from aifinops.policies.scp_required_tags import required_tag_statements
from aifinops.policies.scp_runtime import commitment_statements, runtime_statements
from aifinops.policies.scp_statement import exemptions, statement_actions, statement_condition_keys
from aifinops.policies.scp_types import ScpDocument, Statement


def build_statements(config: FinOpsConfig, environment: str) -> tuple[Statement, ...]:
    """Every Deny statement of one environment, unpacked, in a stable order with stable Sids."""
    env = config.environments[environment]
    org = config.organization
    break_glass = exemptions(org.break_glass)
    deployers = exemptions(org.break_glass, org.deployment_roles)
    required = config.tags.required
    return (
        *model_tier_statements(env, break_glass),
        *required_tag_statements(required, exemptions(org.break_glass, org.tag_exempt_principals)),
        *accelerator_statements(environment, env, break_glass),
        *runtime_statements(env, break_glass),
        *commitment_statements(environment, env, break_glass),
        *guardrail_statements(deployers),
        *cost_tag_statements(required, break_glass),
    )


def build_scps(config: FinOpsConfig) -> dict[str, tuple[ScpDocument, ...]]:
    """Environment name -> its packed SCP documents, targeted at the environment's OUs and accounts.

    Raises `ScpLimitError` (a ValueError) naming the environment, the documents and the overflow when the
    statements cannot fit `organization.scp_limits`.
    """
    limits = config.organization.scp_limits
    slots = Limits(max_characters=limits.max_characters,
                   documents=limits.max_per_target - limits.already_attached)
    return {
        name: pack(name, build_statements(config, name), slots, targets=(*env.ou_ids, *env.accounts))
        for name, env in config.environments.items()
    }


class IamNames(NamedTuple):
    """Every IAM action and condition key the SCPs of a config use, as written in the policies."""

    actions: frozenset[str]
    condition_keys: frozenset[str]

    def checker_input(self) -> dict[str, list[str]]:
        """The stdin document of `tests/iam/check_iam_names.mjs`: sorted, so the output is stable."""
        return {"actions": sorted(self.actions), "conditionKeys": sorted(self.condition_keys)}


def validation_inputs(config: FinOpsConfig) -> IamNames:
    """The actions and condition keys used across all environments' statements, for the IAM-data check.

    Read from the unpacked statements, so it works even when the documents exceed the configured limits
    (packing and splitting never add or rename an action or a key).
    """
    statements = [s for name in config.environments for s in build_statements(config, name)]
    return IamNames(
        actions=frozenset(a for s in statements for a in statement_actions(s)),
        condition_keys=frozenset(k for s in statements for k in statement_condition_keys(s)),
    )


__all__ = ["IamNames", "ScpLimitError", "build_scps", "build_statements", "validation_inputs"]


def check_scp_limits(config: FinOpsConfig, file: str = "<config>") -> None:
    """Raise ConfigError (organization.scp_limits) when an environment's guardrails cannot be packed into
    the configured limits: bad input, reported before anything is synthesized."""
    try:
        build_scps(config)
    except ScpLimitError as exc:
        raise ConfigError([ConfigIssue(file, 0, "organization.scp_limits", str(exc))]) from None
