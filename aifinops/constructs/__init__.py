"""L3 constructs that provision AI workloads with mandatory cost tags."""

from aifinops.constructs.bedrock_model_access import BedrockModelAccess
from aifinops.constructs.cost_tags import CostTags
from aifinops.constructs.errors import ConstructPropError

__all__ = ["BedrockModelAccess", "ConstructPropError", "CostTags"]
