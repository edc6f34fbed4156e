"""A guard deployed by a StackSet to every account of an environment's OUs is told its environment
(AIFINOPS_GUARD_ENVIRONMENT): an account joining the OU after synthesis is in no account map, yet its
resources get that environment's mode and accelerators."""

from __future__ import annotations

import pytest

from aifinops.lambdas.guard.decide import decide, environment_of
from aifinops.lambdas.guard.model import Action, Reason
from aifinops.lambdas.guard.policy import PolicyError
from tests.lambdas.guard.factories import NOW, TAGS, UNKNOWN_ACCOUNT, reference_policy, resource

UNTAGGED_ENV = {k: v for k, v in TAGS.items() if k != "environment"}


def test_an_account_outside_the_map_gets_the_home_environment() -> None:
    policy = reference_policy()
    new_account = resource(account=UNKNOWN_ACCOUNT, tags=UNTAGGED_ENV, instance_type="p5.48xlarge")
    assert environment_of(new_account, policy) is None
    assert environment_of(new_account, policy.with_home_environment("dev")) == "dev"
    # dev allows g5/g6 only and stops: the p5 is a forbidden accelerator there, not a notify-only unknown
    decision = decide(new_account, None, policy.with_home_environment("dev"), NOW)
    assert Reason.ACCELERATOR_NOT_ALLOWED in decision.reasons and decision.action is Action.STOP
    assert decide(new_account, None, policy, NOW).action is not Action.STOP


def test_the_map_still_wins_for_listed_accounts() -> None:
    policy = reference_policy().with_home_environment("dev")
    prod = resource(account="444444444444", tags=UNTAGGED_ENV)
    assert environment_of(prod, policy) == "prod"


def test_an_unknown_home_environment_fails_loudly() -> None:
    with pytest.raises(PolicyError, match="AIFINOPS_GUARD_ENVIRONMENT='qa'"):
        reference_policy().with_home_environment("qa")
    assert reference_policy().with_home_environment(None) == reference_policy()
