"""CKV_AIF_3: a SageMaker endpoint has auto scaling (an Application Auto Scaling scalable target on its variant
or on one of its inference components); outside production one of them can reach zero capacity or runs on a
schedule.

The verdict needs other resources of the template than the endpoint, and a checkov resource check sees only
its own resource (`scan_resource_conf(conf)`; CloudFormation registries never get the graph). A YAML graph
check sees connections but neither the policy (which environments are production) nor names written as
literals (`endpoint/my-endpoint/variant/AllTraffic`). So this is a graph check in Python: it reads every
resource of the scan, matches scalable targets to endpoints by reference (Ref, Fn::GetAtt, Fn::Sub) or by
literal name, and registers itself with checkov's CloudFormation graph registry. Its results honour
`Metadata.checkov.skip` like any check; the test suite pins its behaviour on the pinned checkov version.
The verdicts are those of the cdk-nag rule AiFinOps-SM1: without the environment tag of a configured
environment (CKV_AIF_1 reports that), or with an unresolved MinCapacity, scale-down is not judged.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from checkov.common.checks_infra.registry import get_graph_checks_registry  # type: ignore[import-not-found,unused-ignore]
from checkov.common.graph.checks_infra.base_check import BaseGraphCheck  # type: ignore[import-not-found,unused-ignore]
from checkov.runner_filter import RunnerFilter  # type: ignore[import-not-found,unused-ignore]

if TYPE_CHECKING:
    from aifinops.policies.checkov import aif_policy, aif_resources, aif_template
else:  # checkov runs each file as a top-level module, with this directory on sys.path
    import aif_policy
    import aif_resources
    import aif_template

CHECK_ID = "CKV_AIF_3"
ENDPOINT = "AWS::SageMaker::Endpoint"
COMPONENT = "AWS::SageMaker::InferenceComponent"
TARGET = "AWS::ApplicationAutoScaling::ScalableTarget"


@dataclass(frozen=True, eq=False)  # identity equality: a resource is a vertex, and a dict key here
class Resource:
    """A resource of the scan, from its graph vertex (`config_` holds its properties as written)."""

    vertex: dict[str, Any]
    file: str
    logical_id: str
    type: str
    props: dict[str, Any]

    @classmethod
    def of(cls, vertex: dict[str, Any]) -> Resource:
        props = aif_template.clean(vertex.get("config_") or {})
        return cls(vertex, str(vertex.get("file_path_", "")), str(vertex.get("block_name_", "")).split(".")[-1],
                   str(vertex.get("resource_type", "")), props if isinstance(props, dict) else {})


class EndpointScaling(BaseGraphCheck):  # type: ignore[misc,unused-ignore]
    def __init__(self) -> None:
        super().__init__()
        self.id = CHECK_ID
        self.name = ("SageMaker endpoints have auto scaling; outside production they can scale to zero "
                     "or down on a schedule")
        self.category = "GENERAL_SECURITY"
        self.resource_types = [ENDPOINT]
        self.frameworks = ["cloudformation"]

    def run(self, graph_connector: Any) -> tuple[list[dict[str, Any]], list[dict[str, Any]], list[dict[str, Any]]]:
        resources = [Resource.of(v) for v in _vertices(graph_connector) if v.get("block_type_") == "resource"]
        passed: list[dict[str, Any]] = []
        failed: list[dict[str, Any]] = []
        for endpoint, problem in verdicts(resources):
            (failed if problem else passed).append(endpoint.vertex)
        return passed, failed, []


def verdicts(resources: list[Resource]) -> list[tuple[Resource, str | None]]:
    """Each endpoint with its problem (None: compliant)."""
    endpoints = [r for r in resources if r.type == ENDPOINT]
    if not endpoints:
        return []
    try:
        policy = aif_policy.current_policy()
    except aif_policy.PolicyUnavailable as exc:
        return [(e, str(exc)) for e in endpoints]
    targets = _targets_by_endpoint(resources, endpoints)
    results: list[tuple[Resource, str | None]] = []
    for endpoint in endpoints:
        own = targets.get(endpoint, [])
        _, environment = policy.environment(aif_resources.cost_tags(ENDPOINT, endpoint.props))
        if not own:
            results.append((endpoint, "no Application Auto Scaling scalable target"))
        elif environment is not None and not environment.production and not any(_idles(t) for t in own):
            results.append((endpoint, "outside production: no scalable target with MinCapacity 0 or a schedule"))
        else:
            results.append((endpoint, None))
    return results


def _idles(target: Resource) -> bool:
    """Capacity can reach zero (inference components only), a schedule changes it, or MinCapacity is unresolved."""
    floor = target.props.get("MinCapacity")
    return floor == 0 or not isinstance(floor, int | float) or bool(target.props.get("ScheduledActions"))


def _targets_by_endpoint(resources: list[Resource], endpoints: list[Resource]) -> dict[Resource, list[Resource]]:
    by_id = {(e.file, e.logical_id): e for e in endpoints}
    by_name = {name: e for e in endpoints if (name := aif_template.literal(e.props.get("EndpointName")))}
    # inference component -> its endpoint, by logical id and by literal name
    component_ids: dict[tuple[str, str], Resource] = {}
    component_names: dict[str, Resource] = {}
    for c in (r for r in resources if r.type == COMPONENT):
        endpoint = _endpoint_of(c.file, c.props.get("EndpointName"), by_id, by_name)
        if endpoint is not None:
            component_ids[(c.file, c.logical_id)] = endpoint
            if name := aif_template.literal(c.props.get("InferenceComponentName")):
                component_names[name] = endpoint
    found: dict[Resource, list[Resource]] = defaultdict(list)
    for target in (r for r in resources if r.type == TARGET and r.props.get("ServiceNamespace") == "sagemaker"):
        resource_id = target.props.get("ResourceId")
        scaled = [by_id.get((target.file, ref)) or component_ids.get((target.file, ref))
                  for ref in aif_template.references(resource_id)]
        # checkov renders Fn::Join / Fn::GetAtt of literal names into the vertex's ResourceId
        rendered = aif_template.literal(resource_id) or aif_template.literal(target.vertex.get("ResourceId"))
        if rendered:
            kind, _, rest = rendered.partition("/")
            name = rest.split("/", 1)[0]
            scaled.append(by_name.get(name) if kind == "endpoint" else component_names.get(name))
        for endpoint in {e for e in scaled if e is not None}:
            found[endpoint].append(target)
    return found


def _endpoint_of(file: str, value: Any, by_id: dict[tuple[str, str], Resource],
                 by_name: dict[str, Resource]) -> Resource | None:
    for ref in aif_template.references(value):
        if (file, ref) in by_id:
            return by_id[(file, ref)]
    name = aif_template.literal(value)
    return by_name.get(name) if name else None


def _vertices(graph: Any) -> list[dict[str, Any]]:
    """Vertex attributes from either graph library checkov may use: networkx, or rustworkx (its default)."""
    networkx = type(graph).__module__.startswith("networkx")
    nodes = graph.nodes(data=True) if networkx else graph.nodes()
    return [data for _, data in nodes]


_registry = get_graph_checks_registry("cloudformation")
if not any(c.id == CHECK_ID for c in _registry.checks):  # checkov may execute this file more than once
    RunnerFilter.notify_external_check(CHECK_ID)
    _registry.checks.append(EndpointScaling())
