"""What a template's accelerated resources can cost when no aifinops construct recorded it: raw L1s, L2s and
escape hatches (every door of `aif_resources.INSTANCE_TYPE_PATHS`: EC2 instances, Auto Scaling groups and their
launch templates or configurations, EC2 and Spot fleets, capacity reservations, EKS node groups, SageMaker
endpoint configs, notebooks, Studio apps and HyperPod clusters, EMR, Batch compute environments...), read from
the synthesized template.

Each gives (instance type, minimum instances, full instances); the report prices them like construct
workloads. A count the template does not state literally is not guessed: the resource is listed with its type
and "capacity unresolved". Launch templates and configurations are not priced on their own: what launches from
them is, with their instance type when it names none itself.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from aifinops.catalog import accelerator_catalog, vcpus_of
from aifinops.catalog.accelerators import is_accelerated
from aifinops.policies.resource_facts import aif_resources as r
from aifinops.policies.resource_facts import aif_template as t
from aifinops.template_metadata import CAPACITY


@dataclass(frozen=True)
class RawCapacity:
    logical_id: str
    resource_type: str
    instance_type: str
    min_instances: float | None  # None: not stated literally in the template
    max_instances: float | None
    tags: Mapping[str, str | None]


def raw_capacities(resources: Mapping[str, Any]) -> list[RawCapacity]:
    """The accelerated resources of one template's `Resources` that no construct recorded (CAPACITY metadata)."""
    recorded_configs = _configs_of_recorded_endpoints(resources)
    found: list[RawCapacity] = []
    for logical_id, resource in resources.items():
        if not isinstance(resource, dict) or CAPACITY in (resource.get("Metadata") or {}):
            continue
        kind, props = str(resource.get("Type", "")), resource.get("Properties") or {}
        if kind in _PRICED_WHERE_LAUNCHED or kind not in r.INSTANCE_TYPE_TYPES or logical_id in recorded_configs:
            continue
        tags = r.cost_tags(kind, props) or {}
        if kind == r.ENDPOINT_CONFIG:  # one line per variant: each runs its own fleet
            for variant in t.as_list(props.get("ProductionVariants")) + t.as_list(
                    props.get("ShadowProductionVariants")):
                if isinstance(variant, dict) and _accelerated(variant.get("InstanceType")):
                    count = t.number(variant.get("InitialInstanceCount"))
                    found.append(RawCapacity(logical_id, kind, variant["InstanceType"], count, count, tags))
            continue
        types = [v for v in r.instance_types(kind, props, _families()) + _launched_from(kind, props, resources)
                 if _accelerated(v)]
        if not types:
            continue
        low, high = _counts(kind, props, types[0])
        found.append(RawCapacity(logical_id, kind, types[0], low, high, tags))
    return found


_PRICED_WHERE_LAUNCHED = (r.LAUNCH_TEMPLATE, r.LAUNCH_CONFIGURATION)


def _launched_from(kind: str, props: Mapping[str, Any], resources: Mapping[str, Any]) -> list[Any]:
    """The instance types of the launch templates and configurations of this template that an Auto Scaling
    group or a fleet launches from (by reference)."""
    if kind == r.AUTO_SCALING_GROUP:
        given = [props.get("LaunchTemplate"), props.get("LaunchConfigurationName"),
                 _mapping(props.get("MixedInstancesPolicy")).get("LaunchTemplate")]
    elif kind in (r.EC2_FLEET, r.SPOT_FLEET):
        given = [props.get("LaunchTemplateConfigs"), _mapping(props.get("SpotFleetRequestConfigData"))]
    else:
        return []
    found: list[Any] = []
    for logical_id in {ref for value in given for ref in t.references(value)}:
        other = resources.get(logical_id)
        if isinstance(other, dict) and other.get("Type") in _PRICED_WHERE_LAUNCHED:
            found.extend(r.instance_types(str(other["Type"]), other.get("Properties") or {}, _families()))
    return found


def _families() -> tuple[str, ...]:
    return accelerator_catalog().ec2_family_names()


def _accelerated(value: Any) -> bool:
    return isinstance(value, str) and is_accelerated(value) is True


def _counts(kind: str, props: Mapping[str, Any], instance_type: str) -> tuple[float | None, float | None]:
    """(minimum, full) instances as the template states them."""
    if kind in (r.EC2_INSTANCE, r.NOTEBOOK, r.STUDIO_APP, "AWS::WorkspacesInstances::WorkspaceInstance"):
        return 1, 1
    if kind in (r.CAPACITY_RESERVATION, r.EMR_INSTANCE_GROUP):  # a reservation is billed whether used or not
        count = t.number(props.get("InstanceCount"))
        return count, count
    if kind == "AWS::PCS::ComputeNodeGroup":
        scaling = _mapping(props.get("ScalingConfiguration"))
        return t.number(scaling.get("MinInstanceCount")), t.number(scaling.get("MaxInstanceCount"))
    if kind == r.AUTO_SCALING_GROUP:
        return t.number(props.get("MinSize")), t.number(props.get("MaxSize"))
    if kind == r.EKS_NODEGROUP:
        scaling = _mapping(props.get("ScalingConfig"))
        return t.number(scaling.get("MinSize")), t.number(scaling.get("MaxSize"))
    if kind == r.EC2_FLEET:
        spec = props.get("TargetCapacitySpecification")
        total = t.number(spec.get("TotalTargetCapacity")) if isinstance(spec, dict) else None
        return total, total
    if kind == r.SPOT_FLEET:
        data = props.get("SpotFleetRequestConfigData")
        total = t.number(data.get("TargetCapacity")) if isinstance(data, dict) else None
        return total, total
    if kind == r.SAGEMAKER_CLUSTER:
        counts = [t.number(g.get("InstanceCount")) for g in t.as_list(props.get("InstanceGroups"))
                  if isinstance(g, dict) and g.get("InstanceType") == instance_type]
        total = None if any(c is None for c in counts) else sum(c or 0 for c in counts)
        return total, total
    if kind == r.COMPUTE_ENVIRONMENT:  # vCPU bounds, in instances of the first accelerated type
        resources = _mapping(props.get("ComputeResources"))
        vcpus = vcpus_of(instance_type)
        low, high = t.number(resources.get("MinvCpus", 0)), t.number(resources.get("MaxvCpus"))
        if not vcpus:
            return None, None
        return (None if low is None else low / vcpus), (None if high is None else high / vcpus)
    return None, None


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, dict) else {}


def _configs_of_recorded_endpoints(resources: Mapping[str, Any]) -> set[str]:
    """Endpoint configs whose endpoint a construct already recorded: priced once, on the endpoint."""
    found: set[str] = set()
    for resource in resources.values():
        if isinstance(resource, dict) and resource.get("Type") == r.ENDPOINT and \
                CAPACITY in (resource.get("Metadata") or {}):
            found.update(t.references((resource.get("Properties") or {}).get("EndpointConfigName")))
    return found
