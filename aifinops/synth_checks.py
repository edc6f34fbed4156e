"""validate = synth: the prop rules the constructs and stacks apply at synthesis, applied by `aifinops validate`
to the props the stacks (`aifinops.infra`) derive from finops.yaml.

Each rule is the construct's own function, called, not copied (the `*_rules` modules of `aifinops.constructs`,
which load without aws_cdk); each problem is reported at the finops.yaml field its prop comes from, with the
construct's code and message. `parse()` runs these once the schema and the config's own cross-checks pass:
the props exist only for a config whose references resolve. tests/test_validate_equals_synth.py proves every
construct code reachable from a file this way, or names why it is not.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping, Sequence
from functools import cache
from importlib.resources import files
from typing import Any

from aifinops.config import (
    BedrockAccessWorkload,
    Environment,
    FinOpsConfig,
    GpuInferenceEndpointWorkload,
    GpuNotebookWorkload,
    GpuTrainingQueueWorkload,
    Team,
)
from aifinops.config.source import Loc
from aifinops.constructs import bedrock_model_rules, gpu_endpoint_rules, gpu_notebook_rules, gpu_training_rules
from aifinops.constructs.errors import PropProblem
from aifinops.constructs.guardrail_rules import (
    anomaly_problems,
    cost_allocation_tag_problems,
    enforcer_access_problems,
    enforcer_problems,
    guard_problems,
)
from aifinops.constructs.team_budget_rules import (
    MAX_EMAIL_SUBSCRIBERS,
    ORG_BUDGET_NAME,
    BudgetStop,
    BudgetThresholds,
    budget_name,
    budget_problems,
    org_budget_problems,
    plan_notifications,
    plan_org_notifications,
    scp_slot_problems,
    stop_problems,
)
from aifinops.naming import CANARY, NAME_PREFIX, bedrock_profile_name
from aifinops.policies.budget_policy import enforcer_policy_json
from aifinops.policies.guard_policy import guard_policy_json
from aifinops.policies.scp import ScpLimitError, build_scps
from aifinops.policies.scp_types import ScpDocument
from aifinops.policies.tag_policy import tag_policy_name

# prop -> where in finops.yaml it comes from; a prop missing here (set by the stack, not the file) is
# reported at the entry itself (the workload, the team).
Fields = Mapping[str, Loc]


def synth_checks(cfg: FinOpsConfig) -> Iterator[tuple[Loc, str]]:
    for index, workload in enumerate(cfg.workloads):
        yield from _workload(cfg, ("workloads", index), workload)
        yield from _resource_types_in_regions(cfg, ("workloads", index), workload)
    yield from _profile_names(cfg)
    yield from _team_budgets(cfg)
    yield from _guardrails(cfg)


def _report(problems: Sequence[PropProblem], at: Loc, fields: Fields) -> Iterator[tuple[Loc, str]]:
    """Each problem at its field; a problem of a list prop at its item."""
    for problem in problems:
        where: Loc = (*at, *fields[problem.prop]) if problem.prop in fields else at
        yield (where if problem.index is None else (*where, problem.index)), problem.message


# --- WorkloadStack: one construct a workload --------------------------------------------------------------------

def _workload(cfg: FinOpsConfig, at: Loc, w: Any) -> Iterator[tuple[Loc, str]]:
    env = cfg.environments[w.environment]
    if isinstance(w, GpuInferenceEndpointWorkload):
        endpoint = _endpoint_props(w, env)
        fixed = gpu_endpoint_rules.unacknowledged_fixed_fleet(endpoint)
        yield from _report([*gpu_endpoint_rules.check_props(endpoint, env), *([fixed] if fixed else [])], at, {
            p: (p,) for p in ("instance_type", "image_uri", "model_data_url", "min_instances", "max_instances",
                              "idle_mode", "fixed_capacity_reason")})
    elif isinstance(w, GpuTrainingQueueWorkload):
        yield from _report(gpu_training_rules.check_props(_queue_props(w, env), env), at, {
            **{p: (p,) for p in ("instance_types", "image_uri", "max_vcpus", "on_demand_max_vcpus", "job_vcpus",
                                 "job_gpus", "job_memory_mib", "retry_attempts")},
            "job_timeout": ("job_timeout_hours",) if w.job_timeout_hours is not None else
            ("environments", w.environment, "max_training_hours")})
    elif isinstance(w, GpuNotebookWorkload):
        props = gpu_notebook_rules.NotebookProps(
            instance_type=w.instance_type, idle_minutes=w.idle_minutes, direct_internet=w.direct_internet,
            allow_internet_in_production=w.allow_internet_in_production,
            has_vpc=not w.direct_internet,  # the environment's network (config.checks: it must exist)
            volume_gib=w.volume_gib)
        yield from _report(gpu_notebook_rules.check_props(props, env), at, {
            p: (p,) for p in ("instance_type", "idle_minutes", "volume_gib", "direct_internet")})
        if w.direct_internet:  # the security checks run at synthesis (aifinops.infra.attach_security_checks)
            yield (*at, "direct_internet"), (
                "a notebook with direct internet access fails synthesis: cdk-nag AwsSolutions-SM1 (notebook outside "
                "a VPC) and AwsSolutions-SM3 (direct internet access) are unacknowledged errors; use the "
                "environment's network (direct_internet: false, the default), or build the notebook in your own CDK "
                "app (GpuNotebook(direct_internet=True)) and acknowledge both findings there with their reason")
    elif isinstance(w, BedrockAccessWorkload):
        for region in cfg.organization.regions:  # one stack a region; the default routing is 'geo'
            problems = bedrock_model_rules.check_props(w.models, env.max_model_tier, "geo", region)
            yield from _report(problems, at, {"models": ("models",)})


def _profile_names(cfg: FinOpsConfig) -> Iterator[tuple[Loc, str]]:
    """An application inference profile's name is unique in its account and region, and the workload stacks of
    one environment deploy to the same accounts: two profiles of one name there fail at deployment. The name joins
    team, project, environment and model with '-', so team 'a' with project 'b-c' meets team 'a-b' with project
    'c', and two bedrock_access workloads of one team and project meet on a model both list."""
    seen: dict[tuple[str, str], tuple[str, str]] = {}  # (environment, profile name) -> (workload, model id)
    for i, w in enumerate(cfg.workloads):
        if not isinstance(w, BedrockAccessWorkload):
            continue
        for m, model_id in enumerate(w.models):
            name = bedrock_profile_name(w.team, w.project, w.environment, model_id)
            first = seen.setdefault((w.environment, name), (w.name, model_id))
            if first != (w.name, model_id):  # the same model twice in one workload is AIF_MODEL_DUPLICATE
                other = next(x for x in cfg.workloads if x.name == first[0])
                yield ("workloads", i, "models", m), (
                    f"Bedrock inference profile name '{name}' is also that of workload '{other.name}' "
                    f"({other.team}/{other.project}, {first[1]}) in environment '{w.environment}': names are unique "
                    "per account and region, so deployment would fail; list a model once per team and project, or "
                    "rename the team or project")


def organization_policy_names(cfg: FinOpsConfig,
                               scps: Mapping[str, Sequence[ScpDocument]]) -> Iterator[tuple[str, bool, str]]:
    """(environment, canary, policy name) of every Organizations policy, as `org_policies.all_policies` names them
    (that builds the SCPs once per environment: too slow for many environments; tests/test_config.py proves the
    two equal)."""
    for name, env in cfg.environments.items():
        prefix = f"{NAME_PREFIX}-{name}-"
        for canary in (False, True) if env.canary else (False,):
            for document in scps.get(name, ()):
                yield name, canary, (f"{prefix}{CANARY}-{document.name.removeprefix(prefix)}" if canary
                                     else document.name)
            yield name, canary, tag_policy_name(name) + (f"-{CANARY}" if canary else "")


def _policy_names(cfg: FinOpsConfig, scps: Mapping[str, Sequence[ScpDocument]]) -> Iterator[tuple[Loc, str]]:
    """Organizations policy names are unique in the organization (CreatePolicy: DuplicatePolicyException), and
    every environment's SCPs and tag policy are named aifinops-<environment>-<section>-<n>, -<n> when densely
    packed, -canary-... for its canary: environment 'dev' and environment 'dev-run' can meet."""
    seen: dict[str, str] = {}
    reported: set[tuple[str, str]] = set()
    for environment, canary, name in organization_policy_names(cfg, scps):
        owner = f"environment '{environment}'" + (" (canary)" if canary else "")
        if name in seen and seen[name] != owner and (owner, seen[name]) not in reported:
            reported.add((owner, seen[name]))
            yield ("environments", environment), (
                f"its Organizations policy '{name}' is also a policy of {seen[name]}: policy names are unique in an "
                "organization, so deployment would fail; rename the environment")
        seen.setdefault(name, owner)


# --- CloudFormation's resource types per region: synthesis validates every template against them -------------

def _resource_types(cfg: FinOpsConfig, w: Any) -> tuple[str, ...]:
    """The resource types a workload's construct creates that some regions lack (IAM, Lambda, KMS, CloudWatch
    and the like exist in all of them)."""
    if isinstance(w, BedrockAccessWorkload):
        return ("AWS::Bedrock::ApplicationInferenceProfile",)
    if isinstance(w, GpuInferenceEndpointWorkload):
        env = cfg.environments[w.environment]
        mode = w.idle_mode if w.idle_mode is not None else gpu_endpoint_rules.default_idle_mode(env)
        return ("AWS::SageMaker::Model", "AWS::SageMaker::EndpointConfig", "AWS::SageMaker::Endpoint",
                *(("AWS::SageMaker::InferenceComponent",) if mode == "scale_to_zero" else ()))
    if isinstance(w, GpuNotebookWorkload):
        return ("AWS::SageMaker::NotebookInstance", "AWS::SageMaker::NotebookInstanceLifecycleConfig")
    return ("AWS::Batch::ComputeEnvironment", "AWS::Batch::JobQueue", "AWS::Batch::JobDefinition")


@cache
def _region_types(region: str) -> frozenset[str] | None:
    """The resource types CloudFormation offers in `region` (cfn-lint's provider schemas, the ones synthesis
    validates templates against), or None for a region they do not know."""
    try:
        text = (files("cfnlint.data.schemas.providers") / f"{region}.json").read_text(encoding="utf-8")
    except (ModuleNotFoundError, FileNotFoundError, OSError):
        return None
    return frozenset(json.loads(text))


def _resource_types_in_regions(cfg: FinOpsConfig, at: Loc, w: Any) -> Iterator[tuple[Loc, str]]:
    """WorkloadStack builds every workload in each region of organization.regions."""
    for region in dict.fromkeys(cfg.organization.regions):
        available = _region_types(region)
        if available is None:
            continue
        for kind in _resource_types(cfg, w):
            if kind not in available:
                yield (*at, "kind"), (
                    f"a {w.kind} workload creates {kind}, a resource type CloudFormation does not offer in "
                    f"'{region}' (organization.regions): choose regions that have it"
                    + (", or an idle_mode other than scale_to_zero" if kind.endswith("InferenceComponent") else ""))


def _endpoint_props(w: GpuInferenceEndpointWorkload, env: Environment) -> gpu_endpoint_rules.EndpointProps:
    """What GpuInferenceEndpoint checks for the arguments WorkloadStack passes (the rest at their defaults)."""
    return gpu_endpoint_rules.EndpointProps(
        instance_type=w.instance_type, image_uri=w.image_uri, model_data_url=w.model_data_url,
        min_instances=w.min_instances, max_instances=w.max_instances,
        idle_mode=w.idle_mode if w.idle_mode is not None else gpu_endpoint_rules.default_idle_mode(env),
        idle_mode_given=w.idle_mode is not None,
        invocations_per_instance_target=gpu_endpoint_rules.DEFAULT_INVOCATIONS_TARGET,
        business_hours=None, component_memory_mb=None, endpoint_name=None,
        fixed_capacity_reason=w.fixed_capacity_reason)


def _queue_props(w: GpuTrainingQueueWorkload, env: Environment) -> gpu_training_rules.QueueProps:
    """What GpuTrainingQueue checks for the arguments WorkloadStack passes: the job timeout in whole hours,
    the environment's max_training_hours unless the workload sets its own."""
    hours = w.job_timeout_hours if w.job_timeout_hours is not None else env.max_training_hours
    return gpu_training_rules.QueueProps(
        instance_types=w.instance_types, max_vcpus=w.max_vcpus, on_demand_fallback=w.on_demand_fallback,
        on_demand_max_vcpus=w.on_demand_max_vcpus, job_vcpus=w.job_vcpus, job_gpus=w.job_gpus,
        job_memory_mib=w.job_memory_mib, job_timeout_seconds=hours * 3600,
        job_timeout_text=gpu_training_rules.hours_text(hours), retry_attempts=w.retry_attempts,
        image_uri=w.image_uri)


