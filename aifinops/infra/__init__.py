"""Stacks of the reference deployment, composed from finops.yaml. Entry point: `build(app, config)`."""

from __future__ import annotations

import itertools

import aws_cdk as cdk
from cdk_nag import AwsSolutionsChecks, ServerlessChecks

from aifinops.check.marker import add_marked_plugins
from aifinops.config import FinOpsConfig
from aifinops.infra.budget_access_stack import BudgetAccessStack
from aifinops.infra.checkov_skips import add_checkov_skips
from aifinops.infra.cost_tags_stack import CostTagsStack
from aifinops.infra.guard_stack import GuardStack
from aifinops.infra.inform_stack import InformStack
from aifinops.infra.org_guardrails_stack import OrgDelegationStack, OrgGuardrailsStack
from aifinops.infra.stackset_rollout import (
    ASSETS_STACK_PREFIX,
    ROLLOUT_STACK,
    StackSetAssetsStack,
    StackSetRolloutStack,
)
from aifinops.infra.team_budgets_stack import TeamBudgetsStack
from aifinops.infra.workload_stack import WorkloadStack
from aifinops.naming import (
    BUDGET_ACCESS_STACK_PREFIX,
    GUARD_STACK_PREFIX,
    INFORM_STACK,
    NAME_PREFIX,
    org_guardrails_stack_name,
    workload_stack_name,
)
from aifinops.policies.budget_policy import workload_accounts
from aifinops.policies.nag import AiFinOpsChecks
from aifinops.policies.plugins.cost_tag_validation import CostTagValidation

STACK_PREFIX = NAME_PREFIX


def build(app: cdk.App, config: FinOpsConfig, *, enforce_tags: bool = True,
          security_checks: bool = True) -> list[cdk.Stack]:
    """Create every stack of the deployment, with the cost tag validation and the cdk-nag AiFinOps, AwsSolutions
    and Serverless packs attached: synthesis fails on any unacknowledged finding, and validation-report.json keeps
    every acknowledgement with its reason. The accepted built-in checkov findings are written into the templates
    (`checkov_skips.SKIPS`). `enforce_tags=False` and `security_checks=False` exist for benchmarks only."""
    if enforce_tags:
        add_marked_plugins(app, CostTagValidation(config))
    if security_checks:
        attach_security_checks(app, config)
    add_checkov_skips(app)
    # Organizations, Budgets and Cost Explorer are global services whose APIs live in us-east-1.
    payer = cdk.Environment(account=config.organization.management_account, region="us-east-1")
    cost_tags = CostTagsStack(
        app, f"{STACK_PREFIX}-cost-tags", config=config, env=payer, synthesizer=guardrail_synthesizer(config),
        description="aifinops: the cost tag keys activated as cost allocation tags, retried until they are")
    budgets = TeamBudgetsStack(
        app, f"{STACK_PREFIX}-team-budgets", config=config, env=payer, synthesizer=guardrail_synthesizer(config),
        description="aifinops: team and project budgets, budget actions, the budget enforcer, cost anomaly alerts, "
                    "the team cost category")
    budgets.add_stack_dependency(cost_tags)  # budgets filter by the tags
    stacks: list[cdk.Stack] = [*org_guardrail_stacks(app, config), cost_tags, budgets]
    if config.inform.enabled:
        inform = InformStack(
            app, INFORM_STACK, config=config, env=payer, synthesizer=guardrail_synthesizer(config),
            description="aifinops: AI spend metrics from Cost Explorer, weekly team reports, executive and team "
                        "dashboards")
        inform.add_stack_dependency(budgets)  # the reports read the budgets and the teams' anomaly monitors
        stacks.append(inform)
    regions = config.organization.regions
    if config.rollout == "stacksets":
        stacks += stackset_rollout_stacks(app, config)
    # The role the budget enforcer assumes, in every workload account (IAM is global: the first region).
    for workload_account in workload_accounts(config) if config.rollout == "stacks" else ():
        stacks.append(BudgetAccessStack(
            app, budget_access_stack_name(workload_account), config=config,
            env=cdk.Environment(account=workload_account, region=regions[0]), synthesizer=guardrail_synthesizer(config),
            description="aifinops: the role the budget enforcer assumes to pause and resume team workloads"))
    # The GPU guard in every workload account and region.
    for workload_account in workload_accounts(config) if config.rollout == "stacks" else ():
        for region in regions:
            stacks.append(GuardStack(app, guard_stack_name(workload_account, region), config=config,
                                     account=workload_account, region=region,
                                     synthesizer=guardrail_synthesizer(config)))
    for env_name, env in config.environments.items():
        account = env.accounts[0] if len(env.accounts) == 1 else None
        for team in config.teams:
            if not any(w.environment == env_name and w.team == team.name for w in config.workloads):
                continue
            for region in regions:
                suffix = f"-{region}" if len(regions) > 1 else ""
                stacks.append(WorkloadStack(
                    app, workload_stack_name(env_name, team.name) + suffix, config=config, environment=env_name,
                    team=team.name, env=cdk.Environment(account=account, region=region),
                    description=f"aifinops: AI workloads of team {team.name} in {env_name} (cost-tagged)"))
    return stacks


