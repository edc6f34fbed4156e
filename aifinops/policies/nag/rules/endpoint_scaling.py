"""AiFinOps-SM1: SageMaker endpoints auto scale; outside production they scale to zero or down on a schedule."""

from __future__ import annotations

from cdk_nag import NagMessageLevel

from aifinops.config import FinOpsConfig
from aifinops.policies.nag.rule import NagRule, ResourceView, Verdict
from aifinops.policies.nag.rules._cfn import environment_of, names_of, refers_to, unknown_references
from aifinops.policies.resource_facts import aif_resources, aif_scaling
from aifinops.policies.resource_facts.aif_template import render

RULE_ID = "AiFinOps-SM1"
# ERROR, as its checkov twin CKV_AIF_3: one verdict, one level. A fixed-size endpoint can be deliberate:
# acknowledge it with the reason (GpuInferenceEndpoint's fixed_capacity_reason does, for both tools).
LEVEL = NagMessageLevel.ERROR
INFO = ("The SageMaker endpoint has no auto scaling, or, outside production, can neither scale to zero nor "
        "scale down on a schedule.")
EXPLANATION = (
    "An endpoint bills for its instances whether or not it serves traffic. Fix: use GpuInferenceEndpoint "
    "(scale_to_zero outside production, schedule or target tracking in production), or add an "
    "AWS::ApplicationAutoScaling::ScalableTarget in the same stack whose ResourceId is the endpoint's variant "
    "(endpoint/<name>/variant/<variant>) or one of its inference components (inference-component/<name>); "
    "outside production (finops.yaml `production: false` for the endpoint's `environment` tag) give it "
    "MinCapacity 0 (inference components) or a scheduled action that scales it down out of hours: its "
    "MinCapacity or MaxCapacity below the target's MinCapacity, or, for a classic variant, MaxCapacity 1 below "
    "the target's MaxCapacity. A serverless endpoint (every variant of its config has a ServerlessConfig "
    "without provisioned concurrency) scales to zero natively and complies. Numbers written as text count as "
    "numbers; unresolved capacities are not judged. CKV_AIF_3 gives the same verdicts.")

TYPES = frozenset(aif_resources.ENDPOINT_SCALING_TYPES)  # the types of CKV_AIF_3: one list for both tools
TARGET = aif_resources.SCALABLE_TARGET


def check(resource: ResourceView, config: FinOpsConfig) -> Verdict:
    if resource.type not in TYPES:
        return Verdict.skip(f"{resource.type} is not a SageMaker endpoint")
    if _serverless(resource):
        return Verdict.ok("serverless: scales to zero natively")
    endpoint = names_of(resource.logical_id, resource.properties, "EndpointName")
    components: set[str] = set()
    for logical_id, props in resource.others(aif_resources.INFERENCE_COMPONENT):
        if refers_to(props.get("EndpointName"), endpoint):
            components |= names_of(logical_id, props, "InferenceComponentName")
    targets, unreadable = [], False
    for _, props in resource.others(TARGET):
        namespace = props.get("ServiceNamespace")
        if namespace != "sagemaker" and isinstance(namespace, str):
            continue
        resource_id = render(props.get("ResourceId"))
        if resource_id is None or unknown_references(resource_id, resource):
            unreadable = True  # a parameter or an import could name this endpoint
        elif _scales(resource_id, endpoint, components):
            targets.append(props)
    if not targets:
        if unreadable:
            return Verdict.skip("a scalable target's ResourceId is unresolved at synth: cannot tell what it scales")
        return Verdict.fail("no scalable target in the stack scales a variant or inference component of it, "
                            "and it is not serverless")
    found = environment_of(resource, config)
    if found is None:
        return Verdict.ok("auto scaled; no configured `environment` tag, so scale-down is not judged")
    name, environment = found
    if environment.production:
        return Verdict.ok(f"auto scaled ({name} is production)")
    complies, reason = aif_scaling.scale_down(targets)
    return Verdict.ok(f"{reason} ({name})") if complies else Verdict.fail(f"{name} is not production: {reason}")


def _serverless(resource: ResourceView) -> bool:
    """Its endpoint config (by reference or literal name, in the same stack) is serverless throughout."""
    value = resource.properties.get("EndpointConfigName")
    for logical_id, props in resource.others(aif_resources.ENDPOINT_CONFIG):
        if refers_to(value, names_of(logical_id, props, "EndpointConfigName")):
            return aif_scaling.is_serverless(props)
    return False


def _scales(resource_id: str, endpoint: set[str], components: set[str]) -> bool:
    text = resource_id.lower()
    return (any(text.startswith(f"endpoint/{n.lower()}/variant/") for n in endpoint)
            or any(text == f"inference-component/{n.lower()}" for n in components))


RULE = NagRule(RULE_ID, LEVEL, INFO, EXPLANATION, TYPES, check)
