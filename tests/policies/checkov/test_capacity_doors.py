"""Accelerated capacity by every door a template can open - Auto Scaling groups (types or attribute-based
selection), EC2 and Spot fleets, capacity reservations, EKS node groups, SageMaker HyperPod clusters, processing
jobs and Studio apps, EMR clusters - is held to the environment's accelerators (CKV_AIF_2) and the cost tags
(CKV_AIF_1); test_parity.py pins the nag twins ACC1 and TAG1 to the same verdicts."""

from __future__ import annotations

import pytest

from tests.policies.checkov.harness import CheckovRun

# dev allows g5 and g6 (EC2) and ml.g4dn, ml.g5 (SageMaker) in the reference finops.yaml
ACCELERATORS = {
    "DoorAsgP5": "FAILED", "DoorAsgCpuUntagged": None, "DoorFleetG5": "PASSED", "DoorSpotFleetP4d": "FAILED",
    "DoorNodegroupP5": "FAILED", "DoorHyperPodP5": "FAILED", "DoorHyperPodG5": "PASSED",
    "DoorProcessingP5": "FAILED", "DoorStudioAppG5": "PASSED", "DoorReservationP5Untagged": None,
    "DoorEmrP4d": "FAILED", "DoorAsgAnyGpu": "FAILED", "DoorAsgG5Pattern": "PASSED",
}
COST_TAGS = {
    "DoorAsgP5": "PASSED", "DoorAsgCpuUntagged": None, "DoorFleetG5": "PASSED", "DoorFleetUntagged": "FAILED",
    "DoorSpotFleetP4d": "PASSED", "DoorNodegroupP5": "PASSED", "DoorNodegroupG5NoModel": "FAILED",
    "DoorHyperPodP5": "PASSED", "DoorProcessingP5": "PASSED", "DoorStudioAppG5": "PASSED",
    "DoorReservationP5Untagged": "FAILED", "DoorEmrP4d": "PASSED", "DoorAsgAnyGpu": "PASSED",
}


@pytest.mark.parametrize(("logical_id", "status"), sorted(ACCELERATORS.items()))
def test_accelerators_by_every_door(checkov_run: CheckovRun, logical_id: str, status: str | None) -> None:
    assert checkov_run.status("CKV_AIF_2", logical_id) == status


def test_the_failure_names_the_type_and_the_environment(checkov_run: CheckovRun) -> None:
    found = checkov_run.result("CKV_AIF_2", "DoorAsgP5")
    assert found is not None and found.details == (
        "instance type p5.48xlarge is not allowed in environment 'dev' (allowed: g5, g6, ml.g4dn, ml.g5)",)


@pytest.mark.parametrize(("logical_id", "status"), sorted(COST_TAGS.items()))
def test_cost_tags_by_every_door(checkov_run: CheckovRun, logical_id: str, status: str | None) -> None:
    assert checkov_run.status("CKV_AIF_1", logical_id) == status
