"""Service control policies per environment, from finops.yaml: `build_scps(config)`.

Each environment gets Deny statements in three sections (`build_sections`), one module per concern:
- `run`, what may run: model tiers and the model allowlist (`scp_models`), accelerator types by every door
  (`scp_accelerators`), job run-time caps and capacity commitments (`scp_runtime`);
- `tags`: mandatory, non-empty cost tags at creation (`scp_required_tags`);
- `protect`: the guardrails themselves, the exempt roles, the guard's tags and the cost tags (`scp_protection`).
Every Deny spares `organization.break_glass` (`ArnNotLike` on `aws:PrincipalARN`); the protection of what
aifinops deploys also spares `organization.deployers` (the CDK execution role of the aifinops qualifier and
`deployment_roles`), and only break-glass, `deployment_roles` and the aifinops bootstrap roles may assume those
roles or change an exempt role.
`packing` fits each section into documents of its own (`aifinops-<env>-<section>-<n>`) under
`organization.scp_limits`, and raises `ScpLimitError` when they cannot fit.

SCPs never restrict the management account or service-linked roles, and never grant anything.
Pure; no aws_cdk.
"""

from __future__ import annotations

from typing import NamedTuple

from aifinops.config import FinOpsConfig
from aifinops.config.errors import ConfigError, ConfigIssue
from aifinops.policies.packing import Limits, ScpLimitError, pack
from aifinops.policies.scp_accelerators import accelerator_statements
from aifinops.policies.scp_models import model_tier_statements
from aifinops.policies.scp_protection import (
    GUARD_WRITERS,
    bootstrap_statements,
    cost_tag_statements,
    exemption_statements,
    guard_tag_statements,
    guardrail_statements,
)
from aifinops.policies.scp_required_tags import emptied_tag_statements, required_tag_statements
from aifinops.policies.scp_runtime import commitment_statements, runtime_statements
from aifinops.policies.scp_slots import slot_problems
from aifinops.policies.scp_statement import exemptions, statement_actions, statement_condition_keys
from aifinops.policies.scp_types import ScpDocument, Statement

SECTIONS = ("run", "tags", "protect")  # the names of build_sections' sections, in its order (document names)


class Exempt(NamedTuple):
    """Who each group of statements spares (principal ARN patterns); every group includes break-glass."""

    everything: tuple[str, ...]  # break-glass: spared by every Deny
    tags_at_creation: tuple[str, ...]  # + tag_exempt_principals
    aifinops_resources: tuple[str, ...]  # + the aifinops execution role and deployment_roles
    exempt_roles_and_bootstrap: tuple[str, ...]  # + deployment_roles and every aifinops bootstrap role
    guard_tags: tuple[str, ...]  # + the guard's and the budget enforcer's roles

    def described(self) -> dict[str, list[str]]:
        """Plain-words group -> patterns, for the report (`aifinops:guardrails` metadata)."""
        return {
            "every statement": list(self.everything),
            "tags at creation": list(self.tags_at_creation),
            "changing what aifinops deploys": list(self.aifinops_resources),
            "assuming the aifinops bootstrap roles, changing exempt roles": list(self.exempt_roles_and_bootstrap),
            "writing the guard's tags": list(self.guard_tags),
        }


def exempt_principals(config: FinOpsConfig) -> Exempt:
    org = config.organization
    return Exempt(
        everything=exemptions(org.break_glass),
        tags_at_creation=exemptions(org.break_glass, org.tag_exempt_principals),
        aifinops_resources=exemptions(org.break_glass, config.deployers),
        exempt_roles_and_bootstrap=exemptions(org.break_glass, org.deployment_roles, (org.bootstrap_roles,)),
        guard_tags=exemptions(org.break_glass, GUARD_WRITERS),
    )


def stackset_roles(config: FinOpsConfig) -> tuple[str, ...]:
    """The StackSets' execution roles, when they deploy aifinops: only their service-linked creator (which SCPs do
    not restrict) may make or change them, so a role named stacksets-exec-* by anyone else is refused."""
    return tuple(p for p in config.deployers if p not in config.organization.deployers)


def build_sections(config: FinOpsConfig, environment: str) -> tuple[tuple[Statement, ...], ...]:
    """Every Deny statement of one environment, unpacked, by section (the packer keeps sections apart: what may
    run, cost tags at creation, protection), in a stable order with stable Sids."""
    env = config.environments[environment]
    exempt = exempt_principals(config)
    glass = exempt.everything
    required = config.tags.required
    return (
        (*model_tier_statements(env, glass), *accelerator_statements(environment, env, glass),
         *runtime_statements(env, glass), *commitment_statements(environment, env, glass)),
        (*required_tag_statements(required, exempt.tags_at_creation), *emptied_tag_statements(required, glass)),
        (*guardrail_statements(exempt.aifinops_resources),
         *exemption_statements(exempt.exempt_roles_and_bootstrap, also_protected=stackset_roles(config)),
         *bootstrap_statements(config.organization.cdk_qualifier, exempt.exempt_roles_and_bootstrap),
         *guard_tag_statements(exempt.guard_tags, glass), *cost_tag_statements(required, glass)),
    )


def build_statements(config: FinOpsConfig, environment: str) -> tuple[Statement, ...]:
    """Every Deny statement of one environment, unpacked, in a stable order with stable Sids."""
    return tuple(s for section in build_sections(config, environment) for s in section)


def build_scps(config: FinOpsConfig) -> dict[str, tuple[ScpDocument, ...]]:
    """Environment name -> its packed SCP documents, targeted at the environment's OUs and accounts.

    Raises `ScpLimitError` (a ValueError) naming the environment, the documents and the overflow when the
    statements cannot fit `organization.scp_limits`.
    """
    limits = config.organization.scp_limits
    slots = Limits(max_characters=limits.max_characters, fill_percent=limits.fill_percent,
                   documents=limits.max_per_target - limits.already_attached)
    out = {}
    for name, env in config.environments.items():
        sections = build_sections(config, name)
        out[name] = pack(name, [s for section in sections for s in section], slots,
                         targets=(*env.ou_ids, *env.accounts),
                         sections=[label for label, section in zip(SECTIONS, sections, strict=True) for _ in section])
    return out


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
    the configured limits, or an account's guardrails and budget-action SCPs exceed its slots: bad input,
    reported before anything is synthesized, by the same computation the stacks run (`scp_slots`)."""
    try:
        scps = build_scps(config)
    except ScpLimitError as exc:
        raise ConfigError([ConfigIssue(file, 0, "organization.scp_limits", str(exc))]) from None
    problems = slot_problems(config, scps)
    if problems:
        raise ConfigError([ConfigIssue(file, 0, "organization.scp_limits", message) for _, message in problems])