def stackset_rollout_stacks(app: cdk.App, config: FinOpsConfig) -> list[cdk.Stack]:
    """organization.rollout stacksets: the asset bucket of each region, then the StackSets (aifinops.infra.
    stackset_rollout), in the StackSet administrator account."""
    assets = [StackSetAssetsStack(
        app, f"{ASSETS_STACK_PREFIX}{region}", config=config, region=region, synthesizer=guardrail_synthesizer(config),
        description=f"aifinops: the StackSets' Lambda code in {region}, readable by the organization")
        for region in config.organization.regions]
    rollout = StackSetRolloutStack(
        app, ROLLOUT_STACK, config=config, synthesizer=guardrail_synthesizer(config),
        description="aifinops: StackSets of the GPU guard (one per environment) and the budget enforcer's access role")
    for stack in assets:
        rollout.add_stack_dependency(stack)
    return [*assets, rollout]


def org_guardrail_stacks(app: cdk.App, config: FinOpsConfig) -> list[cdk.Stack]:
    """One stack per environment (and one per canary), in rollout order: each canary before its environment,
    production environments after the others, each stack depending on the one before, so that `cdk deploy --all`
    stops at the first environment that fails. A delegation stack first when a delegated administrator deploys
    them."""
    org = config.organization
    where = cdk.Environment(account=org.policy_admin, region="us-east-1")
    stacks: list[cdk.Stack] = []
    if org.policy_admin != org.management_account:
        stacks.append(OrgDelegationStack(
            app, f"{STACK_PREFIX}-org-delegation", config=config, synthesizer=guardrail_synthesizer(config),
            env=cdk.Environment(account=org.management_account, region="us-east-1"),
            description=f"aifinops: lets account {org.policy_admin} manage the aifinops SCPs and tag policies"))
    ordered = sorted(config.environments, key=lambda name: config.environments[name].production)
    for name in ordered:
        for canary in ((True, False) if config.environments[name].canary else (False,)):
            stacks.append(OrgGuardrailsStack(
                app, org_guardrails_stack_name(name, canary), config=config, environment=name, canary=canary,
                env=where, synthesizer=guardrail_synthesizer(config),
                description=f"aifinops: service control policies and tag policy of {name}"
                            + (" (canary targets)" if canary else "")))
    for earlier, later in itertools.pairwise(stacks):
        later.add_stack_dependency(earlier)
    return stacks


def attach_security_checks(app: cdk.App, config: FinOpsConfig) -> None:
    """The AiFinOps pack (cost tags, accelerator types, endpoint scaling, job time limits, Bedrock through
    profiles, guard DLQs and alarms, encrypted cost-alert topics) and cdk-nag's AwsSolutions and Serverless packs
    (the deployment is Lambda, SNS and SQS besides IAM), verbose so each finding carries its explanation.
    Acknowledge a finding on the construct that owns the resource, with `aifinops.constructs.nag_acks`.
    Every stack's template metadata names the packs (`aifinops:security-checks`): a pack with nothing to report
    leaves no trace in validation-report.json, and `aifinops check` refuses a stack with neither."""
    add_marked_plugins(app, AiFinOpsChecks(app, config=config, verbose=True),
                       AwsSolutionsChecks(app, verbose=True), ServerlessChecks(app, verbose=True))


def guardrail_synthesizer(config: FinOpsConfig) -> cdk.DefaultStackSynthesizer:
    """The aifinops stacks deploy with their own CDK bootstrap (`organization.cdk_qualifier`): its execution role
    is the only one the guardrail SCPs let change them. The teams' workload stacks keep the default bootstrap."""
    return cdk.DefaultStackSynthesizer(qualifier=config.organization.cdk_qualifier)


def budget_access_stack_name(account: str) -> str:
    return f"{BUDGET_ACCESS_STACK_PREFIX}{account}"


def guard_stack_name(account: str, region: str) -> str:
    return f"{GUARD_STACK_PREFIX}{account}-{region}"


__all__ = ["STACK_PREFIX", "BudgetAccessStack", "CostTagsStack", "GuardStack", "InformStack", "OrgDelegationStack",
           "OrgGuardrailsStack", "TeamBudgetsStack", "WorkloadStack", "attach_security_checks",
           "budget_access_stack_name", "build", "guard_stack_name", "guardrail_synthesizer", "org_guardrail_stacks",
           "org_guardrails_stack_name", "workload_stack_name"]
