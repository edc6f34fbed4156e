"""Cross-account pause and resume: the policy's `accounts` (written by aifinops.policies.budget_policy, validated
by the enforcer), and the account loop (botocore Stubber for STS and the tagging API of each account)."""

from __future__ import annotations

import dataclasses
import json
from datetime import UTC, datetime
from typing import Any

import pytest

from aifinops.config import FinOpsConfig
from aifinops.lambdas.budget_enforcer.clients import ROLE_SESSION_NAME, AccountClients
from aifinops.lambdas.budget_enforcer.pause import pause_budget
from aifinops.lambdas.budget_enforcer.policy import AccountTarget, Policy, PolicyError, parse_policy
from aifinops.lambdas.budget_enforcer.resume import resume
from aifinops.naming import BUDGET_ACCESS_ROLE
from aifinops.policies.budget_policy import enforcer_policy, enforcer_policy_json
from tests.lambdas.budget_enforcer.stubs import ACCOUNT, REGION, StubbedClients, lock_stubbed

NOW = datetime(2026, 11, 27, 1, 2, tzinfo=UTC)
MEMBERS = ("222222222222", "333333333333", "444444444444")
PAUSED_KINDS = ["ec2:instance", "sagemaker:notebook-instance", "sagemaker:training-job", "sagemaker:endpoint"]
RESUME_KINDS = ["ec2:instance", "sagemaker:notebook-instance", "sagemaker:training-job", "sagemaker:endpoint-config"]


def role(account: str) -> str:
    return f"arn:aws:iam::{account}:role/{BUDGET_ACCESS_ROLE}"


@pytest.fixture(scope="module")
def policy(config: FinOpsConfig) -> Policy:
    return parse_policy(enforcer_policy_json(config))


# --- the policy ------------------------------------------------------------------------------------------------

def test_the_policy_lists_every_account_of_every_environment_sorted_with_its_access_role(
        config: FinOpsConfig, policy: Policy) -> None:
    assert BUDGET_ACCESS_ROLE == "aifinops-budget-enforcer-access"
    assert enforcer_policy(config)["accounts"] == [{"account": a, "roleArn": role(a)} for a in MEMBERS]
    assert policy.accounts == tuple(AccountTarget(a, role(a)) for a in MEMBERS)


def test_accounts_are_unique_and_sorted_across_environments(config: FinOpsConfig) -> None:
    envs = dict(config.environments)
    envs["dev"] = envs["dev"].model_copy(update={"accounts": ("555555555555", "222222222222")})
    envs["staging"] = envs["staging"].model_copy(update={"accounts": ("222222222222",)})
    doc = enforcer_policy(config.model_copy(update={"environments": envs}))
    assert [a["account"] for a in doc["accounts"]] == ["222222222222", "444444444444", "555555555555"]


def test_environments_without_accounts_write_no_accounts_key(config: FinOpsConfig) -> None:
    envs = {name: env.model_copy(update={"accounts": ()}) for name, env in config.environments.items()}
    doc = enforcer_policy(config.model_copy(update={"environments": envs}))
    assert "accounts" not in doc and parse_policy(json.dumps(doc)).accounts == ()


def test_a_policy_without_accounts_is_still_valid_home_account_only(config: FinOpsConfig) -> None:
    doc = enforcer_policy(config)
    del doc["accounts"]
    assert parse_policy(json.dumps(doc)).accounts == ()


@pytest.mark.parametrize(("accounts", "problem"), [
    ([], "accounts: expected a non-empty list"),
    ({"account": "222222222222"}, "accounts: expected a non-empty list"),
    (["222222222222"], "accounts[0]: expected an object"),
    ([{"account": "2222", "roleArn": role("2222")}], "accounts[0].account: expected a 12-digit account id"),
    ([{"account": 222222222222, "roleArn": role("222222222222")}], "accounts[0].account: expected a 12-digit"),
    ([{"account": "222222222222", "roleArn": role("333333333333")}], "accounts[0].roleArn: expected the ARN of a "
                                                                     "role in account 222222222222"),
    ([{"account": "222222222222", "roleArn": "arn:aws:iam::222222222222:user/x"}], "accounts[0].roleArn"),
    ([{"account": "222222222222"}], "accounts[0].roleArn"),
    ([{"account": "222222222222", "roleArn": role("222222222222")}] * 2, "accounts[1].account: 222222222222 is "
                                                                         "listed twice"),
])
def test_invalid_accounts_are_reported(config: FinOpsConfig, accounts: Any, problem: str) -> None:
    doc = enforcer_policy(config)
    doc["accounts"] = accounts
    with pytest.raises(PolicyError) as raised:
        parse_policy(json.dumps(doc))
    assert any(p.startswith(problem) for p in raised.value.problems), raised.value.problems


# --- the account loop ------------------------------------------------------------------------------------------

def identity(clients: StubbedClients, account: str = ACCOUNT) -> None:
    clients.stub("sts").add_response("get_caller_identity", {"Account": account, "UserId": "x",
                                                             "Arn": f"arn:aws:iam::{account}:role/x"}, {})


def assumed(clients: StubbedClients, account: str) -> None:
    clients.stub("sts").add_response("assume_role", {
        "Credentials": {"AccessKeyId": f"ASIA{account}", "SecretAccessKey": "s", "SessionToken": "t",
                        "Expiration": NOW},
        "AssumedRoleUser": {"AssumedRoleId": "AROA:x", "Arn": f"arn:aws:sts::{account}:assumed-role/x/y"}},
        {"RoleArn": role(account), "RoleSessionName": ROLE_SESSION_NAME})


