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
