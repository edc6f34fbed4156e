"""The catalog classifies every instance family AWS offers, once (issue 11): every family of botocore's EC2
`InstanceType` enum and every `ml.*` family of the SageMaker enums is either accelerated or not. A family that
a new botocore adds fails here until accelerators.yaml classifies it; the sizes and SageMaker offers of the
accelerated families match botocore's, so the guard's exact type names and the SCP patterns stay complete."""

from __future__ import annotations

from collections import defaultdict
from functools import cache

import botocore.session
import pytest

from aifinops.catalog import accelerator_catalog
from aifinops.catalog.accelerators import is_accelerated


@cache
def _ec2_sizes() -> dict[str, set[str]]:
    sizes: dict[str, set[str]] = defaultdict(set)
    enum = botocore.session.get_session().get_service_model("ec2").shape_for("InstanceType").enum
    for name in enum:
        family, _, size = name.partition(".")
        sizes[family].add(size)
    return dict(sizes)


@cache
def _sagemaker_sizes() -> dict[str, set[str]]:
    """ml.<family> -> sizes, from every SageMaker enum holding ml.* values (endpoints, training, notebooks,
    processing, transform, apps, clusters, accelerators ...)."""
    model = botocore.session.get_session().get_service_model("sagemaker")
    sizes: dict[str, set[str]] = defaultdict(set)
    for shape_name in model.shape_names:
        for value in getattr(model.shape_for(shape_name), "enum", None) or ():
            if value.startswith("ml."):
                _, family, size = value.split(".", 2)
                sizes[family].add(size)
    return dict(sizes)


def test_the_enums_are_read() -> None:
    assert len(_ec2_sizes()) > 150 and "p5" in _ec2_sizes()
    assert len(_sagemaker_sizes()) > 50 and "g5" in _sagemaker_sizes()


def test_every_family_botocore_knows_is_classified() -> None:
    unclassified = sorted(f for f in {*_ec2_sizes(), *_sagemaker_sizes()} if is_accelerated(f) is None)
    assert not unclassified, (f"classify these families in aifinops/catalog/accelerators.yaml (families: or "
                              f"other_families:): {unclassified}")


def test_nothing_is_classified_that_aws_does_not_offer() -> None:
    catalog = accelerator_catalog()
    known = {*_ec2_sizes(), *_sagemaker_sizes()}
    assert not (set(catalog.family_names()) | catalog.other_families) - known


@pytest.mark.parametrize("family", [f.name for f in accelerator_catalog().families])
def test_accelerated_family_matches_botocore(family: str) -> None:
    entry = accelerator_catalog().family(family)
    assert entry is not None
    ec2, sagemaker = _ec2_sizes().get(family, set()), _sagemaker_sizes().get(family, set())
    assert entry.ec2 == bool(ec2), f"{family}: ec2 flag"
    if entry.ec2:
        assert set(entry.sizes) == ec2, f"{family}: sizes differ from botocore's EC2 enum"
    assert entry.sagemaker == bool(sagemaker), f"{family}: sagemaker flag"
    assert sagemaker <= set(entry.sizes), f"{family}: SageMaker sizes the catalog lacks: {sagemaker - set(entry.sizes)}"


@pytest.mark.parametrize(("instance_type", "expected"), [
    ("p2.xlarge", True), ("p3dn.24xlarge", True), ("g4ad.xlarge", True), ("g5g.metal", True), ("dl1.24xlarge", True),
    ("dl2q.24xlarge", True), ("trn1n.32xlarge", True), ("trn2.48xlarge", True), ("inf1.xlarge", True),
    ("p4de.24xlarge", True), ("p5e.48xlarge", True), ("p5en.48xlarge", True), ("p6-b200.48xlarge", True),
    ("f1.2xlarge", True), ("ml.p3.2xlarge", True), ("ml.eia2.medium", True), ("ml.g6e.xlarge", True),
    ("m5.large", False), ("ml.m5.xlarge", False), ("mac2-m2pro.metal", False), ("u7i-12tb.224xlarge", False),
    ("zz9.xlarge", None),
])
def test_is_accelerated(instance_type: str, expected: bool | None) -> None:
    assert is_accelerated(instance_type) is expected
