"""AiFinOps-FN1: guard and enforcer functions need a dead-letter queue and an Errors alarm in the stack."""

from __future__ import annotations

from types import SimpleNamespace

import aws_cdk as cdk
import pytest
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_lambda as lambda_

from aifinops.policies.nag.rule import Outcome
from aifinops.policies.nag.rules.guard_functions import RULE
from aifinops.template_metadata import GUARD
from tests.policies.nag.conftest import Cases

QUEUE = "arn:aws:sqs:us-east-1:222222222222:dead-letters"


def _function(stack: cdk.Stack, construct_id: str, name: str | None, dlq: bool) -> lambda_.CfnFunction:
    return lambda_.CfnFunction(
        stack, construct_id, function_name=name, role="arn:aws:iam::222222222222:role/fn", runtime="python3.13",
        handler="index.handler", code=lambda_.CfnFunction.CodeProperty(zip_file="def handler(e, c): pass"),
        dead_letter_config=lambda_.CfnFunction.DeadLetterConfigProperty(target_arn=QUEUE) if dlq else None)


def _errors_alarm(stack: cdk.Stack, construct_id: str, function_name: str) -> None:
    cloudwatch.CfnAlarm(stack, construct_id, namespace="AWS/Lambda", metric_name="Errors", statistic="Sum",
                        period=300, evaluation_periods=1, threshold=1,
                        comparison_operator="GreaterThanOrEqualToThreshold",
                        dimensions=[cloudwatch.CfnAlarm.DimensionProperty(name="FunctionName", value=function_name)])


@pytest.fixture(scope="module")
def nodes(cases: Cases) -> SimpleNamespace:
    stack = cases.stack("Functions")
    n = SimpleNamespace()
    n.guard = _function(stack, "Guard", "aifinops-gpu-guard", dlq=True)
    _errors_alarm(stack, "GuardErrors", n.guard.ref)
    n.bare = _function(stack, "Bare", "aifinops-budget-resume", dlq=False)
    # An on-failure destination counts as a dead-letter queue; the alarm may name the function literally.
    n.destination = _function(stack, "Destination", "aifinops-budget-enforcer", dlq=False)
    lambda_.CfnEventInvokeConfig(stack, "OnFailure", function_name=n.destination.ref, qualifier="$LATEST",
                                 destination_config=lambda_.CfnEventInvokeConfig.DestinationConfigProperty(
                                     on_failure=lambda_.CfnEventInvokeConfig.OnFailureProperty(destination=QUEUE)))
    _errors_alarm(stack, "DestinationErrors", "aifinops-budget-enforcer")
    n.other = _function(stack, "Other", "team-batch-job", dlq=False)
    # Identified by the guard metadata alone; the stack's only alarm names a function through an import.
    imported = cases.stack("ImportedAlarm")
    n.imported_alarm = _function(imported, "ImportedAlarm", None, dlq=True)
    n.imported_alarm.add_metadata(GUARD, {"environment": "dev"})
    _errors_alarm(imported, "ImportedErrors", cdk.Fn.import_value("function-name"))
    cases.synth()
    return n


def test_dead_letters_and_an_errors_alarm_comply(cases: Cases, nodes: SimpleNamespace) -> None:
    assert cases.verdict(RULE, nodes.guard).outcome is Outcome.COMPLIANT
    assert cases.verdict(RULE, nodes.destination).outcome is Outcome.COMPLIANT


def test_a_bare_enforcer_function_names_both_gaps(cases: Cases, nodes: SimpleNamespace) -> None:
    verdict = cases.verdict(RULE, nodes.bare)
    assert verdict.outcome is Outcome.NON_COMPLIANT
    assert verdict.reason == "no dead-letter queue or on-failure destination; no alarm on its Errors metric"


def test_other_functions_are_not_judged(cases: Cases, nodes: SimpleNamespace) -> None:
    assert cases.verdict(RULE, nodes.other).outcome is Outcome.NOT_APPLICABLE


def test_an_alarm_on_an_unresolved_function_is_not_guessed(cases: Cases, nodes: SimpleNamespace) -> None:
    verdict = cases.verdict(RULE, nodes.imported_alarm)
    assert verdict.outcome is Outcome.COMPLIANT and "not judged" in verdict.reason
