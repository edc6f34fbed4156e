"""`WorkloadStack`: the AI workloads of one environment, under cost tag enforcement."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import aws_cdk as cdk
from aws_cdk import aws_iam as iam
from constructs import Construct

from aifinops.config import BedrockAccessWorkload, FinOpsConfig
from aifinops.constructs import BedrockModelAccess, CostTags
from aifinops.policies.plugins.cost_tag_validation import enforce_cost_tags


class WorkloadStack(cdk.Stack):
    """Every finops.yaml workload of `environment`; synthesis fails on any missing or wrong cost tag."""

    def __init__(self, scope: Construct, construct_id: str, *, config: FinOpsConfig, environment: str,
                 **kwargs: Any) -> None:
        super().__init__(scope, construct_id, **kwargs)
        enforce_cost_tags(self, config.tags.required)
        self.config = config
        self.environment_name = environment
        for workload in config.workloads:
            if workload.environment == environment:
                _BUILDERS[type(workload)](self, workload)


def cost_tags_of(workload: Any) -> CostTags:
    return CostTags(team=workload.team, project=workload.project, model=workload.model_tag,
                    environment=workload.environment, task_type=workload.task_type)


def _bedrock_access(stack: WorkloadStack, w: BedrockAccessWorkload) -> None:
    env = stack.config.environments[w.environment]
    roles = [iam.Role.from_role_arn(stack, f"{w.name}-role{i}", arn, mutable=True)
             for i, arn in enumerate(w.roles)]
    BedrockModelAccess(stack, w.name, cost_tags=cost_tags_of(w), models=w.models,
                       max_model_tier=env.max_model_tier, roles=roles)


_BUILDERS: dict[type, Callable[[WorkloadStack, Any], None]] = {
    BedrockAccessWorkload: _bedrock_access,
}
