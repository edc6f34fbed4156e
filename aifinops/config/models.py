"""The one schema of finops.yaml: its pydantic models.

Every model is frozen, refuses unknown keys and non-finite numbers. Cross-field rules (references
resolve, names are unique) live in `FinOpsConfig._cross_check`; what the constructs check about the props
the stacks build from the config runs last, in `loader.parse()`. Each problem is reported at its own field so
`load()` can print the file line of every one.
"""

from __future__ import annotations

import re
import typing
from collections.abc import Iterator
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictInt, model_validator

from aifinops.catalog import parse_instance_type
from aifinops.catalog.tag_policy_types import tag_policy_types
from aifinops.config.checks import cross_check
from aifinops.config.fields import (
    Accelerator,
    AccountId,
    AvailabilityZone,
    CdkQualifier,
    CronExpression,
    Email,
    Name,
    OrgId,
    OuId,
    PrincipalArnPattern,
    Region,
    RoleArn,
    RootId,
    SubnetId,
    TagKey,
    TagValue,
    Tier,
    Usd,
    VpcId,
)
from aifinops.config.inform import InformSettings
from aifinops.config.keys import DEFAULT_REQUIRED_TAGS
from aifinops.config.source import Loc, dotted
from aifinops.config.workloads import (
    WORKLOAD_TYPES,
    BedrockAccessWorkload,
    GpuInferenceEndpointWorkload,
    GpuNotebookWorkload,
    GpuTrainingQueueWorkload,
)
from aifinops.naming import BUDGET_PREFIX


class _Model(BaseModel):
    # .inf and .nan are YAML floats: refused everywhere, before any limit or construct sees them.
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


class ScpLimits(_Model):
    """AWS quotas since May 2026; orgs may configure the older, stricter numbers (5,120 / 5)."""

    max_characters: StrictInt = Field(10_240, ge=1_000, le=10_240)
    max_per_target: StrictInt = Field(10, ge=1, le=10)
    already_attached: StrictInt = Field(1, ge=0, description="SCPs already on each target (FullAWSAccess)")
    fill_percent: StrictInt = Field(90, ge=50, le=100, description="of max_characters a document may use: "
                                                                   "headroom for statements that grow")


class StackSetSettings(_Model):
    """How the StackSets roll the guard and the enforcer's access role out (organization.rollout: stacksets)."""

    admin_account: AccountId | None = Field(
        None, description="the delegated administrator for CloudFormation StackSets that manages them (CallAs "
                          "DELEGATED_ADMIN). Default: the management account")
    failure_tolerance_percentage: StrictInt = Field(
        10, ge=0, le=100, description="of the stack instances of a region that may fail before an operation stops")
    max_concurrent_percentage: StrictInt = Field(
        25, ge=1, le=100, description="of the accounts an operation deploys to at once")
    region_concurrency: Literal["SEQUENTIAL", "PARALLEL"] = "SEQUENTIAL"
    retain_stacks_on_account_removal: StrictBool = Field(
        False, description="keep the guard in an account that leaves the OUs (default: removed with it)")


