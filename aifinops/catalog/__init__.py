"""The catalog: model tiers, accelerator families and prices. Pure data; no aws_cdk import."""

from aifinops.catalog.accelerators import (
    accelerator_catalog,
    accelerator_count,
    accelerator_problem,
    parse_instance_type,
    vcpus_of,
)
from aifinops.catalog.models import model_catalog, strip_geo_prefix
from aifinops.catalog.prices import HOURS_PER_MONTH, hourly_price, price_list

__all__ = [
    "HOURS_PER_MONTH",
    "accelerator_catalog",
    "accelerator_count",
    "accelerator_problem",
    "hourly_price",
    "model_catalog",
    "parse_instance_type",
    "price_list",
    "strip_geo_prefix",
    "vcpus_of",
]
