"""Every CloudFormation door to accelerated capacity is known: the resource types whose schema names an instance
type are each listed in `aif_resources` (where they name it) or excused with a reason, so a new resource type
or property fails here until it is classified. The schemas are those cfn-lint ships (one per resource type)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

import cfnlint
import pytest

from aifinops.policies.resource_facts import aif_resources as r

SCHEMAS = Path(cfnlint.__file__).parent / "data" / "schemas"
# Properties that name instance types (or a family, or patterns of types).
TYPE_PROPERTY = re.compile(r"(InstanceTypes?|InstanceFamily|AllowedInstanceTypes|EC2InstanceType)$")
IGNORED_LEAVES = ("ExcludedInstanceTypes", "HiddenInstanceTypes")  # what may not launch or is not shown


@cache
def schema_paths() -> dict[str, set[str]]:
    """Resource type -> every property path (`A.B[].C`) that names instance types."""
    index = json.loads((SCHEMAS / "providers" / "us-east-1.json").read_text(encoding="utf-8"))
    found: dict[str, set[str]] = {}
    for resource_type, digest in index.items():
        file = SCHEMAS / "resources" / f"{digest}.json"
        if file.exists():
            schema = json.loads(file.read_text(encoding="utf-8"))
            paths = {p for p in _walk(schema, schema, "", frozenset(), 0)
                     if not p.endswith(IGNORED_LEAVES)}
            if paths:
                found[resource_type] = paths
    return found


def _walk(schema: dict[str, Any], node: Any, path: str, seen: frozenset[str], depth: int) -> Iterator[str]:
    if depth > 14 or not isinstance(node, dict):
        return
    ref = node.get("$ref")
    if isinstance(ref, str):
        if ref in seen:
            return
        target: Any = schema
        for part in ref.removeprefix("#/").split("/"):
            target = target.get(part, {}) if isinstance(target, dict) else {}
        yield from _walk(schema, target, path, seen | {ref}, depth + 1)
        return
    for name, sub in (node.get("properties") or {}).items():
        step = f"{path}.{name}" if path else name
        if TYPE_PROPERTY.search(name):
            yield step
        yield from _walk(schema, sub, step, seen, depth + 1)
    if "items" in node:
        yield from _walk(schema, node["items"], f"{path}[]", seen, depth + 1)
    for key in ("oneOf", "anyOf", "allOf"):
        for sub in node.get(key) or []:
            yield from _walk(schema, sub, path, seen, depth + 1)


def _classified(resource_type: str, path: str) -> bool:
    if resource_type in r.NOT_CAPACITY or f"{resource_type} {path}" in r.NOT_CAPACITY:
        return True
    if path in r.INSTANCE_TYPE_PATHS.get(resource_type, ()):
        return True
    return any(path.startswith(f"{requirements}.") for requirements in r.REQUIREMENT_PATHS.get(resource_type, ()))


def test_the_schemas_are_read() -> None:
    assert {"AWS::EC2::Instance", "AWS::SageMaker::EndpointConfig", "AWS::EMR::Cluster"} <= set(schema_paths())


@pytest.mark.parametrize("resource_type", sorted(schema_paths()))
def test_every_instance_type_property_is_classified(resource_type: str) -> None:
    unclassified = sorted(p for p in schema_paths()[resource_type] if not _classified(resource_type, p))
    assert not unclassified, (
        f"{resource_type} names instance types at {unclassified}: list the path in aif_resources."
        "INSTANCE_TYPE_PATHS (or REQUIREMENT_PATHS) so the checks judge it, or in NOT_CAPACITY with the reason")


@pytest.mark.parametrize("resource_type", sorted(r.INSTANCE_TYPE_PATHS))
def test_every_listed_path_exists_in_the_schema(resource_type: str) -> None:
    assert set(r.INSTANCE_TYPE_PATHS[resource_type]) <= schema_paths().get(resource_type, set())


@pytest.mark.parametrize("resource_type", sorted(r.REQUIREMENT_PATHS))
def test_every_requirements_path_exists_in_the_schema(resource_type: str) -> None:
    found = schema_paths().get(resource_type, set())
    for requirements in r.REQUIREMENT_PATHS[resource_type]:
        assert any(p.startswith(f"{requirements}.") for p in found), requirements


def test_excuses_name_real_properties() -> None:
    for key in r.NOT_CAPACITY:
        resource_type, _, path = key.partition(" ")
        assert resource_type in schema_paths(), key
        assert not path or path in schema_paths()[resource_type], key
