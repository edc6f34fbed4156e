"""The owner's word on a resource: the exemption tag and keys that look like the guard's own.

`aifinops:exempt-until` takes an ISO 8601 date or date-time (`2026-12-31`, `2026-12-31T18:00:00Z`,
`2026-12-31T18:00:00+05:00`, `20261231T180000Z`, lower-case `t`/`z`, surrounding spaces, `24:00`, a leap second):
a date runs to the end of that day in UTC, or in the zone it names (`2026-12-31+05:00`); a date-time with an offset
to that instant; a date-time without an offset is read as UTC. A value that cannot be parsed, or that reaches
further than the configured maximum, is an owner who meant to exempt the resource and got the value wrong: `decide`
reports it and never stops the resource. A tag key equal to one of the guard's keys except for case or punctuation
(`aifinops:Exempt-Until`, `aifinops_exempt_until`) is a near miss and is treated the same way (`near_misses`,
shared with the budget enforcer and `aifinops report`: it also catches a one-letter typo such as
`aifinops:exempt-untl`); for the exemption key, so is any key holding its words in order
(`user:aifinops:exempt-until`, `aifinops:exempted-until`: `exemption_lookalikes`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, timezone, tzinfo

from aifinops_runtime.tag_keys import near_misses, normalized_key

__all__ = ["Exemption", "exemption_lookalikes", "near_misses", "normalized_key", "parse_exemption",
           "read_exemption"]


@dataclass(frozen=True)
class Exemption:
    """What the exemption tag says at `now`: `until` (exclusive end, UTC) for a valid one, else `problem`."""

    raw: str
    until: datetime | None = None
    problem: str = ""
    expired: bool = False


def parse_exemption(text: str) -> datetime | None:
    """The moment an exemption value ends (UTC, exclusive), or None when it is not ISO 8601.

    A date runs to the end of that day: in UTC, or in the zone it names (`2026-12-31+05:00`, `2026-12-31Z`, the
    XML Schema date form). `24:00` is the end of its day and a leap second `23:59:60` the second after `23:59:59`,
    both valid ISO 8601 / RFC 3339. A moment beyond what Python represents is the earliest or latest one: a date of
    year 1 has passed, one of year 9999 is too far ahead, and neither is "not ISO 8601"."""
    value = text.strip()
    if not value or len(value) > 64:
        return None
    upper = value.upper()
    if "W" in upper:
        return None  # an ISO week (2026-W52) is a span, not a moment: the owner's end of it is a guess
    try:
        day = _DATE_ONLY.fullmatch(upper)
        if day is not None:
            zone = _zone(day.group("zone"))
            return _utc(datetime.combine(date.fromisoformat(day.group("date")), time(0), zone), timedelta(days=1))
        repaired, extra = _end_of_day_or_leap_second(upper)
        moment = datetime.fromisoformat(repaired)
        return _utc(moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC), extra)
    except ValueError:  # not ISO 8601
        return None


_DATE_ONLY = re.compile(r"(?P<date>\d{4}-\d{2}-\d{2}|\d{8})\s*(?P<zone>Z|[+-]\d{2}(?::?\d{2})?)?")
_TIME = re.compile(r"(?P<head>.*?[T ])(?P<h>\d{2})(?P<sep>:?)(?P<m>\d{2})?(?:(?P=sep)(?P<s>\d{2})(?P<frac>[.,]\d+)?)?"
                   r"(?P<zone>\s*(?:Z|[+-]\d{2}(?::?\d{2})?)?)")


def _zone(text: str | None) -> tzinfo:
    """The fixed offset of a zone designator (`Z`, `+05`, `+0530`, `-05:30`); UTC when there is none."""
    if not text or text == "Z":
        return UTC
    digits = text[1:].replace(":", "")
    hours, minutes = int(digits[:2]), int(digits[2:] or 0)
    if hours > 23 or minutes > 59:
        raise ValueError(f"offset out of range: {text}")
    offset = timedelta(hours=hours, minutes=minutes)
    return timezone(-offset if text[0] == "-" else offset)


def _end_of_day_or_leap_second(value: str) -> tuple[str, timedelta]:
    """`value` with `24:00[:00]` as `00:00` of the same day (+1 day) or a leap second `:60` as `:59` (+1 second),
    for `datetime.fromisoformat`; other values as they are."""
    match = _TIME.fullmatch(value)
    if match is None:
        return value, timedelta(0)
    h, m, s, frac = match.group("h"), match.group("m") or "00", match.group("s"), match.group("frac") or ""
    head, sep, zone = match.group("head"), match.group("sep"), match.group("zone")
    if h == "24" and m == "00" and (s or "00") == "00" and not frac.strip(".,0"):
        return f"{head}00{sep}00{zone}", timedelta(days=1)
    if s == "60":
        return f"{head}{h}{sep}{m}{sep}59{zone}", timedelta(seconds=1)
    return value, timedelta(0)


def _utc(moment: datetime, extra: timedelta) -> datetime:
    """`moment + extra` in UTC; beyond datetime's range, its earliest or latest moment."""
    try:
        return (moment.astimezone(UTC) if moment.tzinfo is not UTC else moment) + extra
    except OverflowError:
        return datetime.min.replace(tzinfo=UTC) if moment.year < 5000 else datetime.max.replace(tzinfo=UTC)


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


def exemption_lookalikes(tags: Iterable[str], key: str) -> dict[str, str]:
    """Tag keys present that the owner meant as the exemption key `key` (-> `key`): a near miss of it, with or
    without its prefix (`aifinops:Exempt-Until`, `exempt_until`, `aifinops:exempt-untl`), or a key naming the prefix
    and the words of the unprefixed form in order once case and punctuation are set aside: another prefix in front
    (`user:aifinops:exempt-until`, as Cost Explorer shows it; `aws:aifinops:exempt-until`), a word after it
    (`aifinops:exempt-until-utc`) or inside it (`aifinops:exempted-until`). Another tool's exemption
    (`backup:exempt-until`) is not ours."""
    names = list(tags)
    prefix = key.partition(":")[0] + ":" if ":" in key else ""
    found = {**near_misses(names, (key,)), **near_misses(names, (key,), prefix=prefix)}
    words = [normalized_key(prefix), *(w for w in re.split(r"[^0-9a-z]+", key.removeprefix(prefix).lower()) if w)]
    pattern = re.compile(".*".join(re.escape(w) for w in words if w))
    for name in names:
        if name != key and name not in found and pattern.search(normalized_key(name)):
            found[name] = key
    return found
