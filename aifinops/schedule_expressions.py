"""EventBridge schedule expressions, checked field by field: `cron(...)` and `rate(...)`.

EventBridge (and Application Auto Scaling, whose scheduled actions take the same six-field cron) refuses a
bad expression only at deployment; the config and the constructs ask here first, so `aifinops validate`,
`cdk synth` and the constructs refuse the same expressions with the same words. Pure; no aws_cdk.

    cron(minutes hours day-of-month month day-of-week year)
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["cron_problem", "rate_problem", "schedule_problem"]

CRON_FORM = "cron(minutes hours day-of-month month day-of-week year)"
RATE_FORM = "rate(<n> minute|minutes|hour|hours|day|days)"
_MONTHS = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")
_DAYS = ("SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT")
_RATE = re.compile(r"rate\((?P<n>\S+) (?P<unit>\S+)\)")
_RATE_UNITS = ("minute", "hour", "day")


@dataclass(frozen=True)
class _Field:
    name: str
    low: int
    high: int
    names: tuple[str, ...] = ()  # JAN..DEC or SUN..SAT: names[i] is low + i

    @property
    def allowed(self) -> str:
        return f"{self.low}-{self.high}" + (f" or {self.names[0]}-{self.names[-1]}" if self.names else "")


_FIELDS = (
    _Field("minutes", 0, 59), _Field("hours", 0, 23), _Field("day-of-month", 1, 31),
    _Field("month", 1, 12, _MONTHS), _Field("day-of-week", 1, 7, _DAYS), _Field("year", 1970, 2199),
)
_DAY_OF_MONTH, _DAY_OF_WEEK = 2, 4


def schedule_problem(expression: str) -> str | None:
    """What is wrong with an EventBridge schedule expression (cron or rate), or None."""
    if expression.startswith("rate("):
        return rate_problem(expression)
    if expression.startswith("cron("):
        return cron_problem(expression)
    return f"not a schedule expression: write {CRON_FORM} or {RATE_FORM}"


def rate_problem(expression: str) -> str | None:
    """`rate(N unit)`: N a whole number from 1, the unit singular for 1 and plural otherwise."""
    match = _RATE.fullmatch(expression)
    if match is None:
        return f"not a rate expression: write {RATE_FORM}"
    n, unit = match["n"], match["unit"]
    if not re.fullmatch(r"[1-9]\d*", n):
        return f"the rate value must be a whole number of 1 or more, not {n!r}"
    wanted = unit.removesuffix("s")
    if wanted not in _RATE_UNITS:
        return f"unknown rate unit {unit!r}; units are minute(s), hour(s), day(s)"
    expected = wanted if n == "1" else f"{wanted}s"
    if unit != expected:
        return f"write rate({n} {expected}): the unit is singular for 1 and plural otherwise"
    return None


def cron_problem(expression: str) -> str | None:
    """What is wrong with a six-field cron expression, every field's problem in one sentence, or None."""
    if not (expression.startswith("cron(") and expression.endswith(")")):
        return f"not a cron expression: write {CRON_FORM}"
    fields = expression[len("cron("):-1].split()
    if len(fields) != len(_FIELDS):
        return f"{len(fields)} fields, not 6: write {CRON_FORM}"
    problems = [f"{spec.name}: {problem}" for spec, text in zip(_FIELDS, fields, strict=True)
                if (problem := _field_problem(spec, text))]
    day_of_month, day_of_week = fields[_DAY_OF_MONTH], fields[_DAY_OF_WEEK]
    if (day_of_month == "?") == (day_of_week == "?"):
        problems.append(f"exactly one of day-of-month and day-of-week must be '?', not {day_of_month!r} and "
                        f"{day_of_week!r}")
    return "; ".join(problems) or None


def _field_problem(spec: _Field, text: str) -> str | None:
    if text == "?":
        return None if spec.name in ("day-of-month", "day-of-week") else "'?' only in day-of-month or day-of-week"
    if special := _special_problem(spec, text):
        return None if special == "ok" else special
    for item in text.split(","):
        if problem := _item_problem(spec, item):
            return problem
    return None


def _special_problem(spec: _Field, text: str) -> str | None:
    """L, W and # forms: alone in their field (EventBridge reads `3#1,6#3` as two expressions). "ok" when the
    field is one of them and right, None when it is not one of them."""
    if not any(c in text for c in "LW#") or text.upper() in _MONTHS + _DAYS or _only_names(spec, text):
        return None
    if spec.name == "day-of-month":
        if text == "L" or (text.endswith("W") and _value(spec, text[:-1]) is not None):
            return "ok"
        return f"{text!r}: day-of-month takes L (last day) or <day>W (nearest weekday), alone"
    if spec.name == "day-of-week":
        day, sep, nth = text.partition("#")
        if text == "L" or (text.endswith("L") and _value(spec, text[:-1]) is not None):
            return "ok"
        if sep and _value(spec, day) is not None and nth in ("1", "2", "3", "4", "5"):
            return "ok"
        return f"{text!r}: day-of-week takes L, <day>L (last of the month) or <day>#<1-5>, alone"
    return f"{text!r}: L, W and # only in day-of-month and day-of-week"


def _only_names(spec: _Field, text: str) -> bool:
    """MON-WED or JUL,AUG: names, not the L/W/# wildcards, even though they contain those letters."""
    parts = [part for part in re.split(r"[,\-/]", text) if part]
    return bool(spec.names) and all(part in spec.names or part.isdigit() or part == "*" for part in parts)


def _item_problem(spec: _Field, item: str) -> str | None:
    base, slash, step = item.partition("/")
    if slash:
        if not re.fullmatch(r"[1-9]\d*", step):
            return f"{item!r}: the increment after '/' must be a whole number of 1 or more"
        if spec.name == "day-of-week":
            return f"{item!r}: '/' is not allowed in day-of-week"
    if base == "*":
        return None
    start, dash, end = base.partition("-")
    low = _value(spec, start)
    if low is None:
        return _bad_value(spec, start)
    if not dash:
        return None
    high = _value(spec, end)
    if high is None:
        return _bad_value(spec, end)
    if low > high:
        return f"{item!r}: a range runs from low to high"
    return None


def _value(spec: _Field, text: str) -> int | None:
    if text in spec.names:
        return spec.low + spec.names.index(text)
    if re.fullmatch(r"\d{1,4}", text) and spec.low <= int(text) <= spec.high:
        return int(text)
    return None


def _bad_value(spec: _Field, text: str) -> str:
    if re.fullmatch(r"\d+", text):
        return f"{text} is outside {spec.allowed}"
    return f"{text!r} is not a value of {spec.allowed}" + ("" if text else " (empty)")
