"""A real checkov run without the AiFinOps policy (AIFINOPS_CHECKOV_POLICY unset): every check fails every
resource it covers, compliant ones included, and says why, so a misconfigured CI cannot pass silently."""

from __future__ import annotations

import pytest

from aifinops.policies.checkov.aif_policy import ENV_VAR
from tests.policies.checkov.conftest import run_checkov, write_templates
from tests.policies.checkov.harness import CheckovRun
from tests.policies.checkov.templates import COST_TAGS, SCALING, TIME_LIMITS, tag_list

# Resources that pass with the reference policy (test_*_check.py), one or more per check.
COMPLIANT = {
    "TaggedModel": COST_TAGS["TaggedModel"],
    "DevGpuInstance": {"Type": "AWS::EC2::Instance",
                       "Properties": {"InstanceType": "g5.xlarge", "ImageId": "ami-1", "Tags": tag_list()}},
    "DevZeroEndpoint": SCALING["DevZeroEndpoint"],
    "DevZeroComponent": SCALING["DevZeroComponent"],
    "DevZeroTarget": SCALING["DevZeroTarget"],
    "DevJobAtLimit": TIME_LIMITS["DevJobAtLimit"],
}
# Every AI resource has cost tags (CKV_AIF_1); the scalable target is no resource of any check.
EXPECTED = [*(("CKV_AIF_1", logical_id) for logical_id in COMPLIANT if logical_id != "DevZeroTarget"),
            ("CKV_AIF_2", "DevGpuInstance"), ("CKV_AIF_2", "DevJobAtLimit"), ("CKV_AIF_2", "DevZeroComponent"),
            ("CKV_AIF_3", "DevZeroEndpoint"), ("CKV_AIF_4", "DevJobAtLimit"),
            ("CKV_AIF_5", "DevGpuInstance")]  # which types are accelerated is policy: unknown, so it fails


@pytest.fixture(scope="module")
def unpoliced(tmp_path_factory: pytest.TempPathFactory) -> CheckovRun:
    templates = write_templates(tmp_path_factory.mktemp("no-policy"), {"compliant.json": COMPLIANT})
    return run_checkov(templates, policy=None)


@pytest.mark.parametrize(("check_id", "logical_id"), EXPECTED)
def test_every_check_fails_its_resources_and_says_why(unpoliced: CheckovRun, check_id: str, logical_id: str) -> None:
    result = unpoliced.result(check_id, logical_id)
    assert result is not None and result.status == "FAILED"
    assert any(f"{ENV_VAR} is not set" in line and "aifinops check" in line for line in result.details), result.details


def test_nothing_passes(unpoliced: CheckovRun) -> None:
    assert {result.status for result in unpoliced.results.values()} == {"FAILED"}
    assert set(unpoliced.results) == set(EXPECTED)
