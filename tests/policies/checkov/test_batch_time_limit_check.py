"""CKV_AIF_4: Batch job definitions have a time limit within the environment's max_training_hours."""

from __future__ import annotations

import pytest

from tests.policies.checkov.harness import CheckovRun

CHECK = "CKV_AIF_4"


@pytest.mark.parametrize("logical_id", [
    "DevJobAtLimit",
    "ProdJobLong",
    "JobNoEnvironment",  # a limit, but no configured environment to bound it (CKV_AIF_1 reports the tag)
])
def test_time_limit_within_the_environment_passes(checkov_run: CheckovRun, logical_id: str) -> None:
    assert checkov_run.status(CHECK, logical_id) == "PASSED"


@pytest.mark.parametrize(("logical_id", "problem"), [
    ("DevJobOverLimit", "Timeout.AttemptDurationSeconds is 28801 s, above 28800 s (8 hours"),
    ("DevJobNoTimeout", "no time limit"),
    ("DevJobLimitAsText", "Timeout.AttemptDurationSeconds is 90000 s, above 28800 s"),
])
def test_missing_or_long_time_limit_fails(checkov_run: CheckovRun, logical_id: str, problem: str) -> None:
    result = checkov_run.result(CHECK, logical_id)
    assert result is not None
    assert result.status == "FAILED"
    assert any(problem in line for line in result.details), result.details


def test_other_batch_resources_are_not_checked(checkov_run: CheckovRun) -> None:
    assert checkov_run.status(CHECK, "TimedQueue") is None


@pytest.mark.parametrize("logical_id", [
    "JobTimeoutIf",  # Timeout is an Fn::If with an AWS::NoValue branch: maybe no limit at all
    "JobSecondsIf",  # the same for AttemptDurationSeconds
])
def test_a_timeout_that_may_be_unset_is_not_judged(checkov_run: CheckovRun, logical_id: str) -> None:
    assert checkov_run.status(CHECK, logical_id) is None


def test_a_time_limit_from_a_parameter_is_set_and_its_length_not_judged(checkov_run: CheckovRun) -> None:
    assert checkov_run.status(CHECK, "JobSecondsFromParameter") == "PASSED"


def test_a_time_limit_written_as_text_is_a_number(checkov_run: CheckovRun) -> None:
    result = checkov_run.result(CHECK, "JobSecondsAsTextOver")
    assert result is not None and result.status == "FAILED"
    assert any("28801 s, above 28800 s" in line for line in result.details), result.details
