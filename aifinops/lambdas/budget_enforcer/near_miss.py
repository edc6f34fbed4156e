"""Tag keys that look like the enforcer's own or like a cost tag key: what they change, and that they are reported.

Tag keys are exact (IAM conditions, the tagging API, the budgets' filters), so a near miss (`aifinops_runtime.
tag_keys`: case, punctuation, or one typo apart) is never read as the real key silently. What it changes:
- a near miss of the criticality key (`aifinops:Critical`, `aifinops:critcal`, bare `critical`) with the value
  `true`: the resource is treated as critical, not paused. Never losing work comes before cost here; any `true`
  wins, the exact key's `false` included.
- a near miss of the team or project key (`Team=search`) with the value looked for (any case): the resource may
  be the team's, or may not: it is not paused (its team is uncertain until the key is fixed) and is reported
  as needing a fix. Pausing on a guess could stop another team's work; ignoring it silently hides spend.
- any other near miss (of the paused mark, of the other cost tag keys, or of a key present exactly too):
  reported only.
Every near miss of a resource the run looks at lands in the summary's `nearMisses` and in a WARNING log line.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from aifinops_runtime.tag_keys import near_misses

from .policy import Policy

CRITICAL = "treated as critical: not paused"
TEAM_UNCERTAIN = "not paused: its team is uncertain until the key is fixed"
REPORTED = "reported only"

__all__ = ["CRITICAL", "REPORTED", "TEAM_UNCERTAIN", "NearMiss", "TagReading", "critical_by", "tag_reading"]


@dataclass(frozen=True)
class NearMiss:
    tag: str  # the key on the resource
    looks_like: str  # the key it resembles
    value: str
    effect: str  # CRITICAL, TEAM_UNCERTAIN or REPORTED

    def to_dict(self) -> dict[str, str]:
        return {"tag": self.tag, "looksLike": self.looks_like, "value": self.value[:256], "effect": self.effect}

    def says(self) -> str:
        return f"'{self.tag}' looks like '{self.looks_like}' (tag keys are exact)"


@dataclass(frozen=True)
class TagReading:
    """How one resource's tags read for a run that looks for `wanted` (team, and project for a project budget)."""

    uncertain: bool  # matched only through a near miss of a wanted key: reported, never acted on
    critical: str | None  # the tag key that makes it critical (exact or near miss), else None
    misses: tuple[NearMiss, ...]


def _true(value: str | None) -> bool:
    return (value or "").strip().lower() == "true"


def _critical_misses(tags: Mapping[str, str], policy: Policy) -> dict[str, str]:
    prefix = policy.critical_tag.partition(":")[0] + ":" if ":" in policy.critical_tag else ""
    return near_misses(tags, (policy.critical_tag,), prefix=prefix)


def critical_by(tags: Mapping[str, str], policy: Policy) -> str | None:
    """The tag key that makes the resource critical: the criticality key, else a near miss of it, set to true."""
    if _true(tags.get(policy.critical_tag)):
        return policy.critical_tag
    return next((t for t in sorted(_critical_misses(tags, policy)) if _true(tags[t])), None)


def tag_reading(tags: Mapping[str, str], wanted: Mapping[str, str], policy: Policy) -> TagReading | None:
    """None: not a resource of `wanted`. A wanted key present exactly decides by its value; absent, a near miss
    of it with the wanted value (any case, surrounding spaces ignored) makes the resource an uncertain one."""
    through: dict[str, str] = {}
    for key, value in wanted.items():
        if key in tags:
            if tags[key] != value:
                return None
            continue
        lookalikes = sorted(t for t in near_misses(tags, (key,)) if tags[t].strip().lower() == value.lower())
        if not lookalikes:
            return None
        through[lookalikes[0]] = key
    critical = critical_by(tags, policy)
    critical_misses = _critical_misses(tags, policy)
    others = near_misses(tags, (policy.paused_tag, *policy.known_cost_tags()))
    misses = [NearMiss(t, k, tags[t], TEAM_UNCERTAIN) for t, k in sorted(through.items())]
    misses += [NearMiss(t, k, tags[t], CRITICAL if _true(tags[t]) and critical != policy.critical_tag else REPORTED)
               for t, k in sorted(critical_misses.items())]
    misses += [NearMiss(t, k, tags[t], REPORTED) for t, k in sorted(others.items())
               if t not in through and t not in critical_misses]
    return TagReading(uncertain=bool(through), critical=critical, misses=tuple(misses))