class Organization(_Model):
    management_account: AccountId
    policy_account: AccountId | None = Field(
        None, description="the account that deploys the SCPs and tag policies: the management account (default) or "
                          "a delegated administrator for Organizations policies (the management account then gets "
                          "the stack aifinops-org-delegation, which grants it). Budgets and cost allocation tags "
                          "stay in the management account")
    root_id: RootId | None = None
    regions: tuple[Region, ...] = Field(min_length=1)
    break_glass: tuple[PrincipalArnPattern, ...] = ()
    cdk_qualifier: CdkQualifier = Field(
        "aifinops", description="the CDK bootstrap qualifier the aifinops stacks deploy with (`cdk bootstrap "
                                "--qualifier aifinops`): a bootstrap of its own, apart from the one teams deploy with")
    deployment_roles: tuple[PrincipalArnPattern, ...] = Field(
        (), description="principals besides break-glass that deploy aifinops: they may assume the roles of the "
                        "cdk_qualifier bootstrap and change what aifinops deploys (a pipeline's role, a self-managed "
                        "StackSet execution role). Every other principal, CDK deploy rights or not, may not")
    tag_exempt_principals: tuple[PrincipalArnPattern, ...] = Field(
        (), description="principals that create first and tag after (some Terraform or CloudFormation "
                        "resources, Karpenter): spared by the tags-at-creation SCP statements only")
    scp_limits: ScpLimits = ScpLimits()
    org_id: OrgId | None = Field(None, description="the organization's id (o-...): StackSet assets are readable by "
                                                   "its accounts (aws:PrincipalOrgID); required by rollout stacksets")
    rollout: Literal["stacksets", "stacks"] | None = Field(
        None, description="how the guard and the enforcer's access role reach the workload accounts: stacksets "
                          "(service-managed, automatic deployment to the environments' OUs; the default when an "
                          "environment has ou_ids) or stacks (a stack per account and region, cdk deploy each)")
    stacksets: StackSetSettings = StackSetSettings()

    @property
    def deployers(self) -> tuple[str, ...]:
        """Who changes what aifinops deploys: the execution role of the aifinops CDK bootstrap and
        `deployment_roles` (break-glass is spared everywhere anyway); with rollout stacksets also the roles the
        StackSets deploy with (`FinOpsConfig.deployers`)."""
        return (cdk_execution_role(self.cdk_qualifier), *self.deployment_roles)

    @property
    def stackset_admin(self) -> str:
        return self.stacksets.admin_account or self.management_account

    @property
    def policy_admin(self) -> str:
        """The account whose stacks create and attach the organization policies."""
        return self.policy_account or self.management_account

    @property
    def bootstrap_roles(self) -> str:
        """Every role of the aifinops CDK bootstrap (deploy, file and image publishing, lookup, execution)."""
        return f"arn:aws:iam::*:role/cdk-{self.cdk_qualifier}-*"


# The role service-managed StackSets create in each target account and deploy with: stacksets-exec-<hash>.
STACKSET_EXECUTION_ROLES = "arn:aws:iam::*:role/stacksets-exec-*"


def cdk_execution_role(qualifier: str, account: str = "*", region: str = "*") -> str:
    """The CloudFormation execution role a CDK bootstrap with `qualifier` creates (a principal ARN pattern)."""
    return f"arn:aws:iam::{account}:role/cdk-{qualifier}-cfn-exec-role-{account}-{region}" if account != "*" else \
        f"arn:aws:iam::*:role/cdk-{qualifier}-cfn-exec-role-*"


class TagPolicyEnforcement(_Model):
    """Where the tag policy refuses a cost tag value outside its allowed set; everywhere else it only reports.
    Enforcement applies to every resource of the types listed in those accounts, AI or not."""

    environments: tuple[Name, ...] = Field(
        (), description="environments whose OUs and accounts refuse non-compliant values. Default: none (report "
                        "only)")
    types: tuple[str, ...] = Field(
        (), description="resource types enforced there. Default: every type enforcement works for "
                        "(catalog/tag_policy_types.yaml: ec2:instance, sagemaker:training-job, "
                        "sagemaker:processing-job)")


class CostTagRules(_Model):
    required: tuple[TagKey, ...] = DEFAULT_REQUIRED_TAGS
    task_types: tuple[TagValue, ...] = (
        "generation", "classification", "analysis", "embedding", "training", "fine-tuning", "evaluation",
    )
    # Values of the `model` tag allowed besides catalog model ids (self-hosted models, mixed use).
    model_values: tuple[TagValue, ...] = ("none", "multiple")
    shared: dict[TagKey, tuple[TagValue, ...]] = Field(
        default_factory=dict,
        description="values accepted for infrastructure owned by no team, key -> values, e.g. {team: [platform], "
                    "project: [shared], task-type: [infrastructure]}: a VPC shared by teams is tagged team=platform "
                    "and passes every check; a resource whose team is a shared value takes any project unless "
                    "shared.project lists some. Not for `environment`: guardrails read it")
    enforcement: TagPolicyEnforcement = TagPolicyEnforcement()
    activation_overdue_days: StrictInt = Field(
        3, ge=1, le=30, description="days after which a cost allocation tag key that is still not active raises "
                                    "the alarm aifinops-cost-tags-overdue")

    def enforced_types(self) -> tuple[str, ...]:
        return self.enforcement.types or tag_policy_types().enforced_for