# --- TeamBudgetsStack ---------------------------------------------------------------------------------------------

def _team_budgets(cfg: FinOpsConfig) -> Iterator[tuple[Loc, str]]:
    settings = cfg.budgets
    thresholds = BudgetThresholds(alert_percent=settings.alert_percent, forecast_percent=settings.forecast_percent,
                                  action_percent=settings.action_percent)
    shared: dict[str, Loc] = {f"thresholds.{p}": ("budgets", p) for p in
                              ("alert_percent", "forecast_percent", "action_percent")}
    shared["thresholds"] = ("budgets",)
    for index, team in enumerate(cfg.teams):
        at: Loc = ("teams", index)
        problems = budget_problems(budget_name(team.name), team.owners, team.monthly_budget_usd, thresholds,
                                   plan_notifications(team.owners, thresholds))
        problems += stop_problems(_stop(cfg, team), cfg.organization.management_account)
        yield from _report(problems, (), {
            **shared, "team/project": (*at, "name"), "monthly_limit_usd": (*at, "monthly_budget_usd"),
            "owners": (*at, "owners"), "stop": (*at, "budget_action"),
            "stop.approval": (*at, "budget_action", "approval"), "stop.roles": (*at, "budget_action", "roles"),
            "stop.accounts": (*at, "accounts")})
        for project, amount in team.projects.items():
            if amount is not None:
                problems = budget_problems(budget_name(team.name, project), team.owners, amount, thresholds,
                                           plan_notifications(team.owners, thresholds))
                yield from _report(problems, (), {
                    **shared, "team/project": (*at, "projects", project),
                    "monthly_limit_usd": (*at, "projects", project), "owners": (*at, "owners")})
        anomaly = settings.anomaly
        problems = anomaly_problems(threshold_usd=anomaly.threshold_usd, threshold_percent=anomaly.threshold_percent,
                                    frequency=anomaly.frequency, has_topic=anomaly.frequency == "IMMEDIATE",
                                    owners=team.owners)
        yield from _report(problems, (), {
            "threshold_usd": ("budgets", "anomaly", "threshold_usd"),
            "threshold_percent": ("budgets", "anomaly", "threshold_percent"),
            "frequency": ("budgets", "anomaly", "frequency"), "topic": ("budgets", "anomaly", "frequency"),
            "owners": (*at, "owners")})
    if settings.org_ai_monthly_usd is not None:
        owners = list(dict.fromkeys(o for t in cfg.teams for o in t.owners))
        owners = owners if len(owners) <= MAX_EMAIL_SUBSCRIBERS else []  # more: the topic only, as the stack does
        teams = [t.name for t in cfg.teams]
        problems = org_budget_problems(ORG_BUDGET_NAME, teams, owners, settings.org_ai_monthly_usd, thresholds,
                                       plan_org_notifications(owners, thresholds))
        yield from _report(problems, (), {
            **shared, "team/project": ("budgets", "org_ai_monthly_usd"),
            "monthly_limit_usd": ("budgets", "org_ai_monthly_usd"), "owners": ("teams",), "teams": ("teams",)})
    try:
        scps = build_scps(cfg)
    except ScpLimitError:
        pass  # check_scp_limits reports guardrails that cannot be packed, before any stack is built
    else:
        for problem in scp_slot_problems(cfg, scps):
            yield ("organization", "scp_limits"), problem.message
        yield from _policy_names(cfg, scps)
    yield from _report(enforcer_problems(policy_json=enforcer_policy_json(cfg), regions=cfg.organization.regions,
                                         resume_schedule=settings.resume_day_cron), (), {
        "policy_json": ("budgets",), "regions": ("organization", "regions"),
        "resume_schedule": ("budgets", "resume_day_cron")})


