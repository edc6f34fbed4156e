"""The catalog: model tiers, accelerator families and prices. Pure data; no aws_cdk import."""

from collections.abc import Mapping
from functools import cache
from types import MappingProxyType

from aifinops.catalog._data import read_yaml
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
    "bedrock_invoke_managed_policies",
    "hourly_price",
    "model_catalog",
    "parse_instance_type",
    "price_list",
    "strip_geo_prefix",
    "vcpus_of",
]


@cache
def bedrock_invoke_managed_policies() -> Mapping[str, str]:
    """AWS managed policy name -> what it grants, for the policies that allow invoking any Bedrock model
    directly (bedrock_managed_policies.yaml)."""
    policies = read_yaml("bedrock_managed_policies.yaml")["policies"]
    return MappingProxyType({str(name): str(grant) for name, grant in policies.items()})
