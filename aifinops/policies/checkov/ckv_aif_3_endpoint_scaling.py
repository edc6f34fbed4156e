"""CKV_AIF_3: a SageMaker endpoint has auto scaling (an Application Auto Scaling scalable target on its variant
or on one of its inference components) or is serverless; outside production it scales to zero or down on a
schedule (`aif_scaling` says precisely when, for this check and the cdk-nag rule AiFinOps-SM1 alike).

The verdict needs other resources of the template than the endpoint, and a checkov resource check sees only
its own resource (`scan_resource_conf(conf)`; CloudFormation registries never get the graph). A YAML graph
check sees connections but neither the policy (which environments are production) nor names written as
literals (`endpoint/my-endpoint/variant/AllTraffic`). So this is a graph check in Python: it reads every
resource of the scan, matches configs and scalable targets to endpoints by reference (Ref, Fn::GetAtt,
Fn::Sub) or by literal name, and registers itself with checkov's CloudFormation graph registry. Its results
honour `Metadata.checkov.skip` like any check; the test suite pins its behaviour on the pinned checkov version.

Not judged (no result, as AiFinOps-SM1 says NOT_APPLICABLE): an endpoint without a scalable target while a
sagemaker scalable target of its template has a ResourceId that cannot be read. Without the environment tag
of a configured environment (CKV_AIF_1 reports that) scale-down is not judged. checkov's CloudFormation
runner keeps no details for graph checks, so a failure's reason travels in the result's entity, as
``check_result.entity.aifinops_details`` of the JSON report (REASON_KEY).
"""

from __future__ import annotations

from collections import defaultdict
from typing import TYPE_CHECKING, Any

from checkov.common.graph.checks_infra.base_check import BaseGraphCheck  # type: ignore[import-not-found,unused-ignore]

if TYPE_CHECKING:
    from aifinops.policies.checkov import aif_graph, aif_policy
    from aifinops.policies.checkov.aif_graph import Resource
    from aifinops.policies.resource_facts import aif_resources, aif_scaling, aif_template
else:  # checkov runs each file as a top-level module, with this directory on sys.path
    import aif_facts  # noqa: F401  (first: puts resource_facts on sys.path)
    import aif_graph
    import aif_policy
    import aif_resources
    import aif_scaling
    import aif_template
    from aif_graph import Resource

CHECK_ID = "CKV_AIF_3"
ENDPOINT = aif_resources.ENDPOINT
COMPONENT = aif_resources.INFERENCE_COMPONENT
TARGET = aif_resources.SCALABLE_TARGET
REASON_KEY = aif_graph.REASON_KEY


class EndpointScaling(BaseGraphCheck):  # type: ignore[misc,unused-ignore]
    def __init__(self) -> None:
        super().__init__()
        self.id = CHECK_ID
        self.name = ("SageMaker endpoints have auto scaling; outside production they can scale to zero "
                     "or down on a schedule")
        self.category = "GENERAL_SECURITY"
        self.resource_types = list(aif_resources.ENDPOINT_SCALING_TYPES)
        self.frameworks = ["cloudformation"]

    def run(self, graph_connector: Any) -> tuple[list[dict[str, Any]], list[dict[str, Any]], list[dict[str, Any]]]:
        resources = aif_graph.resources(graph_connector)
        passed: list[dict[str, Any]] = []
        failed: list[dict[str, Any]] = []
        unknown: list[dict[str, Any]] = []
        for endpoint, complies, reason in verdicts(resources):
            if complies is None:
                unknown.append(endpoint.vertex)
            elif complies:
                passed.append(endpoint.vertex)
            else:  # a copy: the graph's own vertex stays as checkov built it
                failed.append({**endpoint.vertex, REASON_KEY: [reason]})
        return passed, failed, unknown


