"""Accelerator families and prices: one place for each fact, with source and date."""

from __future__ import annotations

import pytest

from aifinops.catalog import (
    accelerator_catalog,
    accelerator_count,
    accelerator_problem,
    hourly_price,
    parse_instance_type,
    price_list,
)

# REFERENCE.md's list of accelerated families.
REFERENCE_FAMILIES = [
    "p3", "p4d", "p4de", "p5", "p5e", "p5en", "p6-b200", "p6-b300", "p6e-gb200", "g4dn", "g5", "g6", "g6e",
    "gr6", "g7e", "trn1", "trn1n", "trn2", "inf1", "inf2", "dl1",
]


def test_every_reference_family_is_in_the_catalog() -> None:
    assert set(REFERENCE_FAMILIES) <= set(accelerator_catalog().family_names())


@pytest.mark.parametrize("value", ["g5", "g5.xlarge", "ml.g5", "ml.g5.12xlarge", "p5.48xlarge", "trn1.32xlarge"])
def test_accelerated_types_pass(value: str) -> None:
    assert accelerator_problem(value) is None


@pytest.mark.parametrize(("value", "fragment"), [
    ("m5.large", "not an accelerated instance family"),
    ("ml.m5.xlarge", "not an accelerated instance family"),
    ("g5.3xlarge", "unknown size"),
    ("ml.g5g.xlarge", "SageMaker does not offer"),
    ("eia1.medium", "EC2 does not offer"),
])
def test_other_types_are_refused_with_the_reason(value: str, fragment: str) -> None:
    problem = accelerator_problem(value)
    assert problem is not None and fragment in problem


def test_parse_instance_type() -> None:
    parsed = parse_instance_type("ml.p6-b200.48xlarge")
    assert (parsed.sagemaker, parsed.family, parsed.size, parsed.name) == (True, "p6-b200", "48xlarge",
                                                                            "ml.p6-b200.48xlarge")
    assert parse_instance_type("g6").size is None


def test_accelerator_counts() -> None:
    assert accelerator_count("p5.48xlarge") == 8
    assert accelerator_count("ml.g5.12xlarge") == 4
    assert accelerator_count("g5") is None


def test_prices_carry_source_and_date() -> None:
    prices = price_list()
    assert prices.source and prices.as_of == "2026-09-24" and prices.region == "us-east-1"
    assert prices.ec2["p5.48xlarge"] == pytest.approx(55.04)


def test_sagemaker_price_is_flagged_as_estimate() -> None:
    ec2, ml = hourly_price("g5.xlarge"), hourly_price("ml.g5.xlarge")
    assert ec2 is not None and not ec2.estimate
    assert ml is not None and ml.estimate and ml.usd == ec2.usd
    assert hourly_price("p5e.48xlarge") is None


# Accelerated EC2 types without an on-demand price in us-east-1 (prices.yaml says why); the guard asks the
# Price List API for these at run time.
UNPRICED_EC2 = {"p5e.48xlarge", "p6e-gb200.36xlarge", "trn2.3xlarge", "trn2.48xlarge", "trn2u.48xlarge",
                "dl2q.24xlarge", "cg1.4xlarge"}


def test_every_accelerated_ec2_type_has_a_price_or_a_reason() -> None:
    missing = {t for t in accelerator_catalog().ec2_type_names() if hourly_price(t) is None}
    assert missing == UNPRICED_EC2


def test_every_priced_type_is_a_known_accelerated_type() -> None:
    for instance_type in price_list().ec2:
        assert accelerator_problem(instance_type) is None, instance_type
