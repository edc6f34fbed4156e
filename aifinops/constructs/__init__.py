"""L3 constructs that provision AI workloads with mandatory cost tags.

The classes load on first use (PEP 562): `aifinops validate` imports the constructs' prop rules
(`*_rules` modules) to check finops.yaml exactly as synthesis will, and must not start jsii for it.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from aifinops.constructs.bedrock_model_access import BedrockModelAccess
    from aifinops.constructs.budget_action import BudgetStop
    from aifinops.constructs.budget_enforcer import BudgetEnforcer
    from aifinops.constructs.budget_enforcer_access import BudgetEnforcerAccess
    from aifinops.constructs.budget_topic import BudgetTopic
    from aifinops.constructs.cost_allocation_tags import CostAllocationTags
    from aifinops.constructs.cost_anomaly import TeamAnomalyAlerts
    from aifinops.constructs.cost_tags import CostTags
    from aifinops.constructs.engineering_dashboard import EngineeringDashboard
    from aifinops.constructs.errors import ConstructPropError
    from aifinops.constructs.gpu_endpoint_rules import BusinessHours
    from aifinops.constructs.gpu_guard import GpuGuard
    from aifinops.constructs.gpu_inference_endpoint import GpuInferenceEndpoint
    from aifinops.constructs.gpu_notebook import GpuNotebook
    from aifinops.constructs.gpu_training_queue import GpuTrainingQueue
    from aifinops.constructs.inform_functions import InformFunctions
    from aifinops.constructs.spend_dashboards import ExecutiveDashboard, TeamDashboard
    from aifinops.constructs.team_budget import BudgetThresholds, OrgAiBudget, TeamBudget

# public name -> the module that defines it
_MODULES = {
    "BedrockModelAccess": "bedrock_model_access",
    "BudgetEnforcer": "budget_enforcer",
    "BudgetEnforcerAccess": "budget_enforcer_access",
    "BudgetStop": "budget_action",
    "BudgetThresholds": "team_budget",
    "BudgetTopic": "budget_topic",
    "BusinessHours": "gpu_endpoint_rules",
    "ConstructPropError": "errors",
    "CostAllocationTags": "cost_allocation_tags",
    "CostTags": "cost_tags",
    "EngineeringDashboard": "engineering_dashboard",
    "ExecutiveDashboard": "spend_dashboards",
    "GpuGuard": "gpu_guard",
    "GpuInferenceEndpoint": "gpu_inference_endpoint",
    "GpuNotebook": "gpu_notebook",
    "GpuTrainingQueue": "gpu_training_queue",
    "InformFunctions": "inform_functions",
    "OrgAiBudget": "team_budget",
    "TeamAnomalyAlerts": "cost_anomaly",
    "TeamBudget": "team_budget",
    "TeamDashboard": "spend_dashboards",
}


def __getattr__(name: str) -> Any:
    module = _MODULES.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{module}"), name)


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
    "EngineeringDashboard",
    "ExecutiveDashboard",
    "GpuGuard",
    "GpuInferenceEndpoint",
    "GpuNotebook",
    "GpuTrainingQueue",
    "InformFunctions",
    "OrgAiBudget",
    "TeamAnomalyAlerts",
    "TeamBudget",
    "TeamDashboard",
]
