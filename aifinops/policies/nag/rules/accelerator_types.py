"""AiFinOps-ACC1: accelerated instance types are allowed in the resource's environment."""

from __future__ import annotations

from cdk_nag import NagMessageLevel

from aifinops.config import FinOpsConfig
from aifinops.policies.nag.rule import NagRule, ResourceView, Verdict
from aifinops.policies.nag.rules._cfn import environment_of, instance_types, is_accelerated
from aifinops.policies.resource_facts import aif_resources

RULE_ID = "AiFinOps-ACC1"
LEVEL = NagMessageLevel.ERROR  # the environment's SCP denies the type at deploy time anyway: fail early
INFO = "The resource uses an accelerated instance type its environment does not allow."
EXPLANATION = (
    "Each environment lists the accelerated families or types it may run (finops.yaml "
    "`environments.<env>.accelerators`; SageMaker types carry `ml.`), and its SCP denies the others. The "
    "environment is the resource's `environment` cost tag. Fix: choose an allowed type, or add the family "
    "to that environment in finops.yaml. Checked on every CloudFormation resource type that launches, reserves "
    "or runs instances of a type it names: EC2 instances, launch templates and configurations, Auto Scaling "
    "groups, EC2 and Spot fleets, capacity reservations and hosts, EKS node groups, SageMaker endpoint configs "
    "(every variant and instance pool), notebooks, processing and monitoring jobs, Studio apps, spaces, domains "
    "and user profiles, inference experiments and HyperPod clusters, Batch compute environments and multi-node "
    "job definitions, EMR clusters, instance groups and fleets, ParallelCluster node groups, GameLift fleets, "
    "Cloud9, Image Builder and WorkSpaces instances; attribute-based selection (InstanceRequirements) counts "
    "each accelerated family its AllowedInstanceTypes patterns match, or all of them when it asks for "
    "accelerators without naming types. A launch configuration or EMR group takes the environment of the "
    "resource that uses it. Types outside the accelerator catalog are not judged.")

TYPES = frozenset(aif_resources.INSTANCE_TYPE_TYPES)  # the types of CKV_AIF_2: one list for both tools


def check(resource: ResourceView, config: FinOpsConfig) -> Verdict:
    if resource.type not in TYPES:
        return Verdict.skip(f"{resource.type} names no instance type")
    accelerated = [t for t in instance_types(resource) if t is not None and is_accelerated(t)]
    if not accelerated:
        return Verdict.skip("no literal accelerated instance type")
    found = environment_of(resource, config)
    if found is None:
        return Verdict.skip("no configured `environment` cost tag (AiFinOps-TAG1 reports it)")
    name, environment = found
    denied = [t for t in accelerated if not environment.allows_instance_type(t)]
    if denied:
        allowed = ", ".join(environment.accelerators) or "none"
        return Verdict.fail(f"{', '.join(denied)} not allowed in {name} (allowed: {allowed})")
    return Verdict.ok(f"{', '.join(accelerated)} allowed in {name}")


RULE = NagRule(RULE_ID, LEVEL, INFO, EXPLANATION, TYPES, check)
