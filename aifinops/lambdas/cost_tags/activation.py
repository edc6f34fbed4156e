"""One activation pass: read the keys' status (ListCostAllocationTags), activate the inactive ones
(UpdateCostAllocationTagsStatus, at most 20 keys a call) and read the answer's `Errors`: Cost Explorer answers
HTTP 200 with an error per key it has not yet seen in billing data (up to 24 hours after a resource first carries
it), and a pass that ignored them would report success without activating anything.

A key is active only when ListCostAllocationTags says so (read again after an update that accepted keys); a key
the update accepted but the listing does not show active yet is reported `activating`. Overdue: a key still not
active `overdue_days` after its first pass (the times are kept by the caller). Never raises on an API error: the
error is part of the result, and the next pass retries.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from aifinops_runtime.clients import API_ERRORS, describe_error

KEYS_PER_UPDATE = 20  # UpdateCostAllocationTagsStatus accepts at most 20 keys a call
KEYS_PER_LIST = 100  # ListCostAllocationTags accepts at most 100 TagKeys
ACTIVE = "Active"

__all__ = ["ACTIVE", "KEYS_PER_LIST", "KEYS_PER_UPDATE", "Pass", "run_pass", "statuses"]


@dataclass
class Pass:
    keys: tuple[str, ...]
    status: dict[str, str] = field(default_factory=dict)  # key -> Active | Inactive | unseen (not listed)
    activating: list[str] = field(default_factory=list)  # accepted by this pass's update, not yet listed active
    refused: list[dict[str, str]] = field(default_factory=list)  # {key, code, message} from the update's Errors
    failures: list[dict[str, str]] = field(default_factory=list)  # {operation, code, message}: calls that failed
    first_attempts: dict[str, str] = field(default_factory=dict)  # key -> ISO time of its first pass
    overdue_days: int = 0
    now: str = ""

    @property
    def inactive(self) -> list[str]:
        return [k for k in self.keys if self.status.get(k) != ACTIVE]

    @property
    def done(self) -> bool:
        return not self.inactive and not self.failures

    @property
    def overdue(self) -> list[str]:
        now = datetime.fromisoformat(self.now)
        return [k for k in self.inactive if k in self.first_attempts and
                now - datetime.fromisoformat(self.first_attempts[k]) >= timedelta(days=self.overdue_days)]

    def to_dict(self) -> dict[str, Any]:
        return {"keys": list(self.keys), "status": {k: self.status.get(k, "unseen") for k in self.keys},
                "inactive": self.inactive, "activating": self.activating, "refused": self.refused,
                "failures": self.failures, "overdue": self.overdue, "overdueAfterDays": self.overdue_days,
                "firstAttempts": dict(self.first_attempts), "done": self.done}


def statuses(ce: Any, keys: Sequence[str]) -> dict[str, str]:
    """key -> Active | Inactive for the keys Cost Explorer lists (user-defined tags); unseen keys are absent."""
    found: dict[str, str] = {}
    for start in range(0, len(keys), KEYS_PER_LIST):
        request: dict[str, Any] = {"TagKeys": list(keys[start:start + KEYS_PER_LIST]), "Type": "UserDefined"}
        while True:
            page = ce.list_cost_allocation_tags(**request)
            for tag in page.get("CostAllocationTags", []):
                if tag.get("TagKey") in keys:
                    found[str(tag["TagKey"])] = str(tag.get("Status", ""))
            if not page.get("NextToken"):
                break
            request["NextToken"] = page["NextToken"]
    return found


def run_pass(ce: Any, keys: Sequence[str], *, now: datetime, first_attempts: dict[str, str],
             overdue_days: int) -> Pass:
    """`first_attempts`: key -> ISO time of its first pass, as kept so far; keys without one start now."""
    result = Pass(tuple(keys), first_attempts={k: first_attempts.get(k) or now.isoformat() for k in keys},
                  overdue_days=overdue_days, now=now.isoformat())
    try:
        result.status = statuses(ce, keys)
    except API_ERRORS as exc:
        code, message = describe_error(exc)
        result.failures.append({"operation": "ListCostAllocationTags", "code": code, "message": message[:500]})
        return result
    wanted = result.inactive
    for start in range(0, len(wanted), KEYS_PER_UPDATE):
        chunk = wanted[start:start + KEYS_PER_UPDATE]
        try:
            answer = ce.update_cost_allocation_tags_status(
                CostAllocationTagsStatus=[{"TagKey": k, "Status": ACTIVE} for k in chunk])
        except API_ERRORS as exc:
            code, message = describe_error(exc)
            result.failures.append({"operation": "UpdateCostAllocationTagsStatus", "code": code,
                                    "message": message[:500]})
            continue
        errors = answer.get("Errors") or []
        refused = {str(e.get("TagKey")) for e in errors}
        result.refused += [{"key": str(e.get("TagKey")), "code": str(e.get("Code", "")),
                            "message": str(e.get("Message", ""))[:500]} for e in errors]
        result.activating += [k for k in chunk if k not in refused]
    if result.activating:  # read back what the updates did: a key counts as active only when listed so
        try:
            result.status.update(statuses(ce, keys))
        except API_ERRORS as exc:
            code, message = describe_error(exc)
            result.failures.append({"operation": "ListCostAllocationTags", "code": code, "message": message[:500]})
        result.activating = [k for k in result.activating if result.status.get(k) != ACTIVE]
    return result
