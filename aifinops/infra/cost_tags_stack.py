"""`CostTagsStack`: the required tag keys activated as cost allocation tags in the payer account, retried until
every one is active (`CostAllocationTags`). Budgets filter by these tags: they see no spend before."""

from __future__ import annotations

from typing import Any

import aws_cdk as cdk
from constructs import Construct

from aifinops.config import FinOpsConfig
from aifinops.constructs.cost_allocation_tags import CostAllocationTags
from aifinops.naming import MANAGED_TAG


class CostTagsStack(cdk.Stack):
    """Deploy it in the management (payer) account, us-east-1: only the payer activates cost allocation tags."""

    def __init__(self, scope: Construct, construct_id: str, *, config: FinOpsConfig, **kwargs: Any) -> None:
        super().__init__(scope, construct_id, **kwargs)
        cdk.Tags.of(self).add(MANAGED_TAG, "true")
        self.cost_allocation_tags = CostAllocationTags(self, "CostAllocationTags", keys=config.tags.required,
                                                       overdue_days=config.tags.activation_overdue_days)
