"""One run at a time per team: a lease in a small DynamoDB table, taken by the pause and resume functions and by
`aifinops budget pause|resume` alike (reserved concurrency 1 only keeps two invocations of one function apart).

The table (the `BudgetEnforcer` construct's, named in the policy's `lock`) has the partition key `lock` (string);
one item per team, `team/<team>`, with `owner` (the run id), `holder` (who runs: function or CLI user and host),
`since` (ISO 8601 UTC) and `expires` (epoch seconds; the table's TTL attribute, so stale items also go away).

- acquire: PutItem with the condition `attribute_not_exists(lock) OR expires < now`: free, or its lease ran out
  (a run that died never blocks the team for longer than LEASE_SECONDS). Held by another run: re-tried with
  growing pauses for up to `wait_seconds` (argument -> AIFINOPS_LOCK_WAIT_SECONDS -> DEFAULT_WAIT_SECONDS), then
  `LockBusy`, which names the holder; the run then acts on nothing.
- keep: before each action; when less than half the lease is left, UpdateItem extends it on the condition that
  the run still owns it (else `LockLost`: the run stops acting).
- release: DeleteItem on the condition that the run owns it; someone else's lease is never removed.

The lease (15 minutes) outlives the functions' timeout (5 minutes, checked by the construct), and `keep` renews it
for a long CLI run. Clocks: `expires` is compared with the clock of the run that wants the lock; a clock minutes
ahead could take a live lease early, hence a lease three times the timeout.
A run that dies (timeout, out of memory) cannot release: its team stays locked until the lease runs out, and runs
meanwhile report it as the holder (Lambda's own retries of that invocation included). What it left `pausing` is
retried by the next pause.
"""

from __future__ import annotations

import getpass
import os
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from botocore.exceptions import ClientError

LEASE_SECONDS = 900
DEFAULT_WAIT_SECONDS = 30.0
WAIT_ENV = "AIFINOPS_LOCK_WAIT_SECONDS"
KEY = "lock"  # the table's partition key
TTL_ATTRIBUTE = "expires"
FIRST_PAUSE, MAX_PAUSE = 0.5, 5.0
MAX_RELEASED_RETRIES = 3  # "held" then "no item": retried at once this often, then with the pauses

__all__ = ["DEFAULT_WAIT_SECONDS", "KEY", "LEASE_SECONDS", "TTL_ATTRIBUTE", "WAIT_ENV", "Holder", "Lease",
           "LockBusy", "LockLost", "TeamLock", "default_holder", "lock_item_key"]


def lock_item_key(team: str) -> str:
    return f"team/{team}"


def default_holder() -> str:
    """Who runs: the Lambda function's name, else user@host (the CLI)."""
    function = os.environ.get("AWS_LAMBDA_FUNCTION_NAME")
    if function:
        return f"lambda:{function}"
    try:
        user = getpass.getuser()
    except (KeyError, OSError):  # no user name in a container without a passwd entry
        user = str(os.getuid()) if hasattr(os, "getuid") else "unknown"
    return f"cli:{user}@{socket.gethostname()}"