class Network(_Model):
    """An existing VPC of the environment's account for VPC-bound workloads (Batch, notebooks without
    direct internet). Imported, never created: networks are owned by the platform, not by one team."""

    vpc_id: VpcId
    availability_zones: tuple[AvailabilityZone, ...] = Field(min_length=1)
    private_subnet_ids: tuple[SubnetId, ...] = Field(min_length=1, description="one per availability zone")


class Canary(_Model):
    """Targets that get a change to the environment's guardrails first, from a stack of their own."""

    ou_ids: tuple[OuId, ...] = ()
    accounts: tuple[AccountId, ...] = ()


class Environment(_Model):
    ou_ids: tuple[OuId, ...] = ()
    accounts: tuple[AccountId, ...] = ()
    canary: Canary | None = Field(
        None, description="an OU or account outside ou_ids and accounts (a sandbox of this environment) that gets "
                          "the environment's SCPs from the stack aifinops-org-guardrails-<env>-canary: deploy it "
                          "first, watch, then deploy aifinops-org-guardrails-<env>")
    production: StrictBool = False
    max_model_tier: Tier
    model_policy: Literal["denylist", "allowlist"] = Field(
        "denylist", description="denylist: models of the catalog's tiers above max_model_tier are denied, any "
                                "other model is allowed; allowlist: only catalog models at or below it are allowed "
                                "(a model the catalog has never heard of is denied until classified)")
    accelerators: tuple[Accelerator, ...] = ()
    max_training_hours: StrictInt = Field(ge=1, le=672, description="SageMaker caps jobs at 28 days")
    guard_mode: Literal["notify", "stop"] = "notify"
    provisioned_throughput: StrictBool = False
    network: Network | None = None

    def allows_instance_type(self, instance_type: str) -> bool:
        """True when an `accelerators` entry names this exact type or its family, on the same service."""
        wanted = parse_instance_type(instance_type)
        for entry in self.accelerators:
            allowed = parse_instance_type(entry)
            if allowed.sagemaker == wanted.sagemaker and allowed.family == wanted.family and (
                allowed.size is None or allowed.size == wanted.size
            ):
                return True
        return False


class BudgetAction(_Model):
    approval: Literal["automatic", "manual"] | None = Field(
        None, description="Default: manual for critical teams, automatic otherwise")
    roles: tuple[RoleArn, ...] = Field(min_length=1)


class Team(_Model):
    name: Name
    owners: tuple[Email, ...] = Field(min_length=1, max_length=10,
                                      description="AWS Budgets allows 10 e-mail subscribers a notification")
    monthly_budget_usd: Usd
    projects: dict[Name, Usd | None] = Field(default_factory=dict, description="project -> monthly budget")
    critical: StrictBool = False
    accounts: tuple[AccountId, ...] = ()
    budget_action: BudgetAction | None = None

    @property
    def approval(self) -> Literal["automatic", "manual"]:
        if self.budget_action and self.budget_action.approval:
            return self.budget_action.approval
        return "manual" if self.critical else "automatic"


class AnomalyAlerts(_Model):
    """Cost Anomaly Detection per team: alert when an anomaly's impact reaches both thresholds."""

    threshold_usd: float = Field(100, ge=0, description="absolute impact of an anomaly")
    threshold_percent: float = Field(20, ge=0, description="impact relative to expected spend")
    frequency: Literal["DAILY", "WEEKLY", "IMMEDIATE"] = "DAILY"


class BudgetSettings(_Model):
    """Thresholds of every team budget; AWS Budgets allows 5 notifications a budget, we use 3."""

    alert_percent: float = Field(80, gt=0, le=1_000, description="ACTUAL spend: e-mail owners and the topic")
    forecast_percent: float = Field(100, gt=0, le=1_000, description="FORECASTED spend: e-mail owners")
    action_percent: float = Field(100, gt=0, le=1_000, description="ACTUAL spend: budget action and pause")
    org_ai_monthly_usd: Usd | None = Field(None, description="one org-wide budget over all teams' AI spend")
    anomaly: AnomalyAlerts = AnomalyAlerts()
    resume_day_cron: CronExpression = Field("cron(5 0 1 * ? *)",
                                            description="when paused workloads resume (UTC): the 1st of the month")


class UntaggedPolicy(_Model):
    grace_minutes: StrictInt = Field(60, ge=0, le=10_080)


class IdlePolicy(_Model):
    window_minutes: StrictInt = Field(120, ge=30, le=1_440)
    gpu_percent: float = Field(5, ge=0, le=100)
    cpu_percent: float = Field(5, ge=0, le=100)
    network_bytes_per_second: float = Field(10_000, ge=0)


