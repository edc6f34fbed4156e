"""CKV_AIF_3: SageMaker endpoints have auto scaling; outside production they reach zero or follow a schedule.
A graph check: the scalable targets are other resources of the template."""

from __future__ import annotations

import pytest

from tests.policies.checkov.harness import CheckovRun

CHECK = "CKV_AIF_3"


@pytest.mark.parametrize("logical_id", [
    "DevZeroEndpoint",  # inference component target at 0, matched by literal names
    "DevScheduledEndpoint",  # schedule, matched by Fn::GetAtt inside Fn::Join
    "DevRefEndpoint",  # component and target found through references only
    "ProdFixedEndpoint",  # production: scaling is enough
    "UntaggedFixedEndpoint",  # scaling, no configured environment: scale-down not judged (CKV_AIF_1 reports it)
])
def test_scaled_endpoints_pass(checkov_run: CheckovRun, logical_id: str) -> None:
    assert checkov_run.status(CHECK, logical_id) == "PASSED"


@pytest.mark.parametrize("logical_id", [
    "DevFixedEndpoint",  # scales, but never below 1 instance and no schedule
    "ProdUnscaledEndpoint",  # no scalable target at all
])
def test_unscaled_or_always_on_endpoints_fail(checkov_run: CheckovRun, logical_id: str) -> None:
    assert checkov_run.status(CHECK, logical_id) == "FAILED"


def test_a_skip_in_template_metadata_is_honoured_with_its_reason(checkov_run: CheckovRun) -> None:
    result = checkov_run.result(CHECK, "DevSkippedEndpoint")
    assert result is not None
    assert (result.status, result.comment) == ("SKIPPED", "a load test endpoint, deleted after the run")


@pytest.mark.parametrize("logical_id", ["DevZeroComponent", "DevZeroTarget", "TaggedModel"])
def test_only_endpoints_are_checked(checkov_run: CheckovRun, logical_id: str) -> None:
    assert checkov_run.status(CHECK, logical_id) is None


@pytest.mark.parametrize("logical_id", [
    "ServerlessEndpoint",  # its config (by Fn::GetAtt) is serverless: scales to zero natively, no target needed
    "NamedServerlessEndpoint",  # the same, config found by its literal name
    "TextZeroEndpoint",  # MinCapacity "0" written as text is zero
    "TokenMinEndpoint",  # MinCapacity from a parameter: set, scale-down not judged
])
def test_serverless_zero_and_unresolved_capacity_pass(checkov_run: CheckovRun, logical_id: str) -> None:
    assert checkov_run.status(CHECK, logical_id) == "PASSED"


@pytest.mark.parametrize(("logical_id", "reason"), [
    ("ProvisionedServerlessEndpoint", "no Application Auto Scaling scalable target"),  # provisioned concurrency bills
    ("TextMinEndpoint", "never goes below 1"),  # MinCapacity "1" written as text is a number
    ("ScaleUpEndpoint", "never goes below 1"),  # its only scheduled action raises capacity
    ("SubListEndpoint", "never goes below 1"),  # matched through Fn::Sub in its list form
])
def test_failures_say_why(checkov_run: CheckovRun, logical_id: str, reason: str) -> None:
    result = checkov_run.result(CHECK, logical_id)
    assert result is not None and result.status == "FAILED"
    assert any(reason in line for line in result.details), result.details


@pytest.mark.parametrize("logical_id", ["OpaqueEndpoint", "ParameterEndpoint"])
def test_an_unreadable_resource_id_leaves_unscaled_endpoints_of_its_template_unjudged(
        checkov_run: CheckovRun, logical_id: str) -> None:
    """A target whose ResourceId is an import or a parameter could scale any endpoint: no verdict."""
    assert checkov_run.status(CHECK, logical_id) is None
