"""Prices: what each flagged or stopped resource costs per hour, so that no dollar is claimed or hidden as $0.

Per billed instance type (an endpoint sums its variants: price x current instance count):
1. the catalog's price (the policy's `prices`), when it is a real price for the scanned region;
2. the AWS Price List API (`pricing:GetProducts` in us-east-1; EC2: on-demand Linux, shared tenancy, no
   pre-installed software, `capacitystatus` Used, `marketoption` OnDemand; SageMaker: `instanceName` + the
   component of the resource's kind: Hosting, Training, Notebook), one call per type, region and component,
   cached for the scan;
3. the catalog's estimate (an `ml.*` type priced as its EC2 hardware, or the catalog region's price for another
   region), flagged as an estimate;
4. else unpriced: listed as such, never counted as $0.

A Price List failure (no permission, no endpoint, a stand-in without the API) is recorded once as a warning and
the rest of the scan uses steps 1, 3 and 4 only: prices never cost more than one failed call.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from typing import Any

from aifinops_runtime.clients import API_ERRORS, describe_error

from .clients import Clients
from .model import Kind, Resource
from .policy import GuardPolicy

__all__ = ["CATALOG", "ESTIMATE", "PRICE_LIST", "PRICING_REGION", "UNPRICED", "PriceBook", "Quote"]

PRICING_REGION = "us-east-1"  # the Price List API answers in us-east-1 (and ap-south-1)
CATALOG, PRICE_LIST, ESTIMATE, UNPRICED = "catalog", "price-list", "estimate", "unpriced"
COMPONENTS = {Kind.ENDPOINT: "Hosting", Kind.TRAINING_JOB: "Training", Kind.NOTEBOOK: "Notebook"}
_EC2_FILTERS = {"operatingSystem": "Linux", "tenancy": "Shared", "preInstalledSw": "NA", "capacitystatus": "Used",
                "licenseModel": "No License required", "marketoption": "OnDemand"}


@dataclass(frozen=True)
class Quote:
    usd: float | None  # per hour for everything the resource bills; None when any part is unpriced
    estimate: bool
    source: str  # the weakest source used: catalog < price-list < estimate < unpriced
    unpriced: tuple[str, ...] = ()


@dataclass
class PriceBook:
    """One per scan, shared by the regions' threads."""

    policy: GuardPolicy
    clients: Clients
    warnings: list[dict[str, Any]] = field(default_factory=list)
    _cache: dict[tuple[str, str, str], float | None] = field(default_factory=dict)
    _failed: bool = False
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def quote(self, resource: Resource) -> Quote:
        total, estimate, sources, unpriced = 0.0, False, [], []
        component = COMPONENTS.get(resource.kind, "")
        for instance_type, count in resource.billed():
            if count <= 0:
                continue  # a variant scaled to zero bills nothing
            usd, source = self._unit(instance_type, resource.region, component)
            sources.append(source)
            if usd is None:
                unpriced.append(instance_type)
                continue
            total += usd * count
            estimate = estimate or source == ESTIMATE
        estimate = estimate or bool(resource.pricing_note)  # spot, Windows: the on-demand Linux price is an estimate
        order = (CATALOG, PRICE_LIST, ESTIMATE, UNPRICED)
        weakest = max(sources, key=order.index, default=CATALOG)
        if unpriced:
            return Quote(None, estimate, UNPRICED, tuple(dict.fromkeys(unpriced)))
        return Quote(round(total, 4), estimate, weakest)

    def _unit(self, instance_type: str, region: str, component: str) -> tuple[float | None, str]:
        entry = self.policy.price(instance_type)
        if entry is not None and not entry.estimate and region == self.policy.prices_region:
            return entry.usd, CATALOG
        listed = self._listed(instance_type, region, component if instance_type.startswith("ml.") else "")
        if listed is not None:
            return listed, PRICE_LIST
        if entry is not None:
            return entry.usd, ESTIMATE
        return None, UNPRICED

    def _listed(self, instance_type: str, region: str, component: str) -> float | None:
        key = (instance_type, region, component)
        with self._lock:
            if key in self._cache:
                return self._cache[key]
            if self._failed:
                return None
            try:
                price = _get_price(self.clients.client("pricing", PRICING_REGION), instance_type, region, component)
            except API_ERRORS as exc:
                self._failed = True
                code, message = describe_error(exc)
                self.warnings.append({"resource": instance_type, "kind": "pricing", "region": region,
                                      "operation": "GetProducts", "code": code,
                                      "message": f"{message[:300]} (the Price List is not asked again in this scan;"
                                                 f" prices fall back to the catalog's estimates or 'unpriced')"})
                return None
            self._cache[key] = price
            return price


def _get_price(pricing: Any, instance_type: str, region: str, component: str) -> float | None:
    """The hourly on-demand USD price of one type in one region from the Price List, or None when it lists none."""
    if component:
        service = "AmazonSageMaker"
        wanted = {"instanceName": instance_type, "regionCode": region, "component": component}
    else:
        service = "AmazonEC2"
        wanted = {"instanceType": instance_type, "regionCode": region, **_EC2_FILTERS}
    filters = [{"Type": "TERM_MATCH", "Field": k, "Value": v} for k, v in wanted.items()]
    response = pricing.get_products(ServiceCode=service, Filters=filters, MaxResults=100)
    for item in response.get("PriceList", []):
        product = json.loads(item) if isinstance(item, str) else item
        attributes = product.get("product", {}).get("attributes", {})
        if any(attributes.get(k) not in (None, v) for k, v in wanted.items()):
            continue  # a looser match than asked (defensive: TERM_MATCH is exact)
        for term in product.get("terms", {}).get("OnDemand", {}).values():
            for dimension in term.get("priceDimensions", {}).values():
                usd = _float(dimension.get("pricePerUnit", {}).get("USD"))
                if dimension.get("unit") == "Hrs" and usd is not None and usd > 0:
                    return usd
    return None


def _float(value: Any) -> float | None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if number == number and number != float("inf") else None

