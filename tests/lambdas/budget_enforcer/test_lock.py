"""The per-team lock against DynamoDB on a moto server (conditional writes evaluated by the stand-in): a held lock
makes a second run wait, then fail naming the holder; an expired lease is taken over; only the owner renews or
releases; the summary records each team's lock."""

from __future__ import annotations

import urllib.request
from typing import Any

import boto3
import pytest
from botocore.config import Config

from aifinops.lambdas.budget_enforcer.lock import LEASE_SECONDS, WAIT_ENV, LockBusy, LockLost, TeamLock
from aifinops.lambdas.budget_enforcer.locking import under_locks
from aifinops.lambdas.budget_enforcer.summary import Summary
from aifinops.policies.budget_policy import LOCK_TABLE
from tests.lambdas.budget_enforcer.lock_table import create_lock_table

T0 = 1_800_000_000.0


class Clock:
    def __init__(self, now: float = T0) -> None:
        self.now = now
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


@pytest.fixture
def dynamodb(moto_server: str, monkeypatch: pytest.MonkeyPatch) -> Any:
    urllib.request.urlopen(urllib.request.Request(f"{moto_server}/moto-api/reset", method="POST"), timeout=10)
    for key in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.setenv(key, "testing")
    client = boto3.client("dynamodb", region_name="us-east-1", endpoint_url=moto_server,
                          config=Config(retries={"max_attempts": 1}))
    create_lock_table(client)
    return client


def lock(dynamodb: Any, owner: str, clock: Clock, *, wait: float = 0) -> TeamLock:
    return TeamLock(dynamodb, LOCK_TABLE, owner=owner, holder=f"test:{owner}", wait_seconds=wait, clock=clock,
                    sleep=clock.sleep)


def item(dynamodb: Any, team: str = "search") -> dict[str, Any] | None:
    found: dict[str, Any] | None = dynamodb.get_item(TableName=LOCK_TABLE, Key={"lock": {"S": f"team/{team}"}}).get(
        "Item")
    return found


def test_a_held_lock_fails_a_second_run_with_its_holder_after_waiting(dynamodb: Any) -> None:
    clock = Clock()
    lease = lock(dynamodb, "run-a", clock).acquire("search")
    assert item(dynamodb) == {"lock": {"S": "team/search"}, "owner": {"S": "run-a"}, "holder": {"S": "test:run-a"},
                              "since": {"S": "2027-01-15T08:00:00Z"}, "expires": {"N": str(int(T0) + LEASE_SECONDS)}}
    with pytest.raises(LockBusy) as busy:
        lock(dynamodb, "run-b", clock, wait=10).acquire("search")
    assert clock.slept == [0.5, 1.0, 2.0, 4.0]  # growing pauses, within the wait
    assert busy.value.holder is not None and busy.value.holder.owner == "run-a"
    assert str(busy.value) == ("another run holds team search's lock: run run-a (test:run-a), since "
                               "2027-01-15T08:00:00Z, lease until 2027-01-15T08:15:00Z; nothing was done")
    lock(dynamodb, "run-b", clock).acquire("vision").release()  # other teams are free
    lease.release()
    assert item(dynamodb) is None


def test_a_second_run_that_waits_long_enough_gets_the_lock(dynamodb: Any) -> None:
    clock = Clock()
    first = lock(dynamodb, "run-a", clock).acquire("search")
    released = Clock()

    def sleep(seconds: float) -> None:  # the first run finishes while the second one waits
        released.sleep(seconds)
        first.release()

    second = TeamLock(dynamodb, LOCK_TABLE, owner="run-b", wait_seconds=30, clock=clock, sleep=sleep)
    assert second.acquire("search").owner == "run-b"
    assert item(dynamodb)["owner"] == {"S": "run-b"}  # type: ignore[index]


