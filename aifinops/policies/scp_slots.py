"""SCP slots per account: the guardrail documents of its environment, what is already attached (FullAWSAccess),
and the budget-action SCPs that AWS Budgets attaches when a team's budget is spent. Every one of them must fit
`organization.scp_limits.max_per_target` at once, or a budget action fails exactly when it is needed.

One computation for `aifinops validate` (before anything is synthesized) and for the team budgets stack, so the
two can never disagree. Pure; no aws_cdk.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence

from aifinops.config import FinOpsConfig
from aifinops.policies.scp_types import ScpDocument

__all__ = ["account_of", "budget_scp_targets", "slot_problems"]


def account_of(role_arn: str) -> str:
    """`arn:aws:iam::222222222222:role/x` -> `222222222222`."""
    return role_arn.split(":")[4] if role_arn.count(":") >= 5 else ""


def budget_scp_targets(config: FinOpsConfig) -> Counter[str]:
    """Account -> the budget-action SCPs it carries when every team's budget action has fired: one for a team's
    roles in other accounts than the management account (the team's own accounts aside), one for each account a
    team owns outright (`teams[].accounts`). Roles of the management account get an IAM action, no SCP."""
    management = config.organization.management_account
    targets: Counter[str] = Counter()
    for team in config.teams:
        if team.budget_action is None:
            continue
        remote = {account_of(r) for r in team.budget_action.roles} - {management, *team.accounts}
        targets.update(sorted(remote))
        targets.update(team.accounts)
    return targets


def slot_problems(config: FinOpsConfig, scps: Mapping[str, Sequence[ScpDocument]]) -> list[tuple[str, str]]:
    """(account, sentence) for each account whose SCPs can exceed `max_per_target`."""
    limits = config.organization.scp_limits
    problems = []
    for account, count in sorted(budget_scp_targets(config).items()):
        environment = config.environment_of_account(account)
        guardrails = len(scps.get(environment or "", ()))
        attached = limits.already_attached + guardrails + count
        if attached > limits.max_per_target:
            problems.append((account, (
                f"at most {limits.max_per_target} SCPs on account {account}: {limits.already_attached} already "
                f"attached + {guardrails} guardrails of {environment or 'no environment'} + {count} budget "
                f"action(s) when its teams' budgets are spent; raise max_per_target or max_characters, or lower "
                f"already_attached")))
    return problems
