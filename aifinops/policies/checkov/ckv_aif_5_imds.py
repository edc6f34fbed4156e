"""CKV_AIF_5: accelerated EC2 instances and launch templates require IMDSv2 (`aif_imds` decides, for this check
and the cdk-nag rule AiFinOps-IMD1 alike).

An instance's metadata options live in its launch template, another resource of the template: so this is a
graph check (`aif_graph`), like CKV_AIF_3. Without a readable policy (which types are accelerated is part of
it) every instance and launch template fails. A failure's reason is in ``check_result.entity.aifinops_details``.
"""

from __future__ import annotations

from collections import defaultdict
from typing import TYPE_CHECKING, Any

from checkov.common.graph.checks_infra.base_check import BaseGraphCheck  # type: ignore[import-not-found,unused-ignore]

if TYPE_CHECKING:
    from aifinops.policies.checkov import aif_graph, aif_policy
    from aifinops.policies.checkov.aif_graph import Resource
    from aifinops.policies.resource_facts import aif_imds
else:  # checkov runs each file as a top-level module, with this directory on sys.path
    import aif_facts  # noqa: F401  (first: puts resource_facts on sys.path)
    import aif_graph
    import aif_imds
    import aif_policy
    from aif_graph import Resource

CHECK_ID = "CKV_AIF_5"


class InstanceMetadataV2(BaseGraphCheck):  # type: ignore[misc,unused-ignore]
    def __init__(self) -> None:
        super().__init__()
        self.id = CHECK_ID
        self.name = "Accelerated EC2 instances and launch templates require IMDSv2"
        self.category = "GENERAL_SECURITY"
        self.resource_types = list(aif_imds.IMDS_TYPES)
        self.frameworks = ["cloudformation"]

    def run(self, graph_connector: Any) -> tuple[list[dict[str, Any]], list[dict[str, Any]], list[dict[str, Any]]]:
        passed: list[dict[str, Any]] = []
        failed: list[dict[str, Any]] = []
        unknown: list[dict[str, Any]] = []
        for resource, complies, reason in verdicts(aif_graph.resources(graph_connector)):
            if complies is None:
                unknown.append(resource.vertex)
            elif complies:
                passed.append(resource.vertex)
            else:
                failed.append({**resource.vertex, aif_graph.REASON_KEY: [reason]})
        return passed, failed, unknown


def verdicts(resources: list[Resource]) -> list[tuple[Resource, bool | None, str]]:
    """Each accelerated instance and launch template with its verdict, template by template."""
    try:
        policy = aif_policy.current_policy()
    except aif_policy.PolicyUnavailable as exc:
        return [(r, False, str(exc)) for r in resources if r.type in aif_imds.IMDS_TYPES]
    by_file: dict[str, dict[str, Resource]] = defaultdict(dict)
    for resource in resources:
        by_file[resource.file][resource.logical_id] = resource
    results: list[tuple[Resource, bool | None, str]] = []
    for members in by_file.values():
        found = aif_imds.verdicts({lid: (r.type, r.props) for lid, r in members.items()}, policy.is_accelerated)
        results += [(members[lid], complies, reason) for lid, (complies, reason) in found.items()]
    return results


aif_graph.register(InstanceMetadataV2())