class GuardSettings(_Model):
    schedule_minutes: StrictInt = Field(15, ge=5, le=1_440)
    untagged: UntaggedPolicy = UntaggedPolicy()
    idle: IdlePolicy = IdlePolicy()
    no_signal: Literal["notify", "ignore"] = "notify"
    exemption_max_days: StrictInt = Field(30, ge=1, le=365)
    notebook_max_hours: StrictInt = Field(12, ge=1, le=720, description="non-production notebooks")


Workload = Annotated[
    BedrockAccessWorkload | GpuInferenceEndpointWorkload | GpuTrainingQueueWorkload | GpuNotebookWorkload,
    Field(discriminator="kind"),
]


def workload_kinds() -> tuple[str, ...]:
    return tuple(typing.get_args(t.model_fields["kind"].annotation)[0] for t in WORKLOAD_TYPES)


class CheckSettings(_Model):
    """`aifinops check`: what an acknowledgement must say, and how old a baseline entry may get."""

    min_reason_chars: StrictInt = Field(15, ge=1, le=1_000, description="characters an acknowledgement's reason "
                                                                        "needs, its expires/owner tokens aside")
    reason_pattern: str | None = Field(None, description="a regular expression every reason must match, e.g. a "
                                                         "ticket id: '[A-Z]+-[0-9]+'")
    baseline_max_age_days: StrictInt = Field(90, ge=1, le=3_650, description="baseline entries older than this are "
                                                                             "reported as stale")

    @model_validator(mode="after")
    def _pattern_compiles(self) -> CheckSettings:
        if self.reason_pattern is not None:
            try:
                re.compile(self.reason_pattern)
            except re.error as exc:
                raise ValueError(f"reason_pattern is not a regular expression: {exc}") from None
        return self


class FinOpsConfig(_Model):
    organization: Organization
    tags: CostTagRules = CostTagRules()
    environments: dict[Name, Environment] = Field(min_length=1)
    teams: tuple[Team, ...] = Field(min_length=1)
    budgets: BudgetSettings = BudgetSettings()
    guard: GuardSettings = GuardSettings()
    workloads: tuple[Workload, ...] = ()
    check: CheckSettings = CheckSettings()
    inform: InformSettings = InformSettings()

    @property
    def rollout(self) -> Literal["stacksets", "stacks"]:
        """organization.rollout, or stacksets when an environment is targeted by OUs."""
        chosen = self.organization.rollout
        if chosen is not None:
            return chosen
        return "stacksets" if any(e.ou_ids for e in self.environments.values()) else "stacks"

    @property
    def deployers(self) -> tuple[str, ...]:
        """`organization.deployers`, and with rollout stacksets the roles service-managed StackSets create and
        deploy with in each member account (stacksets-exec-*)."""
        extra = (STACKSET_EXECUTION_ROLES,) if self.rollout == "stacksets" else ()
        return (*self.organization.deployers, *extra)

    def team(self, name: str) -> Team:
        return next(t for t in self.teams if t.name == name)

    def environment_of_account(self, account: str) -> str | None:
        return next((n for n, e in self.environments.items() if account in e.accounts), None)

    @model_validator(mode="after")
    def _check_references(self, info: Any) -> FinOpsConfig:
        problems = list(self._cross_check())
        sink = (info.context or {}).get("cross_issues") if info.context else None
        if sink is not None:
            sink.extend(problems)  # load() turns these into file:line issues
        elif problems:
            raise ValueError("; ".join(f"{dotted(loc)}: {msg}" for loc, msg in problems))
        return self

    def _cross_check(self) -> Iterator[tuple[Loc, str]]:
        yield from cross_check(self)


def budget_names(cfg: FinOpsConfig) -> dict[str, tuple[str, str | None]]:
    """Budget name -> (team, project or None) of every team and project budget; see BUDGET_PREFIX."""
    names: dict[str, tuple[str, str | None]] = {}
    for team in cfg.teams:
        names.setdefault(f"{BUDGET_PREFIX}{team.name}", (team.name, None))
        for project, amount in team.projects.items():
            if amount is not None:
                names.setdefault(f"{BUDGET_PREFIX}{team.name}-{project}", (team.name, project))
    return names

