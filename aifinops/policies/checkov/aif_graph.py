"""What the AiFinOps graph checks share: the scan's resources from checkov's graph, and registration.

A checkov resource check sees only its own resource (`scan_resource_conf(conf)`; CloudFormation registries
never get the graph), so a verdict that needs other resources of the template (CKV_AIF_3, CKV_AIF_5) is a
graph check in Python registered with checkov's CloudFormation graph registry.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from checkov.common.checks_infra.registry import get_graph_checks_registry  # type: ignore[import-not-found,unused-ignore]
from checkov.runner_filter import RunnerFilter  # type: ignore[import-not-found,unused-ignore]

if TYPE_CHECKING:
    from aifinops.policies.resource_facts import aif_template
else:  # checkov runs each file as a top-level module, with this directory on sys.path
    import aif_facts  # noqa: F401  (first: puts resource_facts on sys.path)
    import aif_template

REASON_KEY = "aifinops_details"  # checkov keeps no details for graph checks: a failure's reason rides in its entity


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


def resources(graph: Any) -> list[Resource]:
    """The resources of the scan (every file), from either graph library checkov may use."""
    return [Resource.of(v) for v in _vertices(graph) if v.get("block_type_") == "resource"]


def _vertices(graph: Any) -> list[dict[str, Any]]:
    """Vertex attributes from either graph library checkov may use: networkx, or rustworkx (its default)."""
    networkx = type(graph).__module__.startswith("networkx")
    nodes = graph.nodes(data=True) if networkx else graph.nodes()
    return [data for _, data in nodes]


def register(check: Any) -> None:
    """Register a graph check once: checkov may execute a check file more than once."""
    registry = get_graph_checks_registry("cloudformation")
    if not any(c.id == check.id for c in registry.checks):
        RunnerFilter.notify_external_check(check.id)
        registry.checks.append(check)
