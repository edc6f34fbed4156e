"""On-demand instance prices with their source and date (data in prices.yaml)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from pydantic import BaseModel, ConfigDict, Field

from aifinops.catalog._data import read_yaml
from aifinops.catalog.accelerators import SAGEMAKER_PREFIX

HOURS_PER_MONTH = 730


class PriceList(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    source: str
    as_of: str
    region: str
    ec2: dict[str, float] = Field(description="instance type -> USD per hour")


@dataclass(frozen=True)
class HourlyPrice:
    usd: float
    estimate: bool  # True when no catalog price exists for this exact offering
    as_of: str


@cache
def price_list() -> PriceList:
    return PriceList.model_validate(read_yaml("prices.yaml"))


def hourly_price(instance_type: str) -> HourlyPrice | None:
    """EC2 on-demand price; for `ml.*` the EC2 price of the same hardware, flagged as an estimate
    because SageMaker prices are higher and were not collected."""
    prices = price_list()
    if instance_type.startswith(SAGEMAKER_PREFIX):
        usd = prices.ec2.get(instance_type[len(SAGEMAKER_PREFIX) :])
        return HourlyPrice(usd, estimate=True, as_of=prices.as_of) if usd is not None else None
    usd = prices.ec2.get(instance_type)
    return HourlyPrice(usd, estimate=False, as_of=prices.as_of) if usd is not None else None
