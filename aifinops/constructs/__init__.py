"""L3 constructs that provision AI workloads with mandatory cost tags."""

from aifinops.constructs.bedrock_model_access import BedrockModelAccess
from aifinops.constructs.cost_allocation_tags import CostAllocationTags
from aifinops.constructs.cost_tags import CostTags
from aifinops.constructs.errors import ConstructPropError
from aifinops.constructs.gpu_endpoint_rules import BusinessHours
from aifinops.constructs.gpu_inference_endpoint import GpuInferenceEndpoint
from aifinops.constructs.gpu_notebook import GpuNotebook
from aifinops.constructs.gpu_training_queue import GpuTrainingQueue

__all__ = [
    "BedrockModelAccess",
    "BusinessHours",
    "ConstructPropError",
    "CostAllocationTags",
    "CostTags",
    "GpuInferenceEndpoint",
    "GpuNotebook",
    "GpuTrainingQueue",
]
