"""Which EC2 instance types are accelerated: DescribeInstanceTypes first (any accelerator info), the family list
as fallback for types the API does not describe (an unknown type in the region, an API error, or a stand-in such
as moto that lacks data for p3)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from aifinops_runtime.accelerators import ACCELERATOR_INFO

# Mirrors the families of aifinops/catalog/accelerators.yaml (this package cannot read the catalog);
# tests/lambdas/budget_enforcer/test_accelerators.py keeps the two equal.
FALLBACK_FAMILIES = frozenset({
    "cg1", "dl1", "dl2q", "eia1", "eia2", "f1", "f2", "g2", "g3", "g3s", "g4ad", "g4dn", "g5", "g5g", "g6", "g6e",
    "g6f", "g7", "g7e", "gr6", "gr6f", "inf1", "inf2", "p2", "p3", "p3dn", "p4d", "p4de", "p5", "p5e", "p5en",
    "p6-b200", "p6-b300", "p6e-gb200", "trn1", "trn1n", "trn2", "trn2u", "vt1",
})
CHUNK = 100  # DescribeInstanceTypes takes at most 100 InstanceTypes

__all__ = ["FALLBACK_FAMILIES", "accelerated_types", "family_is_accelerated"]


def family_is_accelerated(instance_type: str) -> bool:
    return instance_type.removeprefix("ml.").split(".", 1)[0] in FALLBACK_FAMILIES


def accelerated_types(ec2: Any, instance_types: Iterable[str]) -> dict[str, bool]:
    """instance type -> accelerated. Either source saying "accelerated" is enough: pausing a GPU the API
    forgot to describe is the safe mistake for a cost control."""
    wanted = sorted(set(instance_types))
    described: dict[str, bool] = {}
    for start in range(0, len(wanted), CHUNK):
        chunk = wanted[start:start + CHUNK]
        try:
            described.update(_describe(ec2, chunk))
        except (ClientError, BotoCoreError):
            # One unknown type (InvalidInstanceType) fails the whole call: describe one by one instead.
            for instance_type in chunk:
                try:
                    described.update(_describe(ec2, [instance_type]))
                except (ClientError, BotoCoreError):
                    continue
    return {t: described.get(t, False) or family_is_accelerated(t) for t in wanted}


def _describe(ec2: Any, instance_types: list[str]) -> dict[str, bool]:
    found: dict[str, bool] = {}
    kwargs: dict[str, Any] = {"InstanceTypes": instance_types}
    while True:
        page = ec2.describe_instance_types(**kwargs)
        for info in page.get("InstanceTypes", []):
            found[info["InstanceType"]] = any(info.get(key) for key in ACCELERATOR_INFO)
        if not page.get("NextToken"):
            return found
        kwargs["NextToken"] = page["NextToken"]
