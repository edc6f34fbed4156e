"""Reading synthesized template values: intrinsics, references between resources, tags, instance types.

Unresolved values (tokens at synth) appear as intrinsic functions. These helpers never guess: a value
they cannot read comes back as None, and each rule says what it does then.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from aifinops.catalog import accelerator_catalog
from aifinops.catalog.accelerators import is_accelerated as catalog_is_accelerated
from aifinops.config import ENVIRONMENT, Environment, FinOpsConfig
from aifinops.naming import NAME_PREFIX
from aifinops.policies.nag.rule import ResourceView
from aifinops.policies.resource_facts import aif_resources
from aifinops.policies.resource_facts.aif_template import SUB_REF, references, render
from aifinops.template_metadata import GUARD


def unknown_references(text: str, resource: ResourceView) -> list[str]:
    """The names `text` refers to that are neither resources of the template nor pseudo parameters
    (parameters, imports): they could stand for anything."""
    return [name for name in SUB_REF.findall(text)
            if not name.startswith("AWS::") and name.split(".")[0] not in resource.siblings]


def names_of(logical_id: str, properties: Mapping[str, Any], name_property: str) -> set[str]:
    """How a template can name a resource: ``${LogicalId}`` and, when literal, its physical name."""
    names = {f"${{{logical_id}}}"}
    name = properties.get(name_property)
    if isinstance(name, str):
        names.add(name)
    return names


def refers_to(value: Any, names: set[str]) -> bool:
    """True when `value` renders to one of `names` (a reference or the literal physical name)."""
    text = render(value)
    return text is not None and text in names


def tags_of(resource: ResourceView) -> dict[str, str | None] | None:
    """The resource's tags as synthesized; for a launch template, those of every `instance` tag
    specification, merged. None when the tags cannot be read. Read as CKV_AIF_1 reads them (one function)."""
    return aif_resources.cost_tags(resource.type, resource.properties)


def environment_of(resource: ResourceView, config: FinOpsConfig) -> tuple[str, Environment] | None:
    """The environment named by the resource's `environment` cost tag, when literal and configured. A door
    that carries no tags of its own (a launch configuration, an EMR instance group or fleet) takes the
    environment of the resources that refer to it (its Auto Scaling group, its cluster), else the one every
    environment-tagged resource of the template agrees on."""
    if resource.type in aif_resources.UNTAGGED_DOORS:
        return _configured(_referrers_environment(resource) or template_environment(resource), config)
    return _configured((tags_of(resource) or {}).get(ENVIRONMENT), config)


def template_environment(resource: ResourceView) -> str | None:
    """The `environment` cost tag every environment-tagged resource of the template agrees on."""
    values = {value for other in resource.siblings.values()
              if (value := _environment_tag(other)) is not None}
    return next(iter(values)) if len(values) == 1 else None


def _referrers_environment(resource: ResourceView) -> str | None:
    values = {value for other in resource.siblings.values()
              if resource.logical_id in set(references(other.get("Properties")))
              and (value := _environment_tag(other)) is not None}
    return next(iter(values)) if len(values) == 1 else None


def _environment_tag(other: Any) -> str | None:
    if not isinstance(other, Mapping):
        return None
    tags = aif_resources.cost_tags(str(other.get("Type", "")), other.get("Properties") or {})
    value = (tags or {}).get(ENVIRONMENT)
    return value if isinstance(value, str) else None


def _configured(name: str | None, config: FinOpsConfig) -> tuple[str, Environment] | None:
    if name is None or name not in config.environments:
        return None
    return name, config.environments[name]


def instance_types(resource: ResourceView) -> list[str | None]:
    """Every instance type the resource names (as CKV_AIF_2 reads them: one function); None for an unresolved one.
    Attribute-based selection names the accelerated families it can launch."""
    found = aif_resources.instance_types(resource.type, resource.properties,
                                         accelerator_catalog().ec2_family_names())
    return [t if isinstance(t, str) else None for t in found if t is not None]  # absent: not named


def is_accelerated(instance_type: str) -> bool:
    """A type or family (`g5.xlarge`, `ml.g5.xlarge`, `g5`) of a catalog accelerator family."""
    return catalog_is_accelerated(instance_type) is True


def is_guard_function(properties: Mapping[str, Any], metadata: Mapping[str, Any]) -> bool:
    """A GPU guard or budget enforcer function: named `aifinops-...` (GpuGuard, BudgetEnforcer) or
    carrying the guard metadata (GuardStack)."""
    name = properties.get("FunctionName")
    return GUARD in metadata or (isinstance(name, str) and name.startswith(f"{NAME_PREFIX}-"))