def _stop(cfg: FinOpsConfig, team: Team) -> BudgetStop | None:
    """The budget stop TeamBudgetsStack gives a team with a budget_action (management account: SCPs reach out)."""
    if team.budget_action is None:
        return None
    return BudgetStop(roles=team.budget_action.roles, accounts=team.accounts, approval=team.approval,
                      exempt=cfg.organization.break_glass, management_account=True)


# --- GuardStack, BudgetAccessStack, CostTagsStack -------------------------------------------------------------

def _guardrails(cfg: FinOpsConfig) -> Iterator[tuple[Loc, str]]:
    # The same policy in every account and region; the owners of every team (each guard gets some of them).
    owners = [o for t in cfg.teams for o in t.owners]
    yield from _report(guard_problems(policy_json=guard_policy_json(cfg), schedule_minutes=cfg.guard.schedule_minutes,
                                      topic_owners=owners), (), {
        "policy_json": ("guard",), "schedule_minutes": ("guard", "schedule_minutes"), "topic_owners": ("teams",)})
    org = cfg.organization
    yield from _report(enforcer_access_problems(management_account=org.management_account, regions=org.regions),
                       (), {"management_account": ("organization", "management_account"),
                            "regions": ("organization", "regions")})
    yield from _report(cost_allocation_tag_problems(keys=cfg.tags.required,
                                                    overdue_days=cfg.tags.activation_overdue_days), (), {
        "keys": ("tags", "required"), "overdue_days": ("tags", "activation_overdue_days")})
