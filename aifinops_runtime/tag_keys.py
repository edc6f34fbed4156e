"""Near misses of tag keys: a key the owner meant as one of ours (`aifinops:critical`, `team`, ...) and got
slightly wrong. Tag keys are exact everywhere in AWS (IAM conditions, the tagging API's filters, Cost Explorer),
so `aifinops:Critical=true` protects nothing and `Team=search` belongs to no team: each function reports such keys
instead of silently reading past them. One implementation, shared by the GPU guard, the budget enforcer and
`aifinops report`.

A tag key is a near miss of a known key when, compared without case and punctuation (`normalized_key`), it is
- equal (`aifinops:Critical`, `aifinops_critical`, `AIFINOPS:CRITICAL`, `Team`, `task_type`), or
- one edit away (a letter missing, added, changed, or two neighbours swapped: `aifinops:critcal`,
  `aifinops:crtiical`, `enviroment`), for known keys of at least TYPO_MIN_LENGTH characters once normalized
  (shorter keys are too close to ordinary words: `team` and `teams`, `model` and `mode`),
and is not itself one of the known keys. `prefix` also compares each known key without it (`critical` for
`aifinops:critical`), for the keys whose bare form still says the owner's intent.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

__all__ = ["TYPO_MIN_LENGTH", "near_misses", "normalized_key", "one_edit_apart"]

TYPO_MIN_LENGTH = 6
_NOT_ALNUM = re.compile(r"[^0-9a-z]")


def normalized_key(key: str) -> str:
    """A tag key without case and punctuation: `aifinops:Exempt-Until` -> `aifinopsexemptuntil`."""
    return _NOT_ALNUM.sub("", key.lower())


def one_edit_apart(a: str, b: str) -> bool:
    """At most one insertion, deletion, substitution or swap of two neighbours turns `a` into `b`."""
    if a == b:
        return True
    if abs(len(a) - len(b)) > 1:
        return False
    if len(a) == len(b):
        diffs = [i for i, (x, y) in enumerate(zip(a, b, strict=True)) if x != y]
        if len(diffs) == 1:
            return True
        return len(diffs) == 2 and diffs[1] == diffs[0] + 1 and a[diffs[0]] == b[diffs[1]] and a[diffs[1]] == b[
            diffs[0]]
    short, long_ = (a, b) if len(a) < len(b) else (b, a)
    i = 0
    while i < len(short) and short[i] == long_[i]:
        i += 1
    return short[i:] == long_[i + 1:]


def near_misses(tags: Iterable[str], keys: Iterable[str], *, prefix: str = "") -> dict[str, str]:
    """Tag key present -> the key of `keys` it resembles (see the module docstring); exact keys are never near
    misses. A tag key resembling several known keys is paired with an equal one first, else the first of `keys`."""
    known = list(dict.fromkeys(keys))
    forms: list[tuple[str, str]] = [(normalized_key(k), k) for k in known]
    if prefix:
        forms += [(normalized_key(k.removeprefix(prefix)), k) for k in known if k.startswith(prefix)]
    exact = set(known)
    found: dict[str, str] = {}
    for tag in tags:
        if tag in exact:
            continue
        norm = normalized_key(tag)
        if not norm:
            continue
        equal = next((k for form, k in forms if form == norm), None)
        typo = next((k for form, k in forms if len(form) >= TYPO_MIN_LENGTH and one_edit_apart(form, norm)), None)
        target = equal or typo
        if target is not None:
            found[tag] = target
    return found