@dataclass(frozen=True)
class Holder:
    """Who holds a team's lock, as its item says."""

    owner: str
    holder: str
    since: str
    expires: int

    def describe(self) -> str:
        until = datetime.fromtimestamp(self.expires, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        return f"run {self.owner} ({self.holder}), since {self.since}, lease until {until}"


class LockBusy(Exception):
    """Another run holds the team's lock (`holder`; None when it was released while we looked)."""

    def __init__(self, team: str, holder: Holder | None) -> None:
        who = holder.describe() if holder else "a run that has just released it"
        super().__init__(f"another run holds team {team}'s lock: {who}; nothing was done")
        self.team, self.holder = team, holder


class LockLost(Exception):
    """The run's lease ran out and another run took the team's lock: the run must stop acting."""

    def __init__(self, team: str, owner: str) -> None:
        super().__init__(f"run {owner} lost team {team}'s lock (its lease ran out and another run took it); "
                         "it stopped acting")
        self.team = team


class TeamLock:
    """Takes and releases the per-team locks in `table`, as run `owner`. `dynamodb`: a boto3 DynamoDB client of
    the table's account and region. `clock` and `sleep` are injectable for tests."""

    def __init__(self, dynamodb: Any, table: str, *, owner: str, holder: str | None = None,
                 lease_seconds: int = LEASE_SECONDS, wait_seconds: float | None = None,
                 clock: Callable[[], float] = time.time, sleep: Callable[[float], None] = time.sleep) -> None:
        if wait_seconds is None:
            wait_seconds = float(os.environ.get(WAIT_ENV) or DEFAULT_WAIT_SECONDS)
        if wait_seconds < 0 or lease_seconds < 1:
            raise ValueError(f"wait_seconds must be >= 0 and lease_seconds >= 1, got {wait_seconds}, {lease_seconds}")
        self.dynamodb, self.table, self.owner = dynamodb, table, owner
        self.holder = holder or default_holder()
        self.lease_seconds, self.wait_seconds = lease_seconds, wait_seconds
        self._clock, self._sleep = clock, sleep

    def acquire(self, team: str) -> Lease:
        """The team's lease, or `LockBusy` after `wait_seconds`; API errors propagate (nothing is held then)."""
        started = self._clock()
        deadline = started + self.wait_seconds
        pause = FIRST_PAUSE
        waited_for: Holder | None = None
        released = 0
        while True:
            now = self._clock()
            expires = int(now) + self.lease_seconds
            try:
                self.dynamodb.put_item(
                    TableName=self.table,
                    Item={KEY: {"S": lock_item_key(team)}, "owner": {"S": self.owner}, "holder": {"S": self.holder},
                          "since": {"S": _iso(now)}, TTL_ATTRIBUTE: {"N": str(expires)}},
                    ConditionExpression="attribute_not_exists(#k) OR #e < :now",
                    ExpressionAttributeNames={"#k": KEY, "#e": TTL_ATTRIBUTE},
                    ExpressionAttributeValues={":now": {"N": str(int(now))}})
                return Lease(self, team, expires, waited=round(now - started, 1), waited_for=waited_for)
            except ClientError as exc:
                if not _condition_failed(exc):
                    raise
            holder = self.read(team)
            if holder is None and released < MAX_RELEASED_RETRIES:  # released between the two calls: again at once
                released += 1
                continue
            waited_for = holder or waited_for
            if self._clock() + pause > deadline:
                raise LockBusy(team, holder)
            self._sleep(pause)
            pause = min(pause * 2, MAX_PAUSE)

    def read(self, team: str) -> Holder | None:
        item = self.dynamodb.get_item(TableName=self.table, Key={KEY: {"S": lock_item_key(team)}},
                                      ConsistentRead=True).get("Item")
        if not item:
            return None
        return Holder(owner=item.get("owner", {}).get("S", "?"), holder=item.get("holder", {}).get("S", "?"),
                      since=item.get("since", {}).get("S", "?"), expires=int(item.get(TTL_ATTRIBUTE, {}).get("N", 0)))

    def renew(self, lease: Lease) -> None:
        """Extend the lease if this run still owns it (else `LockLost`)."""
        expires = int(self._clock()) + self.lease_seconds
        try:
            self.dynamodb.update_item(
                TableName=self.table, Key={KEY: {"S": lock_item_key(lease.team)}}, UpdateExpression="SET #e = :e",
                ConditionExpression="#o = :me", ExpressionAttributeNames={"#o": "owner", "#e": TTL_ATTRIBUTE},
                ExpressionAttributeValues={":me": {"S": self.owner}, ":e": {"N": str(expires)}})
        except ClientError as exc:
            if _condition_failed(exc):
                raise LockLost(lease.team, self.owner) from None
            raise
        lease.expires = expires

    def release(self, lease: Lease) -> None:
        """Delete the item if this run still owns it (`LockLost` if not: someone else's lease stays)."""
        try:
            self.dynamodb.delete_item(
                TableName=self.table, Key={KEY: {"S": lock_item_key(lease.team)}}, ConditionExpression="#o = :me",
                ExpressionAttributeNames={"#o": "owner"}, ExpressionAttributeValues={":me": {"S": self.owner}})
        except ClientError as exc:
            if _condition_failed(exc):
                raise LockLost(lease.team, self.owner) from None
            raise

    def now(self) -> float:
        return self._clock()


class Lease:
    """A held team lock; `keep()` before each action, `release()` at the end."""

    def __init__(self, lock: TeamLock, team: str, expires: int, *, waited: float = 0.0,
                 waited_for: Holder | None = None) -> None:
        self.lock, self.team, self.expires = lock, team, expires
        self.waited, self.waited_for = waited, waited_for  # how long acquire waited, and for whom

    @property
    def owner(self) -> str:
        return self.lock.owner

    def keep(self) -> None:
        """Renew when less than half of the lease is left; `LockLost` when another run holds the lock now."""
        if self.expires - self.lock.now() < self.lock.lease_seconds / 2:
            self.lock.renew(self)

    def release(self) -> None:
        self.lock.release(self)


def _condition_failed(exc: ClientError) -> bool:
    return str(exc.response.get("Error", {}).get("Code")) == "ConditionalCheckFailedException"


def _iso(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
