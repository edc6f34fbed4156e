"""AiFinOps-JOB1: Batch job definitions end each attempt within the environment's max_training_hours."""

from __future__ import annotations

from types import SimpleNamespace

import aws_cdk as cdk
import pytest
from aws_cdk import aws_batch as batch
from aws_cdk import aws_sqs as sqs

from aifinops.policies.nag.rule import Outcome
from aifinops.policies.nag.rules.job_time_limit import RULE
from tests.policies.nag.conftest import DEV_TAGS, Cases, tag


def _job(stack: cdk.Stack, name: str, seconds: float | None, tags: dict[str, str] | None = DEV_TAGS,
         ) -> batch.CfnJobDefinition:
    timeout = None if seconds is None else batch.CfnJobDefinition.TimeoutProperty(attempt_duration_seconds=seconds)
    node = batch.CfnJobDefinition(stack, name, type="container", timeout=timeout)
    if tags:
        tag(node, tags)
    return node


@pytest.fixture(scope="module")
def nodes(cases: Cases) -> SimpleNamespace:
    stack = cases.stack("Jobs")
    n = SimpleNamespace()
    n.one_hour = _job(stack, "OneHour", 3600)
    n.at_cap = _job(stack, "AtCap", 8 * 3600)
    n.over_cap = _job(stack, "OverCap", 72 * 3600)
    n.unbounded = _job(stack, "Unbounded", None)
    n.untagged = _job(stack, "Untagged", 72 * 3600, tags=None)
    n.token = _job(stack, "Token", cdk.CfnParameter(stack, "Seconds", type="Number").value_as_number)
    n.queue = sqs.CfnQueue(stack, "Queue")
    bounded = cdk.CfnCondition(stack, "Bounded", expression=cdk.Fn.condition_equals(
        cdk.CfnParameter(stack, "Bound").value_as_string, "yes"))
    n.timeout_if = _job(stack, "TimeoutIf", None)  # the whole Timeout may be AWS::NoValue
    n.timeout_if.add_property_override("Timeout", cdk.Fn.condition_if(
        bounded.logical_id, {"AttemptDurationSeconds": 3600}, cdk.Aws.NO_VALUE))
    n.seconds_if = _job(stack, "SecondsIf", None)
    n.seconds_if.add_property_override("Timeout.AttemptDurationSeconds", cdk.Fn.condition_if(
        bounded.logical_id, 3600, cdk.Aws.NO_VALUE))
    n.text = _job(stack, "Text", None)
    n.text.add_property_override("Timeout.AttemptDurationSeconds", "90000")  # a number written as text
    cases.synth()
    return n


def test_limits_within_the_environment_cap_comply(cases: Cases, nodes: SimpleNamespace) -> None:
    assert cases.verdict(RULE, nodes.one_hour).outcome is Outcome.COMPLIANT
    assert cases.verdict(RULE, nodes.at_cap).outcome is Outcome.COMPLIANT


def test_no_limit_or_one_above_the_cap_fails(cases: Cases, nodes: SimpleNamespace) -> None:
    verdict = cases.verdict(RULE, nodes.unbounded)
    assert verdict.outcome is Outcome.NON_COMPLIANT and "no Timeout.AttemptDurationSeconds" in verdict.reason
    verdict = cases.verdict(RULE, nodes.over_cap)
    assert verdict.outcome is Outcome.NON_COMPLIANT and "dev's max_training_hours (8 h = 28800 s)" in verdict.reason


def test_without_a_known_environment_only_presence_counts(cases: Cases, nodes: SimpleNamespace) -> None:
    verdict = cases.verdict(RULE, nodes.untagged)
    assert verdict.outcome is Outcome.COMPLIANT and "no configured `environment` tag" in verdict.reason


def test_other_resources_are_not_judged(cases: Cases, nodes: SimpleNamespace) -> None:
    assert cases.verdict(RULE, nodes.queue).outcome is Outcome.NOT_APPLICABLE


def test_an_unresolved_limit_is_present_but_not_measured(cases: Cases, nodes: SimpleNamespace) -> None:
    verdict = cases.verdict(RULE, nodes.token)
    assert verdict.outcome is Outcome.COMPLIANT and "unresolved" in verdict.reason


@pytest.mark.parametrize("name", ["timeout_if", "seconds_if"])
def test_a_timeout_that_may_be_unset_is_not_judged(cases: Cases, nodes: SimpleNamespace, name: str) -> None:
    """Fn::If with AWS::NoValue: the limit may not exist at deployment, so neither pass nor fail (CKV_AIF_4
    reports no result either)."""
    verdict = cases.verdict(RULE, getattr(nodes, name))
    assert verdict.outcome is Outcome.NOT_APPLICABLE and "not judged" in verdict.reason


def test_a_limit_written_as_text_is_a_number(cases: Cases, nodes: SimpleNamespace) -> None:
    verdict = cases.verdict(RULE, nodes.text)
    assert verdict.outcome is Outcome.NON_COMPLIANT and "90000 s is above" in verdict.reason
