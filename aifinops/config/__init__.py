"""finops.yaml: the one schema (`models`), its loader (`loader`: `load`, `parse`) and checks, and what they
share. Import direction, no cycle: keys, errors, limits, fields, workloads, source -> checks -> models ->
validation -> loader; the constructs' synth-time rules (`aifinops.synth_checks`) read the models from outside
and the loader imports them on first use.

Everything a user or a construct needs is importable from here: ``from aifinops.config import load, FinOpsConfig``.
"""

from aifinops.config.errors import ConfigError, ConfigIssue
from aifinops.config.keys import DEFAULT_REQUIRED_TAGS, ENVIRONMENT, MODEL, PROJECT, TASK_TYPE, TEAM
from aifinops.config.limits import Limits
from aifinops.config.loader import DEFAULT_CONFIG, load, parse
from aifinops.config.models import (
    AnomalyAlerts,
    BudgetAction,
    BudgetSettings,
    Canary,
    CheckSettings,
    CostTagRules,
    Environment,
    FinOpsConfig,
    GuardSettings,
    IdlePolicy,
    Network,
    Organization,
    ScpLimits,
    TagPolicyEnforcement,
    Team,
    UntaggedPolicy,
    budget_names,
    cdk_execution_role,
    workload_kinds,
)
from aifinops.config.workloads import (
    BedrockAccessWorkload,
    GpuInferenceEndpointWorkload,
    GpuNotebookWorkload,
    GpuTrainingQueueWorkload,
)

__all__ = [
    "DEFAULT_CONFIG",
    "DEFAULT_REQUIRED_TAGS",
    "ENVIRONMENT",
    "MODEL",
    "PROJECT",
    "TASK_TYPE",
    "TEAM",
    "AnomalyAlerts",
    "BedrockAccessWorkload",
    "BudgetAction",
    "BudgetSettings",
    "Canary",
    "CheckSettings",
    "ConfigError",
    "ConfigIssue",
    "CostTagRules",
    "Environment",
    "FinOpsConfig",
    "GpuInferenceEndpointWorkload",
    "GpuNotebookWorkload",
    "GpuTrainingQueueWorkload",
    "GuardSettings",
    "IdlePolicy",
    "Limits",
    "Network",
    "Organization",
    "ScpLimits",
    "TagPolicyEnforcement",
    "Team",
    "UntaggedPolicy",
    "budget_names",
    "cdk_execution_role",
    "load",
    "parse",
    "workload_kinds",
]
