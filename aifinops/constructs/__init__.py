"""L3 constructs that provision AI workloads with mandatory cost tags."""

from aifinops.constructs.bedrock_model_access import BedrockModelAccess
from aifinops.constructs.budget_action import BudgetStop
from aifinops.constructs.budget_enforcer import BudgetEnforcer
from aifinops.constructs.budget_enforcer_access import BudgetEnforcerAccess
from aifinops.constructs.budget_topic import BudgetTopic
from aifinops.constructs.cost_allocation_tags import CostAllocationTags
from aifinops.constructs.cost_anomaly import TeamAnomalyAlerts
from aifinops.constructs.cost_tags import CostTags
from aifinops.constructs.errors import ConstructPropError
from aifinops.constructs.gpu_endpoint_rules import BusinessHours
from aifinops.constructs.gpu_guard import GpuGuard
from aifinops.constructs.gpu_inference_endpoint import GpuInferenceEndpoint
from aifinops.constructs.gpu_notebook import GpuNotebook
from aifinops.constructs.gpu_training_queue import GpuTrainingQueue
from aifinops.constructs.team_budget import BudgetThresholds, OrgAiBudget, TeamBudget

__all__ = [
    "BedrockModelAccess",
    "BudgetEnforcer",
    "BudgetEnforcerAccess",
    "BudgetStop",
    "BudgetThresholds",
    "BudgetTopic",
    "BusinessHours",
    "ConstructPropError",
    "CostAllocationTags",
    "CostTags",
    "GpuGuard",
    "GpuInferenceEndpoint",
    "GpuNotebook",
    "GpuTrainingQueue",
    "OrgAiBudget",
    "TeamAnomalyAlerts",
    "TeamBudget",
]
