"""boto3 clients, one per account, service and region: the shared `aifinops_runtime.clients.ClientFactory`
(adaptive retries, argument -> environment -> default) under the enforcer's own user agent.

Accounts (`AccountClients`): the home account (where the function runs) uses the function's own credentials;
every other account of the policy is reached through the role the policy names for it, assumed with STS
AssumeRole (session name ROLE_SESSION_NAME) from the home account. The home account is acted in when the
policy has no `accounts` (older policies: home only) or lists it; it is then never assumed into, so it needs
no access role of its own.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Mapping
from typing import TYPE_CHECKING

from botocore.exceptions import BotoCoreError, ClientError

from aifinops_runtime import clients as runtime
from aifinops_runtime.clients import DEFAULT_MAX_ATTEMPTS, MAX_ATTEMPTS_ENV, Clients

if TYPE_CHECKING:
    from .policy import AccountTarget, Policy
    from .summary import Summary

USER_AGENT = "aifinops-budget-enforcer"
ROLE_SESSION_NAME = "aifinops-budget-enforcer"
HOME = "home"  # the account label when the home account's id could not be read

__all__ = ["DEFAULT_MAX_ATTEMPTS", "HOME", "MAX_ATTEMPTS_ENV", "ROLE_SESSION_NAME", "USER_AGENT", "AccountClients",
           "ClientFactory", "Clients", "home_region"]


class ClientFactory(runtime.ClientFactory):
    """Creates and caches boto3 clients per (service, region), as the budget enforcer."""

    USER_AGENT = USER_AGENT


class AccountClients:
    """`Clients` per account. `home` serves the home account; another account gets `assume(credentials)`
    with the credentials of its role (default: `home.with_credentials`, i.e. a `ClientFactory`). Caches both the
    home account id and each account's clients for the run (credentials last an hour, a run five minutes)."""

    def __init__(self, home: Clients, *, home_region: str,
                 assume: Callable[[Mapping[str, str]], Clients] | None = None) -> None:
        self.home = home
        self.home_region = home_region
        self._assume = assume
        self._home_account: str | None = None
        self._accounts: dict[str, Clients] = {}

    def home_account(self) -> str:
        """The home account's id (STS GetCallerIdentity, once); API errors propagate."""
        if self._home_account is None:
            self._home_account = str(self.home.client("sts", self.home_region).get_caller_identity()["Account"])
        return self._home_account

    def clients_for(self, target: AccountTarget) -> Clients:
        """The home clients for the home account, else those of the target's role (AssumeRole; errors propagate)."""
        if target.account == self._home_account:
            return self.home
        if target.account not in self._accounts:
            response = self.home.client("sts", self.home_region).assume_role(
                RoleArn=target.role_arn, RoleSessionName=ROLE_SESSION_NAME)
            c = response["Credentials"]
            credentials = {"aws_access_key_id": c["AccessKeyId"], "aws_secret_access_key": c["SecretAccessKey"],
                           "aws_session_token": c["SessionToken"]}
            assume = self._assume
            if assume is None:
                if not isinstance(self.home, ClientFactory):
                    raise TypeError("AccountClients needs `assume` unless the home clients are a ClientFactory")
                assume = self.home.with_credentials
            self._accounts[target.account] = assume(credentials)
        return self._accounts[target.account]

    def each(self, policy: Policy, summary: Summary) -> Iterator[tuple[str, Clients]]:
        """(account id, its clients) for every account the policy acts in, in order; the summary's current
        account is set meanwhile. An account whose role cannot be assumed is an error of that account; the others
        go on. No `accounts` in the policy: the home account only."""
        try:
            home: str | None = self.home_account()
        except (ClientError, BotoCoreError) as exc:
            home = None
            if policy.accounts:  # else it only labels the summary; a listed home account is now assumed into
                summary.error(kind="account", region=self.home_region, resource=HOME, operation="GetCallerIdentity",
                              exc=exc, account=HOME)
        if not policy.accounts:
            yield from self._within(summary, home or HOME, self.home)
            return
        for target in policy.accounts:
            if target.account == home:
                yield from self._within(summary, target.account, self.home)
                continue
            try:
                clients = self.clients_for(target)
            except (ClientError, BotoCoreError) as exc:
                summary.error(kind="account", region=self.home_region, resource=target.role_arn,
                              operation="AssumeRole", exc=exc, account=target.account)
                continue
            yield from self._within(summary, target.account, clients)

    @staticmethod
    def _within(summary: Summary, account: str, clients: Clients) -> Iterator[tuple[str, Clients]]:
        previous, summary.account = summary.account, account
        try:
            yield account, clients
        finally:
            summary.account = previous


def home_region(regions: tuple[str, ...] | list[str]) -> str:
    """Where the global Budgets and STS calls go: the Lambda's own region, else the first policy region."""
    return os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or regions[0]
