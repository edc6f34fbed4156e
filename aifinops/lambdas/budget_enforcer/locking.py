"""A run under its teams' locks (lock.py): take them, each recorded in the summary; keep them while acting;
release them at the end. A team whose lock cannot be taken is an error of the run, and nothing of that team is
acted on; the other teams go on.

The lock table is the policy's (`lock`), reached with the home account's clients: the Lambda's own account, or
for `aifinops budget` the credentials given for the lock (`--lock-profile`, default the caller's).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from aifinops_runtime.clients import API_ERRORS

from .clients import Clients
from .lock import Lease, LockBusy, LockLost, TeamLock, lock_item_key
from .policy import Policy
from .summary import Summary

__all__ = ["TeamLeases", "team_lock", "under_locks"]


def team_lock(policy: Policy, clients: Clients, owner: str) -> TeamLock:
    """The policy's lock table, through `clients` (the home account's), for the run `owner`."""
    return TeamLock(clients.client("dynamodb", policy.lock.region), policy.lock.table, owner=owner)


class TeamLeases:
    """The teams whose lock this run holds."""

    def __init__(self, leases: Mapping[str, Lease]) -> None:
        self._leases = dict(leases)

    @property
    def teams(self) -> frozenset[str]:
        return frozenset(self._leases)

    def keep(self) -> None:
        """Renew what needs it; `LockLost` when another run holds one of them now."""
        for lease in self._leases.values():
            lease.keep()


@contextmanager
def under_locks(lock: TeamLock, teams: Iterable[str], summary: Summary, *, region: str) -> Iterator[TeamLeases]:
    """Take the lock of each team (sorted, once each); yield those held; release them whatever happens. A
    `LockLost` raised by `keep` inside ends the run there: recorded as an error, not raised."""
    leases: dict[str, Lease] = {}
    entries: dict[str, dict[str, Any]] = {}
    for team in sorted(set(teams)):
        resource = f"{lock.table}:{lock_item_key(team)}"
        entry: dict[str, Any] = {"team": team, "table": lock.table, "owner": lock.owner, "holder": lock.holder}
        summary.locks.append(entry)
        entries[team] = entry
        try:
            leases[team] = lock.acquire(team)
        except LockBusy as busy:
            summary.error(kind="lock", region=region, resource=resource, operation="AcquireLock", exc=busy)
            entry.update(result="busy", heldBy=None if busy.holder is None else {
                "owner": busy.holder.owner, "holder": busy.holder.holder, "since": busy.holder.since})
            continue
        except API_ERRORS as exc:
            summary.error(kind="lock", region=region, resource=resource, operation="PutItem", exc=exc)
            entry.update(result="error")
            continue
        lease = leases[team]
        entry.update(result="held", released=False)
        if lease.waited_for is not None:  # another run held it first: this one waited for it to finish
            entry.update(waitedSeconds=lease.waited, waitedFor=lease.waited_for.owner)
    lost: set[str] = set()
    try:
        yield TeamLeases(leases)
    except LockLost as exc:
        lost.add(exc.team)
        summary.error(kind="lock", region=region, resource=f"{lock.table}:{lock_item_key(exc.team)}",
                      operation="RenewLock", exc=exc)
        entries[exc.team].update(result="lost")
    finally:
        for team, lease in leases.items():
            if team in lost:
                continue
            try:
                lease.release()
            except (LockLost, *API_ERRORS) as exc:
                summary.error(kind="lock", region=region, resource=f"{lock.table}:{lock_item_key(team)}",
                              operation="ReleaseLock", exc=exc)
                continue
            entries[team]["released"] = True