def test_an_expired_lease_is_taken_over_and_its_owner_can_neither_renew_nor_release(dynamodb: Any) -> None:
    clock = Clock()
    stale = lock(dynamodb, "run-a", clock).acquire("search")  # a run that died
    clock.now += LEASE_SECONDS + 1
    lease = lock(dynamodb, "run-b", clock).acquire("search")
    assert item(dynamodb)["owner"] == {"S": "run-b"}  # type: ignore[index]
    with pytest.raises(LockLost, match="run run-a lost team search's lock"):
        stale.release()
    with pytest.raises(LockLost):
        stale.lock.renew(stale)
    assert item(dynamodb)["owner"] == {"S": "run-b"}  # type: ignore[index]
    lease.release()


def test_release_only_by_its_owner(dynamodb: Any) -> None:
    clock = Clock()
    lease = lock(dynamodb, "run-a", clock).acquire("search")
    impostor = lock(dynamodb, "run-b", clock)
    with pytest.raises(LockLost):
        impostor.release(lease.__class__(impostor, "search", lease.expires))
    assert item(dynamodb)["owner"] == {"S": "run-a"}  # type: ignore[index]


def test_keep_renews_only_when_half_the_lease_is_gone(dynamodb: Any) -> None:
    clock = Clock()
    lease = lock(dynamodb, "run-a", clock).acquire("search")
    clock.now += LEASE_SECONDS / 2 - 1
    lease.keep()
    assert lease.expires == int(T0) + LEASE_SECONDS  # not yet
    clock.now += 2
    lease.keep()
    assert lease.expires == int(clock.now) + LEASE_SECONDS
    assert item(dynamodb)["expires"] == {"N": str(lease.expires)}  # type: ignore[index]


def test_the_wait_comes_from_the_environment(dynamodb: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(WAIT_ENV, "2.5")
    assert TeamLock(dynamodb, LOCK_TABLE, owner="x").wait_seconds == 2.5
    monkeypatch.delenv(WAIT_ENV)
    assert TeamLock(dynamodb, LOCK_TABLE, owner="x").wait_seconds == 30


def test_under_locks_records_each_team_and_releases_what_it_took(dynamodb: Any) -> None:
    clock = Clock()
    other = lock(dynamodb, "run-a", clock).acquire("vision")
    summary = Summary("resume", trigger="schedule", month="2027-01", run="run-b")
    with under_locks(lock(dynamodb, "run-b", clock), ["vision", "search", "search"], summary,
                     region="us-east-1") as held:
        assert held.teams == {"search"}
        assert item(dynamodb, "search")["owner"] == {"S": "run-b"}  # type: ignore[index]
    assert item(dynamodb, "search") is None and item(dynamodb, "vision")["owner"] == {"S": "run-a"}  # type: ignore[index]
    assert [(e["team"], e["result"]) for e in summary.locks] == [("search", "held"), ("vision", "busy")]
    assert summary.locks[1]["heldBy"] == {"owner": "run-a", "holder": "test:run-a", "since": "2027-01-15T08:00:00Z"}
    assert [(e["operation"], e["code"], e["resource"]) for e in summary.errors] == [
        ("AcquireLock", "LockBusy", f"{LOCK_TABLE}:team/vision")]
    other.release()


def test_a_lost_lease_ends_the_run_as_an_error(dynamodb: Any) -> None:
    clock = Clock()
    summary = Summary("pause", trigger="manual", month="2027-01", run="run-a")
    with under_locks(lock(dynamodb, "run-a", clock), ["search"], summary, region="us-east-1") as held:
        clock.now += LEASE_SECONDS + 1
        lock(dynamodb, "run-b", clock).acquire("search")  # someone took the expired lease
        held.keep()
        raise AssertionError("keep() must raise LockLost")  # pragma: no cover
    assert summary.locks[0]["result"] == "lost"
    assert [e["operation"] for e in summary.errors] == ["RenewLock"]
    assert item(dynamodb)["owner"] == {"S": "run-b"}
