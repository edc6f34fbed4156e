"""Cross-field rules of finops.yaml: references resolve, ids are unique, instance types are allowed where
they run, budget names do not collide. Each problem is reported at its own field (path, message)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from aifinops.catalog import model_catalog
from aifinops.catalog.tag_policy_types import tag_policy_types
from aifinops.config import ENVIRONMENT, TEAM, Canary, FinOpsConfig  # imported lazily by FinOpsConfig itself
from aifinops.config_source import Loc
from aifinops.config_workloads import GpuNotebookWorkload, GpuTrainingQueueWorkload
from aifinops.naming import BUDGET_PREFIX


def cross_check(cfg: FinOpsConfig) -> Iterator[tuple[Loc, str]]:
    yield from _check_tags(cfg)
    yield from _check_tag_enforcement(cfg)
    yield from _check_environments(cfg)
    yield from _check_teams(cfg)
    yield from _check_budgets(cfg)
    yield from _check_workloads(cfg)


def _check_tag_enforcement(cfg: FinOpsConfig) -> Iterator[tuple[Loc, str]]:
    enforcement = cfg.tags.enforcement
    for i, name in enumerate(enforcement.environments):
        if name not in cfg.environments:
            yield ("tags", "enforcement", "environments", i), (
                f"unknown environment '{name}'; environments are {_names(cfg.environments)}")
    enforceable = tag_policy_types().enforced_for
    for i, kind in enumerate(enforcement.types):
        if kind not in enforceable:
            yield ("tags", "enforcement", "types", i), (
                f"'{kind}': tag policy enforcement does not work for it; allowed: {', '.join(enforceable)}")
    yield from _duplicates(enforcement.types, ("tags", "enforcement", "types"), "type")
    yield from _duplicates(enforcement.environments, ("tags", "enforcement", "environments"), "environment")


def _check_tags(cfg: FinOpsConfig) -> Iterator[tuple[Loc, str]]:
    required = cfg.tags.required
    for key in (TEAM, ENVIRONMENT):
        if key not in required:
            yield ("tags", "required"), f"must include '{key}' (budgets filter on team, guards read environment)"
    yield from _duplicates(required, ("tags", "required"), "tag key")
    yield from _duplicates(cfg.tags.task_types, ("tags", "task_types"), "task type")


def _check_environments(cfg: FinOpsConfig) -> Iterator[tuple[Loc, str]]:
    owner: dict[str, str] = {}
    for name, env in cfg.environments.items():
        if not env.ou_ids and not env.accounts:
            yield ("environments", name), "needs ou_ids or accounts, so guardrails know where it applies"
        canary = env.canary or Canary()
        for path, ids in ((("ou_ids",), env.ou_ids), (("accounts",), env.accounts),
                          (("canary", "ou_ids"), canary.ou_ids), (("canary", "accounts"), canary.accounts)):
            for i, ident in enumerate(ids):
                if ident in owner:
                    yield ("environments", name, *path, i), f"'{ident}' is already in {owner[ident]}"
                owner.setdefault(ident, f"environment '{name}'" + (" (canary)" if path[0] == "canary" else ""))
            yield from _duplicates(ids, ("environments", name, *path), "id")
        if env.canary is not None and not canary.ou_ids and not canary.accounts:
            yield ("environments", name, "canary"), "needs ou_ids or accounts (or remove canary)"
        if env.network and len(env.network.private_subnet_ids) != len(env.network.availability_zones):
            yield ("environments", name, "network", "private_subnet_ids"), (
                f"{len(env.network.private_subnet_ids)} subnets for {len(env.network.availability_zones)} "
                "availability zones; give one private subnet per zone, in the same order")
        policy_account = cfg.organization.policy_account
        if policy_account and policy_account in env.accounts:
            yield ("organization", "policy_account"), (
                f"'{policy_account}' is a workload account of environment '{name}': whoever administers it could "
                "edit the guardrails; delegate to an account outside every environment")
        if cfg.organization.management_account in env.accounts:
            yield ("environments", name, "accounts", env.accounts.index(cfg.organization.management_account)), (
                "the management account cannot be a workload environment: SCPs never apply to it")


def _check_teams(cfg: FinOpsConfig) -> Iterator[tuple[Loc, str]]:
    yield from _duplicates([t.name for t in cfg.teams], ("teams",), "team name", suffix="name")
    for i, team in enumerate(cfg.teams):
        budgeted = sum(v for v in team.projects.values() if v is not None)
        if budgeted > team.monthly_budget_usd:
            yield ("teams", i, "projects"), (
                f"project budgets add up to {budgeted:g} USD, above the team's monthly_budget_usd "
                f"{team.monthly_budget_usd:g}")
        yield from _duplicates(team.owners, ("teams", i, "owners"), "owner")


def _check_budgets(cfg: FinOpsConfig) -> Iterator[tuple[Loc, str]]:
    seen: dict[str, str] = {}
    for i, team in enumerate(cfg.teams):
        candidates: list[tuple[Loc, str, str]] = [(("teams", i, "name"), f"{BUDGET_PREFIX}{team.name}",
                                                   f"team {team.name}")]
        candidates += [(("teams", i, "projects", p), f"{BUDGET_PREFIX}{team.name}-{p}", f"project {team.name}/{p}")
                       for p, amount in team.projects.items() if amount is not None]
        for loc, name, owner in candidates:
            if name in seen and seen[name] != owner:
                yield loc, f"budget name '{name}' is also the budget of {seen[name]}; rename the team or project"
            seen.setdefault(name, owner)
    settings = cfg.budgets
    if settings.org_ai_monthly_usd is not None and f"{BUDGET_PREFIX}ai-total" in seen:
        yield ("budgets", "org_ai_monthly_usd"), f"budget name '{BUDGET_PREFIX}ai-total' is taken by a team budget"


def _check_workloads(cfg: FinOpsConfig) -> Iterator[tuple[Loc, str]]:
    yield from _duplicates([w.name for w in cfg.workloads], ("workloads",), "workload name", suffix="name")
    teams = {t.name: t for t in cfg.teams}
    catalog = model_catalog()
    for i, w in enumerate(cfg.workloads):
        loc: Loc = ("workloads", i)
        team = teams.get(w.team)
        if team is None:
            yield (*loc, "team"), f"unknown team '{w.team}'; teams are {_names(teams)}"
        elif team.projects and w.project not in team.projects:
            yield (*loc, "project"), f"'{w.project}' is not a project of team '{w.team}'; its projects are " \
                f"{_names(team.projects)}"
        if w.task_type not in cfg.tags.task_types:
            yield (*loc, "task_type"), f"'{w.task_type}' is not an allowed task type; allowed: " \
                f"{', '.join(cfg.tags.task_types)}"
        env = cfg.environments.get(w.environment)
        if env is None:
            yield (*loc, "environment"), f"unknown environment '{w.environment}'; environments are " \
                f"{_names(cfg.environments)}"
            continue
        if not hasattr(w, "models") and catalog.family_of(w.model_tag) is None \
                and w.model_tag not in cfg.tags.model_values:
            yield (*loc, "model"), f"'{w.model_tag}' is neither a catalog model id nor one of tags.model_values " \
                f"({', '.join(cfg.tags.model_values)})"
        for j, model in enumerate(getattr(w, "models", ())):
            tier = catalog.tier_of(model)
            if tier is not None and catalog.tier_rank(tier) > catalog.tier_rank(env.max_model_tier):
                yield (*loc, "models", j), (
                    f"'{model}' is {tier} tier, above the {env.max_model_tier} maximum of environment "
                    f"'{w.environment}'")
        if isinstance(w, GpuNotebookWorkload) and w.direct_internet and env.production \
                and not w.allow_internet_in_production:
            yield (*loc, "direct_internet"), ("a notebook with direct internet in production must be chosen "
                                              "explicitly: set allow_internet_in_production: true")
        if isinstance(w, GpuTrainingQueueWorkload) and w.job_timeout_hours \
                and w.job_timeout_hours > env.max_training_hours:
            yield (*loc, "job_timeout_hours"), (
                f"{w.job_timeout_hours} is above the {env.max_training_hours} max_training_hours of environment "
                f"'{w.environment}'")
        if _needs_network(w) and env.network is None:
            yield (*loc, "kind"), (f"a {w.kind} workload runs in a VPC: add environments.{w.environment}.network "
                                   "(vpc_id, availability_zones, private_subnet_ids)")
        for instance_type, field in _instance_types(w):
            if not env.allows_instance_type(instance_type):
                yield (*loc, field), (
                    f"'{instance_type}' is not allowed in environment '{w.environment}'; allowed: "
                    f"{', '.join(env.accelerators) or 'none'}")


def _needs_network(w: Any) -> bool:
    return isinstance(w, GpuTrainingQueueWorkload) or (isinstance(w, GpuNotebookWorkload) and not w.direct_internet)


def _instance_types(w: Any) -> Iterator[tuple[str, str]]:
    value = getattr(w, "instance_type", None)
    if isinstance(value, str):
        yield value, "instance_type"
    for i, value in enumerate(getattr(w, "instance_types", ()) or ()):
        yield value, f"instance_types[{i}]"


def _duplicates(values: Any, loc: Loc, what: str, suffix: str | None = None) -> Iterator[tuple[Loc, str]]:
    first: dict[Any, int] = {}
    for i, value in enumerate(values):
        if value in first:
            at: Loc = (*loc, i, suffix) if suffix else (*loc, i)
            yield at, f"duplicate {what} '{value}' (also at index {first[value]})"
        first.setdefault(value, i)


def _names(values: Mapping[str, Any]) -> str:
    return ", ".join(values) or "none"