def verdicts(resources: list[Resource]) -> list[tuple[Resource, bool | None, str]]:
    """Each endpoint with its verdict (True complies, False fails, None not judged) and the reason."""
    endpoints = [r for r in resources if r.type == ENDPOINT]
    if not endpoints:
        return []
    try:
        policy = aif_policy.current_policy()
    except aif_policy.PolicyUnavailable as exc:
        return [(e, False, str(exc)) for e in endpoints]
    targets, unreadable = _targets_by_endpoint(resources, endpoints)
    serverless = _serverless_endpoints(resources, endpoints)
    results: list[tuple[Resource, bool | None, str]] = []
    for endpoint in endpoints:
        own = targets.get(endpoint, [])
        _, environment = policy.environment(aif_resources.cost_tags(ENDPOINT, endpoint.props) or {})
        if endpoint in serverless:
            results.append((endpoint, True, "serverless: scales to zero natively"))
        elif not own and endpoint.file in unreadable:
            results.append((endpoint, None, "a scalable target's ResourceId is unresolved: cannot tell what it scales"))
        elif not own:
            results.append((endpoint, False, "no Application Auto Scaling scalable target scales a variant or "
                                             "inference component of it, and it is not serverless"))
        elif environment is None or environment.production:
            results.append((endpoint, True, "auto scaled"))
        else:
            complies, reason = aif_scaling.scale_down([t.props for t in own])
            results.append((endpoint, complies, f"outside production: {reason}"))
    return results


def _serverless_endpoints(resources: list[Resource], endpoints: list[Resource]) -> set[Resource]:
    """Endpoints whose config (found by reference or literal name) is serverless throughout."""
    configs = [r for r in resources if r.type == aif_resources.ENDPOINT_CONFIG]
    by_id = {(c.file, c.logical_id): c for c in configs}
    by_name = {name: c for c in configs if (name := aif_template.literal(c.props.get("EndpointConfigName")))}
    found = set()
    for endpoint in endpoints:
        value = endpoint.props.get("EndpointConfigName")
        config = next((by_id[(endpoint.file, ref)] for ref in aif_template.references(value)
                       if (endpoint.file, ref) in by_id), None)
        name = aif_template.literal(value)
        config = config or (by_name.get(name) if name else None)
        if config is not None and aif_scaling.is_serverless(config.props):
            found.add(endpoint)
    return found


def _targets_by_endpoint(resources: list[Resource], endpoints: list[Resource],
                         ) -> tuple[dict[Resource, list[Resource]], set[str]]:
    """Scalable targets by the endpoint they scale, and the files holding a target whose ResourceId is unreadable."""
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
    unreadable: set[str] = set()
    ids = {(r.file, r.logical_id) for r in resources}
    for target in (r for r in resources if r.type == TARGET and _sagemaker(r.props.get("ServiceNamespace"))):
        resource_id = target.props.get("ResourceId")
        references = list(aif_template.references(resource_id))
        scaled = [by_id.get((target.file, ref)) or component_ids.get((target.file, ref)) for ref in references]
        # checkov renders Fn::Join / Fn::GetAtt of literal names into the vertex's ResourceId
        rendered = aif_template.literal(resource_id) or aif_template.literal(target.vertex.get("ResourceId"))
        # a reference to a parameter or an import could name any endpoint
        if not rendered and (not references or any((target.file, ref) not in ids for ref in references
                                                   if not ref.startswith("AWS::"))):
            unreadable.add(target.file)
        if rendered:
            kind, _, rest = rendered.partition("/")
            name = rest.split("/", 1)[0]
            scaled.append(by_name.get(name) if kind == "endpoint" else component_names.get(name))
        for endpoint in {e for e in scaled if e is not None}:
            found[endpoint].append(target)
    return found, unreadable


def _sagemaker(namespace: Any) -> bool:
    """A sagemaker target, or one whose namespace is unresolved (as AiFinOps-SM1 counts it)."""
    return namespace == "sagemaker" or not isinstance(namespace, str)


def _endpoint_of(file: str, value: Any, by_id: dict[tuple[str, str], Resource],
                 by_name: dict[str, Resource]) -> Resource | None:
    for ref in aif_template.references(value):
        if (file, ref) in by_id:
            return by_id[(file, ref)]
    name = aif_template.literal(value)
    return by_name.get(name) if name else None


aif_graph.register(EndpointScaling())
