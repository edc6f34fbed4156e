"""CKV_AIF_2: accelerated instance types allowed in the resource's environment."""

from __future__ import annotations

import pytest

from tests.policies.checkov.harness import CheckovRun

CHECK = "CKV_AIF_2"


@pytest.mark.parametrize("logical_id", [
    "DevConfigG5",  # dev allows ml.g5
    "ProdConfigP5",  # prod allows ml.p5
    "DevComputeFamilies",  # families and "optimal" (not accelerated, ignored)
    "StagingGpuInstance",  # staging allows g6e
])
def test_allowed_types_pass(checkov_run: CheckovRun, logical_id: str) -> None:
    assert checkov_run.status(CHECK, logical_id) == "PASSED"


@pytest.mark.parametrize(("logical_id", "problem"), [
    ("DevConfigP5", "instance type ml.p5.48xlarge is not allowed in environment 'dev'"),
    ("DevConfigG6", "instance type ml.g6.xlarge is not allowed in environment 'dev'"),
    ("DevComputeWithP5", "instance type p5.48xlarge is not allowed in environment 'dev'"),
])
def test_disallowed_types_fail_naming_the_type(checkov_run: CheckovRun, logical_id: str, problem: str) -> None:
    result = checkov_run.result(CHECK, logical_id)
    assert result is not None
    assert result.status == "FAILED"
    assert any(problem in line for line in result.details), result.details


@pytest.mark.parametrize("logical_id", [
    "CpuNotebook",  # ml.t3 is not accelerated
    "ConfigTypeFromParameter",  # unknown before deployment: the SCPs judge it
    "TaggedModel",  # a model has no instance type
    "GpuInstanceNoEnvironment",  # no environment to judge against: CKV_AIF_1 reports the missing tag
])
def test_no_accelerated_type_or_no_environment_is_not_checked(checkov_run: CheckovRun, logical_id: str) -> None:
    assert checkov_run.status(CHECK, logical_id) is None