def nothing_found(clients: StubbedClients, filters: list[dict[str, Any]] | None, kinds: list[str]) -> None:
    """No resources: `filters` None for the pause's pass over every tagged resource (it looks for near misses)."""
    clients.stub("resourcegroupstaggingapi").add_response(
        "get_resources", {"ResourceTagMappingList": []},
        {"ResourceTypeFilters": kinds, **({"TagFilters": filters} if filters is not None else {})})
    clients.stub("batch").add_response("describe_job_queues", {"jobQueues": []}, {})


class Accounts:
    """AccountClients over a stubbed home, handing out one StubbedClients per assumed account."""

    def __init__(self, members: dict[str, StubbedClients]) -> None:
        self.home = StubbedClients()
        self.members = members
        self.credentials: list[dict[str, str]] = []
        remaining = iter(members.values())

        def assume(credentials: Any) -> StubbedClients:
            self.credentials.append(dict(credentials))
            return next(remaining)

        self.clients = AccountClients(self.home, home_region=REGION, assume=assume)

    def verify(self) -> None:
        self.home.verify()
        for member in self.members.values():
            member.verify()


def test_pause_loops_accounts_and_a_failed_assume_role_is_an_error_of_that_account_only(policy: Policy) -> None:
    accounts = Accounts({"222222222222": StubbedClients(), "444444444444": StubbedClients()})
    identity(accounts.home)
    assumed(accounts.home, "222222222222")
    accounts.home.stub("sts").add_client_error("assume_role", "AccessDenied", "not authorized",
                                               expected_params={"RoleArn": role("333333333333"),
                                                                "RoleSessionName": ROLE_SESSION_NAME})
    assumed(accounts.home, "444444444444")
    lock_stubbed(accounts.home, "search")
    for member in accounts.members.values():
        nothing_found(member, None, PAUSED_KINDS)
    target = policy.budgets["aifinops-search"]

    summary = pause_budget(target, policy=policy, clients=accounts.home, now=NOW, accounts=accounts.clients)
    accounts.verify()  # each account's own clients were asked; the home account's only for STS and the lock
    assert accounts.credentials[0] == {"aws_access_key_id": "ASIA222222222222", "aws_secret_access_key": "s",
                                       "aws_session_token": "t"}
    assert summary.errors == [{"account": "333333333333", "kind": "account", "region": REGION,
                               "resource": role("333333333333"), "operation": "AssumeRole", "code": "AccessDenied",
                               "message": "not authorized"}]
    assert summary.account is None  # reset after the loop


def test_decisions_carry_their_account_and_a_listed_home_account_uses_its_own_credentials(policy: Policy) -> None:
    home_listed = dataclasses.replace(policy, accounts=(AccountTarget(ACCOUNT, role(ACCOUNT)),
                                                        AccountTarget("222222222222", role("222222222222"))))
    accounts = Accounts({"222222222222": StubbedClients()})
    identity(accounts.home)
    lock_stubbed(accounts.home, *policy.teams())  # the locks of every team whose budget it resumes
    assumed(accounts.home, "222222222222")  # and none for the home account
    paused = [{"Key": "aifinops:paused-by"}]
    nothing_found(accounts.home, paused, RESUME_KINDS)
    member = accounts.members["222222222222"]
    arn = "arn:aws:ec2:us-east-1:222222222222:instance/i-1"
    member.stub("resourcegroupstaggingapi").add_response("get_resources", {"ResourceTagMappingList": [
        {"ResourceARN": arn, "Tags": [{"Key": "team", "Value": "search"},
                                      {"Key": "aifinops:paused-by", "Value": "aifinops-search/2026-11"}]}]},
        {"TagFilters": paused, "ResourceTypeFilters": RESUME_KINDS})
    member.stub("batch").add_response("describe_job_queues", {"jobQueues": []}, {})
    member.stub("ec2").add_response("describe_instances", {"Reservations": [{"Instances": [
        {"InstanceId": "i-1", "InstanceType": "g5.xlarge", "State": {"Name": "running", "Code": 16}}]}]},
        {"Filters": [{"Name": "instance-id", "Values": ["i-1"]}]})
    member.stub("ec2").add_response("delete_tags", {}, {"Resources": ["i-1"], "Tags": [
        {"Key": "aifinops:paused-by"}, {"Key": "aifinops:paused-by:state"}]})

    summary = resume(policy=home_listed, clients=accounts.home, now=NOW, budgets=set(policy.budgets),
                     accounts=accounts.clients)
    accounts.verify()
    assert summary.errors == []
    assert [(d.account, d.name, d.action, d.result) for d in summary.decisions] == [
        ("222222222222", "i-1", "unmark", "done")]
    assert summary.to_dict()["decisions"][0]["account"] == "222222222222"


def test_without_accounts_only_the_home_account_is_acted_in(policy: Policy) -> None:
    home_only = dataclasses.replace(policy, accounts=())
    clients = StubbedClients()
    identity(clients)
    lock_stubbed(clients, *policy.teams())
    nothing_found(clients, [{"Key": "aifinops:paused-by"}], RESUME_KINDS)
    summary = resume(policy=home_only, clients=clients, now=NOW)  # no AssumeRole stubbed: none may happen
    clients.verify()
    assert summary.errors == []


def test_clients_for_caches_each_account_and_needs_assume_for_foreign_clients() -> None:
    home = StubbedClients()
    assumed(home, "222222222222")
    made: list[Any] = []
    accounts = AccountClients(home, home_region=REGION, assume=lambda c: made.append(c) or StubbedClients())
    target = AccountTarget("222222222222", role("222222222222"))
    assert accounts.clients_for(target) is accounts.clients_for(target) and len(made) == 1
    home.verify()
    other = StubbedClients()
    assumed(other, "333333333333")
    with pytest.raises(TypeError, match="needs `assume`"):
        AccountClients(other, home_region=REGION).clients_for(AccountTarget("333333333333", role("333333333333")))
