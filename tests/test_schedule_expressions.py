"""EventBridge schedule expressions, field by field: what EventBridge's cron and rate syntax allows, and the
sentence that says what is wrong otherwise."""

from __future__ import annotations

import pytest

from aifinops.schedule_expressions import cron_problem, rate_problem, schedule_problem


@pytest.mark.parametrize("expression", [
    "cron(5 0 1 * ? *)",  # the default resume: 00:05 UTC on the 1st
    "cron(0 7 ? * MON-FRI *)",
    "cron(0/15 * * * ? *)",
    "cron(*/5 8-18 ? * 2-6 *)",
    "cron(0 10,14 L * ? *)",  # last day of the month
    "cron(0 9 15W * ? *)",  # the weekday nearest the 15th
    "cron(0 9 ? * 6L *)",  # the last Friday of the month
    "cron(0 9 ? * FRIL *)",
    "cron(0 9 ? * 3#2 *)",  # the second Tuesday
    "cron(0 9 ? * WED#1 *)",
    "cron(0 0 1 JAN,JUL ? 2026-2030)",
    "cron(0 0 1 JUL-DEC/2 ? *)",
    "cron(59 23 31 12 ? 2199)",
    "cron(0 0 1 1 ? 1970)",
])
def test_valid_cron(expression: str) -> None:
    assert cron_problem(expression) is None
    assert schedule_problem(expression) is None


@pytest.mark.parametrize(("expression", "problem"), [
    ("cron(5 0 1 * MON *)", "exactly one of day-of-month and day-of-week must be '?', not '1' and 'MON'"),
    ("cron(0 8 * * * *)", "exactly one of day-of-month and day-of-week must be '?', not '*' and '*'"),
    ("cron(0 8 ? * ? *)", "exactly one of day-of-month and day-of-week must be '?', not '?' and '?'"),
    ("cron(99 99 99 * ? *)", "minutes: 99 is outside 0-59; hours: 99 is outside 0-23; day-of-month: 99 is outside "
                             "1-31"),
    ("cron(0 0 0 * ? *)", "day-of-month: 0 is outside 1-31"),
    ("cron(0 0 1 13 ? *)", "month: 13 is outside 1-12 or JAN-DEC"),
    ("cron(0 0 ? * 8 *)", "day-of-week: 8 is outside 1-7 or SUN-SAT"),
    ("cron(0 0 1 * ? 1969)", "year: 1969 is outside 1970-2199"),
    ("cron(0 0 1 * ? 2200)", "year: 2200 is outside 1970-2199"),
    ("cron(0 0 1 FOO ? *)", "month: 'FOO' is not a value of 1-12 or JAN-DEC"),
    ("cron(0 8 ? * mon *)", "day-of-week: 'mon' is not a value of 1-7 or SUN-SAT"),
    ("cron(5-1 0 1 * ? *)", "minutes: '5-1': a range runs from low to high"),
    ("cron(0/0 0 1 * ? *)", "minutes: '0/0': the increment after '/' must be a whole number of 1 or more"),
    ("cron(0 8 ? * MON/2 *)", "day-of-week: 'MON/2': '/' is not allowed in day-of-week"),
    ("cron(? 0 1 * ? *)", "minutes: '?' only in day-of-month or day-of-week"),
    ("cron(L 8 ? * * *)", "minutes: 'L': L, W and # only in day-of-month and day-of-week"),
    ("cron(0 8 LW * ? *)", "day-of-month: 'LW': day-of-month takes L (last day) or <day>W (nearest weekday), alone"),
    ("cron(0 8 1W,15 * ? *)", "day-of-month: '1W,15': day-of-month takes L (last day) or <day>W"),
    ("cron(0 8 ? * 3#1,6#3 *)", "day-of-week: '3#1,6#3': day-of-week takes L, <day>L (last of the month) or "
                                "<day>#<1-5>, alone"),
    ("cron(0 8 ? * 3#6 *)", "day-of-week: '3#6'"),
    ("cron(0 8 1- * ? *)", "day-of-month: '' is not a value of 1-31 (empty)"),
    ("cron(0 8 1 *)", "4 fields, not 6: write cron(minutes hours day-of-month month day-of-week year)"),
    ("cron(0 8 1 * ? * *)", "7 fields, not 6"),
    ("cron 0 8 1 * ? *", "not a cron expression"),
])
def test_invalid_cron_says_which_field_and_why(expression: str, problem: str) -> None:
    found = cron_problem(expression)
    assert found is not None and found.startswith(problem), found


@pytest.mark.parametrize("expression", ["rate(1 minute)", "rate(5 minutes)", "rate(1 hour)", "rate(12 hours)",
                                        "rate(1 day)", "rate(30 days)"])
def test_valid_rate(expression: str) -> None:
    assert rate_problem(expression) is None
    assert schedule_problem(expression) is None


@pytest.mark.parametrize(("expression", "problem"), [
    ("rate(1 minutes)", "write rate(1 minute): the unit is singular for 1 and plural otherwise"),
    ("rate(5 minute)", "write rate(5 minutes): the unit is singular for 1 and plural otherwise"),
    ("rate(0 days)", "the rate value must be a whole number of 1 or more, not '0'"),
    ("rate(-1 days)", "the rate value must be a whole number of 1 or more, not '-1'"),
    ("rate(1.5 hours)", "the rate value must be a whole number of 1 or more, not '1.5'"),
    ("rate(05 days)", "the rate value must be a whole number of 1 or more, not '05'"),
    ("rate(2 weeks)", "unknown rate unit 'weeks'; units are minute(s), hour(s), day(s)"),
    ("rate(5)", "not a rate expression: write rate(<n> minute|minutes|hour|hours|day|days)"),
])
def test_invalid_rate(expression: str, problem: str) -> None:
    assert rate_problem(expression) == problem
    assert schedule_problem(expression) == problem


def test_neither_cron_nor_rate() -> None:
    assert schedule_problem("at(2026-01-01T00:00:00)") == (
        "not a schedule expression: write cron(minutes hours day-of-month month day-of-week year) or "
        "rate(<n> minute|minutes|hour|hours|day|days)")
    assert schedule_problem("0 0 1 * *") is not None  # crontab's five fields are not EventBridge's six
