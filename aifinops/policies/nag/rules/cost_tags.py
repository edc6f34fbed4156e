"""AiFinOps-TAG1: AI resources carry every required cost tag, each with an allowed value."""

from __future__ import annotations

from cdk_nag import NagMessageLevel

from aifinops.config import FinOpsConfig
from aifinops.policies.cost_tags import check_tags
from aifinops.policies.nag.rule import NagRule, ResourceView, Verdict
from aifinops.policies.nag.rules._cfn import instance_types, is_accelerated, tags_of
from aifinops.policies.resource_facts import aif_resources

RULE_ID = "AiFinOps-TAG1"
LEVEL = NagMessageLevel.ERROR  # untagged AI spend is invisible to budgets, Cost Explorer and the guard
INFO = "The AI resource lacks a required cost tag, or a cost tag has a value finops.yaml does not allow."
EXPLANATION = (
    "Budgets, cost allocation and the GPU guard find AI spend by its cost tags (finops.yaml `tags.required`: "
    "team, project, model, environment, task-type by default). Fix: pass cost_tags=CostTags(...) to the "
    "construct or apply CostTags to its stack, or Tags.of(scope).add(key, value) with a value finops.yaml "
    "allows. Checked on SageMaker endpoints, endpoint configs, models, notebook instances and inference "
    "components, Bedrock application inference profiles, Batch compute environments, job queues and job "
    "definitions, and, when one of their instance types is accelerated, every other resource type that "
    "launches, reserves or runs instances (the doors AiFinOps-ACC1 lists; launch templates and EC2 and Spot "
    "fleets by their instance TagSpecifications, merged; capacity reservations by their own). An unresolved tag "
    "value, or a key named in the branches of an Fn::If item of the tag list, counts as present.")

ALWAYS = frozenset(aif_resources.AI_RESOURCE_TYPES)  # the types of CKV_AIF_1: one list for both tools
WHEN_ACCELERATED = frozenset(aif_resources.ACCELERATED_EC2_TYPES)


def check(resource: ResourceView, config: FinOpsConfig) -> Verdict:
    if resource.type in WHEN_ACCELERATED:
        types = instance_types(resource)
        if not any(t is not None and is_accelerated(t) for t in types):
            unresolved = " (its instance type is unresolved at synth)" if None in types else ""
            return Verdict.skip(f"not an accelerated instance type{unresolved}")
    elif resource.type not in ALWAYS:
        return Verdict.skip(f"{resource.type} is not an AI resource type")
    tags = tags_of(resource)
    if tags is None:
        return Verdict.skip("the tags are one unresolved value: nothing to judge at synth")
    problems = check_tags(tags, config)
    if problems:
        return Verdict.fail("; ".join(p.message for p in problems))
    return Verdict.ok("every required cost tag is present with an allowed value")


RULE = NagRule(RULE_ID, LEVEL, INFO, EXPLANATION, ALWAYS | WHEN_ACCELERATED, check)
