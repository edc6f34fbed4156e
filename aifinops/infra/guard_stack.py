"""`GuardStack`: the GPU guard (`GpuGuard`) of one workload account and region, with the runtime policy of
finops.yaml."""

from __future__ import annotations

from typing import Any

import aws_cdk as cdk
from constructs import Construct

from aifinops.config import FinOpsConfig
from aifinops.constructs.gpu_guard import GpuGuard
from aifinops.naming import MANAGED_TAG
from aifinops.policies.guard_policy import guard_policy_json
from aifinops.template_metadata import GUARD

__all__ = ["GuardStack", "guard_owners", "guard_owners_of_environment"]


class GuardStack(cdk.Stack):
    """The guard of `account` in `region` (``aifinops-guard-<account>-<region>``): scans every
    ``guard.schedule_minutes`` and on create events, acts per the account's environment ``guard_mode``
    (production starts notify-only), notifies `guard_owners` by e-mail (each subscription must be confirmed).

    Example::

        import aws_cdk as cdk
        from aifinops.config import load
        from aifinops.infra.guard_stack import GuardStack

        config = load("finops.yaml")
        app = cdk.App()
        GuardStack(app, "aifinops-guard-222222222222-us-east-1", config=config, account="222222222222",
                   region="us-east-1")
        app.synth()
    """

    def __init__(self, scope: Construct, construct_id: str, *, config: FinOpsConfig, account: str, region: str,
                 **kwargs: Any) -> None:
        kwargs.setdefault("description", "aifinops: GPU guard (stops idle or untagged accelerated resources)")
        super().__init__(scope, construct_id, env=cdk.Environment(account=account, region=region), **kwargs)
        cdk.Tags.of(self).add(MANAGED_TAG, "true")
        self.guard = GpuGuard(self, "GpuGuard", policy_json=guard_policy_json(config),
                              schedule_minutes=config.guard.schedule_minutes,
                              topic_owners=guard_owners(config, account))
        environment = config.environment_of_account(account)
        mode = config.environments[environment].guard_mode if environment else "notify"
        self.guard.function.node.default_child.add_metadata(GUARD, {  # type: ignore[union-attr]
            "account": account, "region": region, "environment": environment, "mode": mode,
            "scheduleMinutes": config.guard.schedule_minutes,
            "graceMinutes": config.guard.untagged.grace_minutes,
            "idleWindowMinutes": config.guard.idle.window_minutes})


def guard_owners(config: FinOpsConfig, account: str) -> list[str]:
    """Owners of the teams with a workload in an environment of `account` (they receive that account's
    digest); every team's owners when no workload of the config runs there. Unique, in config order."""
    environments = {name for name, env in config.environments.items() if account in env.accounts}
    teams = {w.team for w in config.workloads if w.environment in environments}
    chosen = [t for t in config.teams if t.name in teams] or list(config.teams)
    return list(dict.fromkeys(o for t in chosen for o in t.owners))


def guard_owners_of_environment(config: FinOpsConfig, environment: str) -> list[str]:
    """Owners of the teams with a workload in `environment` (a StackSet's guard serves all its accounts); every
    team's owners when none has one. Unique, in config order."""
    teams = {w.team for w in config.workloads if w.environment == environment}
    chosen = [t for t in config.teams if t.name in teams] or list(config.teams)
    return list(dict.fromkeys(o for t in chosen for o in t.owners))
