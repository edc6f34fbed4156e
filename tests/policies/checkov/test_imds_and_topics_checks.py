"""CKV_AIF_5 (accelerated instances and launch templates require IMDSv2) and CKV_AIF_6 (the pack's topics are
encrypted with a customer managed key), as checkov runs them; test_parity.py pins the nag twins to the same
verdicts."""

from __future__ import annotations

import pytest

from tests.policies.checkov.harness import CheckovRun

IMDS = {
    "ImdsRequiredTemplate": "PASSED", "ImdsOptionalTemplate": "FAILED", "ImdsNoOptionsTemplate": "FAILED",
    "ImdsNoTokensTemplate": "FAILED", "ImdsDisabledTemplate": "PASSED", "ImdsUnresolvedTokens": None,
    "ImdsCpuTemplate": None, "ImdsTypelessRequired": None, "ImdsTypelessOptional": None,
    "ImdsBareInstance": "FAILED", "ImdsCpuInstance": None, "ImdsInstanceByRef": "PASSED",
    "ImdsInstanceByName": "PASSED", "ImdsInstanceByRefOptional": "FAILED", "ImdsInstanceByGetAtt": "FAILED",
    "ImdsInstanceElsewhere": None,
}
TOPICS = {
    "PackTopicEncrypted": "PASSED", "PackTopicByRef": "PASSED", "PackTopicPlain": "FAILED",
    "PackTopicByName": "FAILED", "PackTopicAwsManaged": "FAILED", "PackTopicManagedArn": "FAILED",
    "UserTopicPlain": None,
}


@pytest.mark.parametrize(("logical_id", "status"), sorted(IMDS.items()))
def test_imdsv2_on_accelerated_instances_and_launch_templates(checkov_run: CheckovRun, logical_id: str,
                                                               status: str | None) -> None:
    assert checkov_run.status("CKV_AIF_5", logical_id) == status


def test_an_imds_failure_says_how_to_fix_it(checkov_run: CheckovRun) -> None:
    found = checkov_run.result("CKV_AIF_5", "ImdsBareInstance")
    assert found is not None and any("require_imdsv2=True" in d for d in found.details)


@pytest.mark.parametrize(("logical_id", "status"), sorted(TOPICS.items()))
def test_pack_topics_are_encrypted_with_a_customer_managed_key(checkov_run: CheckovRun, logical_id: str,
                                                                status: str | None) -> None:
    assert checkov_run.status("CKV_AIF_6", logical_id) == status
