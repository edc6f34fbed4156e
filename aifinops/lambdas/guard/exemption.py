"""The owner's word on a resource: the exemption tag and keys that look like the guard's own.

`aifinops:exempt-until` takes an ISO 8601 date or date-time (`2026-12-31`, `2026-12-31T18:00:00Z`,
`2026-12-31T18:00:00+05:00`, `20261231T180000Z`, lower-case `t`/`z`, surrounding spaces): a date runs to the end of
that day in UTC; a date-time with an offset to that instant; a date-time without an offset is read as UTC. A value
that cannot be parsed, or that reaches further than the configured maximum, is an owner who meant to exempt the
resource and got the value wrong: `decide` reports it and never stops the resource. A tag key equal to one of the
guard's keys except for case or punctuation (`aifinops:Exempt-Until`, `aifinops_exempt_until`) is a near miss and
is treated the same way (`near_misses`, shared with the budget enforcer and `aifinops report`: it also catches a
one-letter typo such as `aifinops:exempt-untl`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from aifinops_runtime.tag_keys import near_misses, normalized_key

__all__ = ["Exemption", "near_misses", "normalized_key", "parse_exemption", "read_exemption"]


@dataclass(frozen=True)
class Exemption:
    """What the exemption tag says at `now`: `until` (exclusive end, UTC) for a valid one, else `problem`."""

    raw: str
    until: datetime | None = None
    problem: str = ""
    expired: bool = False


def parse_exemption(text: str) -> datetime | None:
    """The moment an exemption value ends (UTC, exclusive), or None when it is not ISO 8601."""
    value = text.strip()
    if not value or len(value) > 64:
        return None
    upper = value.upper()
    if "W" in upper:
        return None  # an ISO week (2026-W52) is a span, not a moment: the owner's end of it is a guess
    try:
        if len(upper) <= 10 or not any(c in upper for c in "T :"):
            return datetime.combine(date.fromisoformat(upper) + timedelta(days=1), time(0), UTC)
        moment = datetime.fromisoformat(upper)
        return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    except (ValueError, OverflowError):  # not ISO 8601; or 9999-12-31 / year 1 with an offset: out of range
        return None


def read_exemption(tags: Mapping[str, str], key: str, now: datetime, max_days: int) -> Exemption | None:
    """The exemption tag's verdict at `now` (UTC), or None when the resource carries no such tag. A valid one
    ends after `now` and no later than the end of the day `max_days` ahead (UTC)."""
    raw = tags.get(key)
    if raw is None:
        return None
    until = parse_exemption(raw)
    if until is None:
        return Exemption(raw, problem=f"{key}={raw[:80]!r} is not an ISO 8601 date or date-time "
                                      f"(e.g. 2026-12-31 or 2026-12-31T18:00:00Z)")
    if until <= now:
        return Exemption(raw, until=until, expired=True)
    limit = datetime.combine(now.date() + timedelta(days=max_days + 1), time(0), UTC)
    if until > limit:
        return Exemption(raw, problem=f"{key}={raw.strip()} is more than {max_days} days ahead (the configured "
                                      f"maximum)")
    return Exemption(raw, until=until)
