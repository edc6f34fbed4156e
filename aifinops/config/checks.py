"""Cross-field rules of finops.yaml: references resolve, ids and names are unique, networks sit in the regions
that import them, budget names do not collide. Each problem is reported at its own field (path, message).
What the constructs check about the props built from a coherent config (instance types allowed where they
run, model tiers, job timeouts...) is theirs: `aifinops.synth_checks` runs their rules."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel

from aifinops.catalog import model_catalog
from aifinops.catalog.tag_policy_types import tag_policy_types
from aifinops.config.keys import DEFAULT_REQUIRED_TAGS, ENVIRONMENT, TEAM
from aifinops.config.source import Loc
from aifinops.config.workloads import BedrockAccessWorkload, GpuNotebookWorkload, GpuTrainingQueueWorkload
from aifinops.naming import BUDGET_PREFIX, org_guardrails_stack_name, workload_stack_name

# AWS::Bedrock::ApplicationInferenceProfile's tag values (other resource types take any Unicode letter).
_BEDROCK_TAG_VALUE = re.compile(r"[a-zA-Z0-9\s._:/=+@-]*")

if TYPE_CHECKING:  # the schema runs these checks: its module imports this one, not the other way round
    from aifinops.config.models import FinOpsConfig


def cross_check(cfg: FinOpsConfig) -> Iterator[tuple[Loc, str]]:
    # A region is part of stack names (aifinops-guard-<account>-<region>): twice would be one stack twice.
    yield from _duplicates(cfg.organization.regions, ("organization", "regions"), "region")
    yield from _check_tags(cfg)
    yield from _check_tag_enforcement(cfg)
    yield from _check_environments(cfg)
    yield from _check_networks(cfg)
    yield from _check_teams(cfg)
    yield from _check_budgets(cfg)
    yield from _check_workloads(cfg)
    yield from _check_stack_names(cfg)
    yield from _check_construct_ids(cfg)
    yield from _check_outcomes(cfg)
    yield from _check_rollout(cfg)
    yield from _check_token_markers(cfg, ())


# The CDK reads "${Token[...]}" and "#{Token[...]}" in a string it resolves as a reference to one of its tokens:
# `fixed_capacity_reason: "... ${Token[x]} ..."` stops synthesis ("Unrecognized token key: x"). Which strings reach
# a construct prop changes with the constructs, so no string of finops.yaml may hold either marker.
_TOKEN_MARKERS = ("${Token[", "#{Token[")


def _check_token_markers(value: Any, loc: Loc) -> Iterator[tuple[Loc, str]]:
    if isinstance(value, str):
        if any(marker in value for marker in _TOKEN_MARKERS):
            yield loc, "must not contain '${Token[' or '#{Token[': the CDK reads them as references to its tokens"
    elif isinstance(value, BaseModel):
        for name in type(value).model_fields:
            yield from _check_token_markers(getattr(value, name), (*loc, name))
    elif isinstance(value, Mapping):
        for key, item in value.items():
            yield from _check_token_markers(key, (*loc, key))  # a key's problem is reported at its entry
            yield from _check_token_markers(item, (*loc, key))
    elif isinstance(value, (list, tuple)):
        for i, item in enumerate(value):
            yield from _check_token_markers(item, (*loc, i))


def _check_rollout(cfg: FinOpsConfig) -> Iterator[tuple[Loc, str]]:
    if cfg.rollout != "stacksets":
        return
    if cfg.organization.org_id is None:
        yield ("organization", "org_id"), ("rollout stacksets needs the organization's id (o-...): the StackSets' "
                                           "assets are readable by the organization's accounts only")
    for name, env in cfg.environments.items():
        if not env.ou_ids:  # service-managed StackSets deploy to OUs; listed accounts only add to them
            yield ("environments", name, "ou_ids"), ("rollout stacksets deploys the guard to the environment's OUs: "
                                                     "give its ou_ids, or set organization.rollout: stacks")


def _check_outcomes(cfg: FinOpsConfig) -> Iterator[tuple[Loc, str]]:
    teams = {t.name: t for t in cfg.teams}
    seen: set[tuple[str, str]] = set()
    for i, outcome in enumerate(cfg.inform.outcomes):
        loc = ("inform", "outcomes", i)
        team = teams.get(outcome.team)
        if team is None:
            yield (*loc, "team"), f"unknown team '{outcome.team}'; teams are {', '.join(sorted(teams))}"
        elif outcome.project not in team.projects:
            yield (*loc, "project"), (f"team '{team.name}' has no project '{outcome.project}'; its projects are "
                                      f"{', '.join(sorted(team.projects)) or '(none)'}")
        if (outcome.team, outcome.project) in seen:
            yield loc, f"a second outcome of {outcome.team}/{outcome.project}: one outcome a project"
        seen.add((outcome.team, outcome.project))


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
    yield from _case_duplicates(required)
    if cfg.workloads:  # each workload's stack refuses, at synthesis, a resource without every required key
        for i, key in enumerate(required):
            if key not in DEFAULT_REQUIRED_TAGS:
                yield ("tags", "required", i), (
                    f"'{key}': the workloads of finops.yaml carry the cost tags {', '.join(DEFAULT_REQUIRED_TAGS)} "
                    "only (exact case), so synthesis would refuse each of them for lacking it; require keys among "
                    "those, or build workloads with CostTags(extra=...) in your own CDK app")
    yield from _duplicates(cfg.tags.task_types, ("tags", "task_types"), "task type")
    for key, values in cfg.tags.shared.items():
        if key == ENVIRONMENT:
            yield ("tags", "shared", key), ("the environment cannot be shared: guardrails, the guard and the "
                                            "accelerator checks read it; tag shared infrastructure with its "
                                            "environment")
        elif key not in required:
            yield ("tags", "shared", key), f"'{key}' is not a required tag key ({', '.join(required)})"
        yield from _duplicates(values, ("tags", "shared", key), "value")


def _case_duplicates(required: tuple[str, ...]) -> Iterator[tuple[Loc, str]]:
    """Tag policies key each tag by its lower-case name: `Team` and `team` would be one policy entry."""
    first: dict[str, int] = {}
    for i, key in enumerate(required):
        j = first.setdefault(key.lower(), i)
        if j != i and required[j] != key:
            yield ("tags", "required", i), (f"tag key '{key}' differs from '{required[j]}' (index {j}) only by case: "
                                            "tag policies key tags without case, so the two would be one")


def _check_environments(cfg: FinOpsConfig) -> Iterator[tuple[Loc, str]]:
    owner: dict[str, str] = {}
    for name, env in cfg.environments.items():
        if not env.ou_ids and not env.accounts:
            yield ("environments", name), "needs ou_ids or accounts, so guardrails know where it applies"
        canary_ous, canary_accounts = (env.canary.ou_ids, env.canary.accounts) if env.canary else ((), ())
        for path, ids in ((("ou_ids",), env.ou_ids), (("accounts",), env.accounts),
                          (("canary", "ou_ids"), canary_ous), (("canary", "accounts"), canary_accounts)):
            for i, ident in enumerate(ids):
                if ident in owner:
                    yield ("environments", name, *path, i), f"'{ident}' is already in {owner[ident]}"
                owner.setdefault(ident, f"environment '{name}'" + (" (canary)" if path[0] == "canary" else ""))
            yield from _duplicates(ids, ("environments", name, *path), "id")
        if env.canary is not None and not canary_ous and not canary_accounts:
            yield ("environments", name, "canary"), "needs ou_ids or accounts (or remove canary)"
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
        # Each becomes a target of a budget action: twice would attach one policy to it twice.
        yield from _duplicates(team.accounts, ("teams", i, "accounts"), "account")
        if team.budget_action is not None:
            yield from _duplicates(team.budget_action.roles, ("teams", i, "budget_action", "roles"), "role")


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
        yield from _duplicates(getattr(w, "roles", ()), (*loc, "roles"), "role")  # the invoke policy's roles
        team = teams.get(w.team)
        if team is None:
            yield (*loc, "team"), f"unknown team '{w.team}'; teams are {_names(teams)}"
        elif team.projects and w.project not in team.projects:
            yield (*loc, "project"), f"'{w.project}' is not a project of team '{w.team}'; its projects are " \
                f"{_names(team.projects)}"
        if w.task_type not in cfg.tags.task_types:
            yield (*loc, "task_type"), f"'{w.task_type}' is not an allowed task type; allowed: " \
                f"{', '.join(cfg.tags.task_types)}"
        elif isinstance(w, BedrockAccessWorkload) and not _BEDROCK_TAG_VALUE.fullmatch(w.task_type):
            yield (*loc, "task_type"), (
                f"'{w.task_type}': the task-type tag of a bedrock_access workload's inference profiles must be ASCII "
                "letters, digits, spaces and _ . : / = + @ - (Bedrock's tag pattern, checked at synthesis)")
        env = cfg.environments.get(w.environment)
        if env is None:
            yield (*loc, "environment"), f"unknown environment '{w.environment}'; environments are " \
                f"{_names(cfg.environments)}"
            continue
        if not hasattr(w, "models") and catalog.family_of(w.model_tag) is None \
                and w.model_tag not in cfg.tags.model_values:
            yield (*loc, "model"), f"'{w.model_tag}' is neither a catalog model id nor one of tags.model_values " \
                f"({', '.join(cfg.tags.model_values)})"
        # WorkloadStack imports the network for these: without one it cannot build them.
        if _needs_network(w) and env.network is None:
            yield (*loc, "kind"), (f"a {w.kind} workload runs in a VPC: add environments.{w.environment}.network "
                                   "(vpc_id, availability_zones, private_subnet_ids)")


def _check_stack_names(cfg: FinOpsConfig) -> Iterator[tuple[Loc, str]]:
    """Stack names are construct ids of the app: two alike stop synthesis. They join names with '-', so
    environment 'dev-x' with team 'search' and environment 'dev' with team 'x-search' would meet."""
    seen: dict[str, str] = {}
    for name, env in cfg.environments.items():
        for canary in (False, True) if env.canary else (False,):
            stack = org_guardrails_stack_name(name, canary)
            owner = f"environment '{name}'" + (" (canary)" if canary else "")
            if seen.setdefault(stack, owner) != owner:
                yield ("environments", name), f"its guardrail stack '{stack}' is also the stack of {seen[stack]}; " \
                    "rename the environment"
    for i, w in enumerate(cfg.workloads):
        stack = workload_stack_name(w.environment, w.team)
        owner = f"environment '{w.environment}' and team '{w.team}'"
        if seen.setdefault(stack, owner) != owner:
            yield ("workloads", i, "team"), f"its workload stack '{stack}' is also the stack of {seen[stack]}; " \
                "rename the environment or the team"


def _check_construct_ids(cfg: FinOpsConfig) -> Iterator[tuple[Loc, str]]:
    """In a workload stack (one environment and team) each workload is a construct with its name as id, and
    WorkloadStack imports each role of a bedrock_access workload as `<name>-role<index>`: workload 'x' with
    roles and workload 'x-role0' would be two constructs of one id, which stops synthesis."""
    seen: dict[tuple[str, str, str], str] = {}
    for i, w in enumerate(cfg.workloads):
        ids: list[tuple[Loc, str, str]] = [(("workloads", i, "name"), w.name, f"workload '{w.name}'")]
        ids += [(("workloads", i, "roles", r), f"{w.name}-role{r}", f"role {r} of workload '{w.name}'")
                for r in range(len(getattr(w, "roles", ())))]
        for loc, ident, owner in ids:
            key = (w.environment, w.team, ident)
            if key in seen:
                yield loc, (f"construct id '{ident}' of {owner} is also the id of {seen[key]} in the workload stack "
                            f"of team '{w.team}' in environment '{w.environment}' (a bedrock_access workload's "
                            "roles are imported as <name>-role<index>); rename one of the workloads")
            seen.setdefault(key, owner)


def _needs_network(w: Any) -> bool:
    return isinstance(w, GpuTrainingQueueWorkload) or (isinstance(w, GpuNotebookWorkload) and not w.direct_internet)


def _check_networks(cfg: FinOpsConfig) -> Iterator[tuple[Loc, str]]:
    """A network is one VPC: one region, a subnet per zone. WorkloadStack imports it in every region of
    organization.regions where the environment has a workload that runs in a VPC."""
    regions = cfg.organization.regions
    for name, env in cfg.environments.items():
        network = env.network
        if network is None:
            continue
        at: Loc = ("environments", name, "network")
        zones = network.availability_zones
        if len(network.private_subnet_ids) != len(zones):
            yield (*at, "private_subnet_ids"), (
                f"{len(network.private_subnet_ids)} subnets for {len(zones)} availability zones; give one private "
                "subnet per zone, in the same order")
        yield from _duplicates(zones, (*at, "availability_zones"), "availability zone")
        yield from _duplicates(network.private_subnet_ids, (*at, "private_subnet_ids"), "subnet")
        home = _region_of_zone(zones[0])
        for i, zone in enumerate(zones):
            region = _region_of_zone(zone)
            if region not in regions:
                yield (*at, "availability_zones", i), (
                    f"'{zone}' is a zone of {region}, not of organization.regions ({', '.join(regions)}): a zone is "
                    f"its region's name and one letter, e.g. {regions[0]}a")
            elif region != home and home in regions:
                yield (*at, "availability_zones", i), (
                    f"'{zone}' is a zone of {region}, but availability_zones[0] '{zones[0]}' is one of {home}: a VPC "
                    "lives in one region")
        distinct = list(dict.fromkeys(regions))
        for i, w in enumerate(cfg.workloads):
            if w.environment == name and _needs_network(w) and len(distinct) > 1:
                yield ("workloads", i, "kind"), (
                    f"a {w.kind} workload runs in the network of environment '{name}' (a VPC of {home}), but the "
                    f"workload stacks are built in every region of organization.regions ({', '.join(distinct)})")


def _region_of_zone(zone: str) -> str:
    """`us-east-1a` -> `us-east-1`: an availability zone name is its region's name and one letter."""
    return zone[:-1]


def _duplicates(values: Any, loc: Loc, what: str, suffix: str | None = None) -> Iterator[tuple[Loc, str]]:
    first: dict[Any, int] = {}
    for i, value in enumerate(values):
        if value in first:
            at: Loc = (*loc, i, suffix) if suffix else (*loc, i)
            yield at, f"duplicate {what} '{value}' (also at index {first[value]})"
        first.setdefault(value, i)


def _names(values: Mapping[str, Any]) -> str:
    return ", ".join(values) or "none"
