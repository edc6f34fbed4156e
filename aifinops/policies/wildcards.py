"""IAM wildcard patterns (`*` any run of characters, `?` exactly one): matching, and dropping patterns that
another pattern of the same list already covers, so SCP lists stay short without matching less.

IAM's `*` matches across `.`, `/` and `-` (and, at the end of an ARN segment, across `:`); a policy string
pattern is case-sensitive for condition values (`StringLike`). Pure; no aws_cdk.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import cache


@cache
def _regex(pattern: str) -> re.Pattern[str]:
    body = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.compile(f"^{body}$", re.DOTALL)


def matches(pattern: str, value: str) -> bool:
    """True when an IAM wildcard pattern matches `value` (case-sensitive, like `StringLike`)."""
    return _regex(pattern).match(value) is not None


def covers(general: str, specific: str) -> bool:
    """True when every string `specific` matches is also matched by `general`.

    Sound, not complete: with `general` free of `?`, `general` matching the text of `specific` (its `*`
    read as a literal character) means each `*` of `specific` falls inside a run that a `*` of `general`
    absorbs, so any expansion of it is absorbed too. A `?` in `specific` is read as a literal character,
    which `general` can only absorb with a `*`, so the argument holds for it as well. A `general` with `?`
    is never taken to cover another pattern (it would have to match exactly one character of a `*`).
    """
    if general == specific:
        return True
    if "?" in general:
        return False
    return matches(general, specific)


def reduce_patterns(patterns: Iterable[str]) -> tuple[str, ...]:
    """The patterns in their first-seen order, without duplicates and without any pattern that another
    one of the list covers: the result matches exactly the strings the input matches."""
    unique = list(dict.fromkeys(patterns))

    def redundant(i: int, p: str) -> bool:
        # Two patterns that cover each other (`a*` and `a**`) are equivalent: keep the first of them.
        return any(j != i and covers(q, p) and (j < i or not covers(p, q)) for j, q in enumerate(unique))

    return tuple(p for i, p in enumerate(unique) if not redundant(i, p))
