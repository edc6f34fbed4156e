"""Prices of flagged and stopped resources: the catalog first, the Price List API (botocore Stubber: moto has no
Pricing API) for what the catalog cannot price, cached per scan, the estimate or "unpriced" when it fails, never $0."""

from __future__ import annotations

import dataclasses
import json
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber

from aifinops.lambdas.guard.model import Kind, Resource
from aifinops.lambdas.guard.pricing import CATALOG, ESTIMATE, PRICE_LIST, UNPRICED, PriceBook
from tests.lambdas.guard.factories import reference_policy

POLICY = reference_policy()


class _Clients:
    def __init__(self, client: Any) -> None:
        self.pricing = client
        self.asked: list[tuple[str, str]] = []

    def client(self, service: str, region: str) -> Any:
        self.asked.append((service, region))
        return self.pricing


def _stubbed() -> tuple[_Clients, Stubber]:
    client = boto3.client("pricing", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x")
    return _Clients(client), Stubber(client)


def _resource(kind: Kind, instance_type: str, count: int = 1, region: str = "us-east-1",
              fleet: tuple[tuple[str, int], ...] = ()) -> Resource:
    return Resource(kind=kind, id="r", arn="arn:r", account="222222222222", region=region,
                    instance_type=instance_type, instance_count=count, launched_at=None, fleet=fleet)


def _product(attributes: dict[str, str], usd: str, unit: str = "Hrs") -> str:
    return json.dumps({"product": {"attributes": attributes}, "terms": {"OnDemand": {"SKU.TERM": {
        "priceDimensions": {"SKU.TERM.RATE": {"unit": unit, "pricePerUnit": {"USD": usd}}}}}}})


def _filters(**wanted: str) -> list[dict[str, str]]:
    return [{"Type": "TERM_MATCH", "Field": k, "Value": v} for k, v in wanted.items()]


EC2_FIXED = {"operatingSystem": "Linux", "tenancy": "Shared", "preInstalledSw": "NA", "capacitystatus": "Used",
             "licenseModel": "No License required", "marketoption": "OnDemand"}


def test_catalog_prices_need_no_call() -> None:
    clients, stub = _stubbed()
    with stub:
        quote = PriceBook(POLICY, clients).quote(_resource(Kind.EC2_INSTANCE, "p5.48xlarge", 2))
    assert (quote.usd, quote.source, quote.estimate) == (110.08, CATALOG, False) and clients.asked == []


def test_a_type_the_catalog_lacks_is_asked_once_per_scan() -> None:
    clients, stub = _stubbed()
    wanted = {"instanceType": "p5e.48xlarge", "regionCode": "us-east-1", **EC2_FIXED}
    stub.add_response("get_products", {"PriceList": [
        _product({**wanted, "marketoption": "CapacityBlock"}, "0.0000000000"),  # a looser match: skipped
        _product(wanted, "0.0000000000"),  # no price: skipped
        _product(wanted, "69.9680000000")], "FormatVersion": "aws_v1"},
        {"ServiceCode": "AmazonEC2", "Filters": _filters(**wanted), "MaxResults": 100})
    book = PriceBook(POLICY, clients)
    with stub:
        first = book.quote(_resource(Kind.EC2_INSTANCE, "p5e.48xlarge"))
        second = book.quote(_resource(Kind.EC2_INSTANCE, "p5e.48xlarge", 3))
        stub.assert_no_pending_responses()
    assert (first.usd, first.source, second.usd) == (69.968, PRICE_LIST, 209.904)
    assert clients.asked == [("pricing", "us-east-1")] and book.warnings == []


@pytest.mark.parametrize(("kind", "component"), [(Kind.ENDPOINT, "Hosting"), (Kind.TRAINING_JOB, "Training"),
                                                 (Kind.NOTEBOOK, "Notebook")])
def test_sagemaker_prices_come_from_the_price_list_per_component(kind: Kind, component: str) -> None:
    clients, stub = _stubbed()
    wanted = {"instanceName": "ml.g5.xlarge", "regionCode": "eu-west-1", "component": component}
    stub.add_response("get_products", {"PriceList": [_product(wanted, "1.5760000000")]},
                      {"ServiceCode": "AmazonSageMaker", "Filters": _filters(**wanted), "MaxResults": 100})
    with stub:
        quote = PriceBook(POLICY, clients).quote(_resource(kind, "ml.g5.xlarge", 2, region="eu-west-1"))
    assert (quote.usd, quote.source, quote.estimate) == (3.152, PRICE_LIST, False)


def test_an_endpoint_sums_its_variants_and_a_variant_at_zero_costs_nothing() -> None:
    clients, stub = _stubbed()
    stub.add_client_error("get_products", "AccessDeniedException", "no pricing:GetProducts", http_status_code=400)
    book = PriceBook(POLICY, clients)
    fleet = (("ml.g5.xlarge", 2), ("ml.g5.12xlarge", 1), ("ml.p5.48xlarge", 0))
    with stub:
        quote = book.quote(_resource(Kind.ENDPOINT, "ml.g5.12xlarge", 3, fleet=fleet))
    # the Price List failed: the EC2 hardware's catalog prices, flagged as estimates
    assert (quote.usd, quote.source, quote.estimate) == (round(2 * 1.006 + 5.672, 4), ESTIMATE, True)


def test_a_price_list_failure_is_one_warning_and_never_zero() -> None:
    clients, stub = _stubbed()
    stub.add_client_error("get_products", "AccessDeniedException", "no pricing:GetProducts", http_status_code=400)
    book = PriceBook(POLICY, clients)
    with stub:
        unpriced = book.quote(_resource(Kind.EC2_INSTANCE, "p5e.48xlarge"))
        estimate = book.quote(_resource(Kind.NOTEBOOK, "ml.g5.xlarge"))
        other_region = book.quote(_resource(Kind.EC2_INSTANCE, "g5.xlarge", region="eu-west-1"))
        catalog = book.quote(_resource(Kind.EC2_INSTANCE, "g5.xlarge"))
        stub.assert_no_pending_responses()  # one failed call, then the Price List is not asked again
    assert (unpriced.usd, unpriced.source, unpriced.unpriced) == (None, UNPRICED, ("p5e.48xlarge",))
    assert (estimate.usd, estimate.source, estimate.estimate) == (1.006, ESTIMATE, True)
    assert (other_region.usd, other_region.source) == (1.006, ESTIMATE)
    assert (catalog.usd, catalog.source) == (1.006, CATALOG)
    assert [(w["operation"], w["code"]) for w in book.warnings] == [("GetProducts", "AccessDeniedException")]


def test_a_type_the_price_list_does_not_know_is_unpriced() -> None:
    clients, stub = _stubbed()
    stub.add_response("get_products", {"PriceList": []})
    with stub:
        quote = PriceBook(POLICY, clients).quote(_resource(Kind.EC2_INSTANCE, "zz9.xlarge"))
    assert (quote.usd, quote.source, quote.unpriced) == (None, UNPRICED, ("zz9.xlarge",))


def test_a_policy_without_prices_asks_for_everything() -> None:
    clients, stub = _stubbed()
    stub.add_response("get_products", {"PriceList": [_product({}, "1.2")]})
    with stub:
        quote = PriceBook(dataclasses.replace(POLICY, prices={}), clients).quote(_resource(Kind.EC2_INSTANCE,
                                                                                           "g5.xlarge"))
    assert (quote.usd, quote.source) == (1.2, PRICE_LIST)
