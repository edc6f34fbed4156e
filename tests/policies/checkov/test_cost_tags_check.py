"""CKV_AIF_1: cost tags present and allowed on AI resources."""

from __future__ import annotations

import pytest

from tests.policies.checkov.harness import CheckovRun

CHECK = "CKV_AIF_1"


@pytest.mark.parametrize("logical_id", [
    "TaggedModel",
    "ProfileCatalogModel",  # a catalog model id behind a system-profile geo prefix
    "ComponentTeamFromParameter",  # a tag value from a parameter: present, not judged
    "GpuLaunchTemplateTagged",  # the tags it gives its instances
])
def test_compliant_resources_pass(checkov_run: CheckovRun, logical_id: str) -> None:
    assert checkov_run.status(CHECK, logical_id) == "PASSED"


@pytest.mark.parametrize(("logical_id", "problem"), [
    ("ConfigWithoutTeam", "required cost tag 'team' is missing"),
    ("NotebookUnknownEnvironment", "cost tag 'environment' has value 'qa', which is not allowed"),
    ("QueueProjectOfOtherTeam", "cost tag 'project' has value 'defect-detect', which is not allowed"),
    ("ProfileUnknownModel", "cost tag 'model' has value 'gpt-5', which is not allowed"),
    ("GpuInstanceUntagged", "required cost tag 'task-type' is missing"),
])
def test_non_compliant_resources_fail_naming_the_tag(checkov_run: CheckovRun, logical_id: str, problem: str) -> None:
    result = checkov_run.result(CHECK, logical_id)
    assert result is not None
    assert result.status == "FAILED"
    assert problem in result.details


def test_every_missing_tag_is_named(checkov_run: CheckovRun) -> None:
    result = checkov_run.result(CHECK, "GpuInstanceUntagged")
    assert result is not None
    assert sorted(result.details) == sorted(f"required cost tag '{key}' is missing"
                                            for key in ("team", "project", "model", "environment", "task-type"))


@pytest.mark.parametrize("logical_id", [
    "SmallInstanceUntagged",  # not an accelerated instance type
    "InstanceTypeFromParameter",  # unknown before deployment, as in AiFinOps-TAG1
    "ModelTagsFromParameter",  # the whole tag list is one intrinsic function: nothing to judge
    "LaunchTemplateWithoutType",  # the instance type comes from elsewhere (a Batch compute environment)
    "BucketUntagged",  # not an AI resource type
])
def test_other_resources_are_not_checked(checkov_run: CheckovRun, logical_id: str) -> None:
    assert checkov_run.status(CHECK, logical_id) is None


@pytest.mark.parametrize("logical_id", [
    "ModelTagFromCondition",  # task-type named in the branches of an Fn::If item: present, value not judged
    "LaunchTemplateTwoSpecs",  # two instance tag specifications, merged
])
def test_conditional_tags_and_split_specifications_count(checkov_run: CheckovRun, logical_id: str) -> None:
    assert checkov_run.status(CHECK, logical_id) == "PASSED"


@pytest.mark.parametrize(("logical_id", "problem"), [
    ("ModelTagMissing", "required cost tag 'task-type' is missing"),
    ("LaunchTemplateSpecsMissTeam", "required cost tag 'team' is missing"),
])
def test_a_tag_missing_from_every_specification_fails(checkov_run: CheckovRun, logical_id: str, problem: str) -> None:
    result = checkov_run.result(CHECK, logical_id)
    assert result is not None and result.status == "FAILED"
    assert problem in result.details


@pytest.mark.parametrize("logical_id", ["ModelTagKeyUnresolved", "LaunchTemplateSpecTagsIf"])
def test_tags_that_cannot_be_read_are_not_judged(checkov_run: CheckovRun, logical_id: str) -> None:
    assert checkov_run.status(CHECK, logical_id) is None
