"""Every CloudFormation door to accelerated capacity is known: the resource types whose schema names an instance
type are each listed in `aif_resources` (where they name it) or excused with a reason, so a new resource type
or property fails here until it is classified. The schemas are those cfn-lint ships (one per resource type)."""

from __future__ import annotations

import pytest

from aifinops.policies.resource_facts import aif_resources as r
from tests.policies import cfn_schemas

# Properties that name instance types (or a family, or patterns of types).
TYPE_PROPERTY = r"(InstanceTypes?|InstanceFamily|AllowedInstanceTypes|EC2InstanceType)$"
IGNORED_LEAVES = ("ExcludedInstanceTypes", "HiddenInstanceTypes")  # what may not launch or is not shown


def schema_paths() -> dict[str, set[str]]:
    return cfn_schemas.schema_paths(TYPE_PROPERTY, IGNORED_LEAVES)


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
