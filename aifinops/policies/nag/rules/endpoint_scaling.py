"""AiFinOps-SM1: SageMaker endpoints auto scale; outside production they scale to zero or down on a schedule."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from cdk_nag import NagMessageLevel

from aifinops.config import FinOpsConfig
from aifinops.policies.nag.rule import NagRule, ResourceView, Verdict
from aifinops.policies.nag.rules._cfn import environment_of, names_of, refers_to, render

RULE_ID = "AiFinOps-SM1"
# WARN, not ERROR: a fixed-size endpoint can be deliberate (acknowledge it with the reason); WARN still
# fails synthesis, so the choice is recorded either way.
LEVEL = NagMessageLevel.WARN
INFO = ("The SageMaker endpoint has no auto scaling, or, outside production, can neither scale to zero nor "
        "scale down on a schedule.")
EXPLANATION = (
    "An endpoint bills for its instances whether or not it serves traffic. Fix: use GpuInferenceEndpoint "
    "(scale_to_zero outside production, schedule or target tracking in production), or add an "
    "AWS::ApplicationAutoScaling::ScalableTarget in the same stack whose ResourceId is the endpoint's variant "
    "(endpoint/<name>/variant/<variant>) or one of its inference components (inference-component/<name>); "
    "outside production (finops.yaml `production: false` for the endpoint's `environment` tag) give it "
    "MinCapacity 0 (inference components) or ScheduledActions that scale it down out of hours.")

TYPES = frozenset({"AWS::SageMaker::Endpoint"})
TARGET = "AWS::ApplicationAutoScaling::ScalableTarget"


def check(resource: ResourceView, config: FinOpsConfig) -> Verdict:
    if resource.type not in TYPES:
        return Verdict.skip(f"{resource.type} is not a SageMaker endpoint")
    endpoint = names_of(resource.logical_id, resource.properties, "EndpointName")
    components: set[str] = set()
    for logical_id, props in resource.others("AWS::SageMaker::InferenceComponent"):
        if refers_to(props.get("EndpointName"), endpoint):
            components |= names_of(logical_id, props, "InferenceComponentName")
    targets, unreadable = [], False
    for _, props in resource.others(TARGET):
        resource_id = render(props.get("ResourceId"))
        if props.get("ServiceNamespace") != "sagemaker" and isinstance(props.get("ServiceNamespace"), str):
            continue
        if resource_id is None:
            unreadable = True
        elif _scales(resource_id, endpoint, components):
            targets.append(props)
    if not targets:
        if unreadable:
            return Verdict.skip("a scalable target's ResourceId is unresolved at synth: cannot tell what it scales")
        return Verdict.fail("no scalable target in the stack scales a variant or inference component of it")
    found = environment_of(resource, config)
    if found is None:
        return Verdict.ok("auto scaled; no configured `environment` tag, so scale-down is not judged")
    name, environment = found
    if environment.production:
        return Verdict.ok(f"auto scaled ({name} is production)")
    return _scales_down(targets, name)


def _scales(resource_id: str, endpoint: set[str], components: set[str]) -> bool:
    text = resource_id.lower()
    return (any(text.startswith(f"endpoint/{n.lower()}/variant/") for n in endpoint)
            or any(text == f"inference-component/{n.lower()}" for n in components))


def _scales_down(targets: list[Mapping[str, Any]], environment: str) -> Verdict:
    if any(t.get("MinCapacity") == 0 for t in targets):
        return Verdict.ok(f"scales to zero ({environment})")
    if any(t.get("ScheduledActions") for t in targets):
        return Verdict.ok(f"scales down on a schedule ({environment})")
    if any(not isinstance(t.get("MinCapacity"), int | float) for t in targets):
        return Verdict.ok("MinCapacity is unresolved at synth: scale to zero is not judged")
    floor = min(t["MinCapacity"] for t in targets)
    return Verdict.fail(f"{environment} is not production, yet the endpoint never goes below {floor} "
                        "and has no scheduled scale-down")


RULE = NagRule(RULE_ID, LEVEL, INFO, EXPLANATION, TYPES, check)
