"""AiFinOps-FN1: the guard's and the budget enforcer's functions have a dead-letter queue and an error alarm."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from cdk_nag import NagMessageLevel

from aifinops.config import FinOpsConfig
from aifinops.naming import NAME_PREFIX
from aifinops.policies.nag.rule import NagRule, ResourceView, Verdict
from aifinops.policies.nag.rules._cfn import is_guard_function, names_of, refers_to
from aifinops.policies.resource_facts.aif_template import render
from aifinops.template_metadata import GUARD

RULE_ID = "AiFinOps-FN1"
LEVEL = NagMessageLevel.ERROR  # a guard that fails silently enforces nothing
INFO = "A guard or budget enforcer function has no dead-letter queue or no alarm on its Errors metric."
EXPLANATION = (
    "The GPU guard and the budget enforcer are controls: when one fails, idle GPUs keep running and spent "
    "budgets pause nothing, and nobody knows. Fix: give the function a dead-letter queue "
    "(DeadLetterConfig.TargetArn, or an AWS::Lambda::EventInvokeConfig with an on-failure destination) and an "
    "AWS::CloudWatch::Alarm in the same stack on the AWS/Lambda Errors metric with a FunctionName dimension "
    f"naming it - as GpuGuard and BudgetEnforcer do. Guard and enforcer functions are those whose FunctionName "
    f"starts with `{NAME_PREFIX}-` or that carry the `{GUARD}` template metadata.")

TYPES = frozenset({"AWS::Lambda::Function"})


def check(resource: ResourceView, config: FinOpsConfig) -> Verdict:
    if resource.type not in TYPES:
        return Verdict.skip(f"{resource.type} is not a Lambda function")
    if not is_guard_function(resource.properties, resource.metadata):
        return Verdict.skip("not a guard or budget enforcer function")
    names = names_of(resource.logical_id, resource.properties, "FunctionName")
    missing = []
    if not _has_dead_letters(resource, names):
        missing.append("no dead-letter queue or on-failure destination")
    alarm = _error_alarm(resource, names)
    if alarm is False:
        missing.append("no alarm on its Errors metric")
    if missing:
        return Verdict.fail("; ".join(missing))
    if alarm is None:
        return Verdict.ok("dead-letter queue set; an Errors alarm names an unresolved function: not judged")
    return Verdict.ok("dead-letter queue and Errors alarm present")


def _has_dead_letters(resource: ResourceView, names: set[str]) -> bool:
    config = resource.properties.get("DeadLetterConfig")
    if isinstance(config, dict) and config.get("TargetArn"):
        return True
    for _, props in resource.others("AWS::Lambda::EventInvokeConfig"):
        destination = props.get("DestinationConfig", {})
        failure = destination.get("OnFailure", {}) if isinstance(destination, dict) else {}
        if refers_to(props.get("FunctionName"), names) and isinstance(failure, dict) and failure.get("Destination"):
            return True
    return False


def _error_alarm(resource: ResourceView, names: set[str]) -> bool | None:
    """True with an Errors alarm on the function, None when only unreadable dimensions could be it."""
    unreadable = False
    for _, props in resource.others("AWS::CloudWatch::Alarm"):
        metrics = [props] + [m.get("MetricStat", {}).get("Metric", {}) for m in props.get("Metrics", [])
                             if isinstance(m, dict) and isinstance(m.get("MetricStat"), dict)]
        for metric in metrics:
            if metric.get("MetricName") != "Errors" or metric.get("Namespace", "AWS/Lambda") != "AWS/Lambda":
                continue
            for value in _function_dimensions(metric):
                if refers_to(value, names):
                    return True
                unreadable = unreadable or render(value) is None
    return None if unreadable else False


def _function_dimensions(metric: Mapping[str, Any]) -> list[Any]:
    dimensions = metric.get("Dimensions", [])
    return [d.get("Value") for d in dimensions if isinstance(d, dict) and d.get("Name") == "FunctionName"] \
        if isinstance(dimensions, list) else []


RULE = NagRule(RULE_ID, LEVEL, INFO, EXPLANATION, TYPES, check)
