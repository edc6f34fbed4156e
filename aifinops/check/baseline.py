"""A baseline: today's findings recorded by stable fingerprint, so that a team adopting the gate on an existing app
fails only on what is new.

`aifinops check --write-baseline FILE` writes every failed finding (blocking or not); `--baseline FILE` marks the
findings it lists as baselined (reported, never blocking), lists the entries that match nothing any more (fixed),
and the entries older than `check.baseline_max_age_days` (stale: fix them or re-acknowledge them properly).

The file is JSON meant for review in a pull request: one entry a line, sorted, each with the tool, the rule, the
resource (stack and construct path), the fingerprint and the day it was first seen, which a rewrite keeps.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path
from typing import Any

from aifinops.check.assembly import CheckInputError
from aifinops.check.findings import Finding, Status, ToolResult
from aifinops.check.output import write_atomic

VERSION = 1

__all__ = ["Baseline", "BaselineEntry", "apply_baseline", "read_baseline", "write_baseline"]


@dataclass(frozen=True)
class BaselineEntry:
    tool: str
    rule: str
    resource: str
    fingerprint: str
    first_seen: str  # YYYY-MM-DD

    def to_dict(self) -> dict[str, str]:
        return {"tool": self.tool, "rule": self.rule, "resource": self.resource, "fingerprint": self.fingerprint,
                "firstSeen": self.first_seen}


@dataclass(frozen=True)
class Baseline:
    path: Path
    entries: tuple[BaselineEntry, ...]

    def by_fingerprint(self) -> dict[str, BaselineEntry]:
        return {e.fingerprint: e for e in self.entries}


def _entry(finding: Finding, first_seen: str) -> BaselineEntry:
    resource = "/".join(p for p in (finding.stack, finding.construct_path or finding.logical_id) if p) or "-"
    if finding.stack and finding.construct_path and finding.construct_path.startswith(f"{finding.stack}/"):
        resource = finding.construct_path
    return BaselineEntry(tool=finding.tool, rule=finding.detail_id or finding.rule_id, resource=resource,
                         fingerprint=finding.fingerprint, first_seen=first_seen)


def write_baseline(path: Path, results: list[ToolResult], *, today: date, previous: Baseline | None = None) -> int:
    """Record every failed finding (first-seen days kept from `previous`); the number of entries."""
    kept = previous.by_fingerprint() if previous else {}
    entries = {}
    for finding in (f for r in results for f in r.findings if f.status in (Status.FAILED, Status.BASELINED)):
        seen = kept[finding.fingerprint].first_seen if finding.fingerprint in kept else today.isoformat()
        entries[finding.fingerprint] = _entry(finding, seen)
    ordered = sorted(entries.values(), key=lambda e: (e.tool, e.rule, e.resource, e.fingerprint))
    lines = ",\n".join("  " + json.dumps(e.to_dict(), separators=(", ", ": ")) for e in ordered)
    text = f'{{"version": {VERSION}, "findings": [\n{lines}\n]}}\n' if ordered else \
        f'{{"version": {VERSION}, "findings": []}}\n'
    write_atomic(path, text.encode("utf-8"))
    return len(ordered)


def read_baseline(path: Path) -> Baseline:
    """CheckInputError (exit 2) naming the file and the field when it is not a baseline this version wrote."""
    if not path.is_file():
        raise CheckInputError(f"{path}: no such baseline file (write one with --write-baseline {path})")
    try:
        data: Any = json.loads(path.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError) as exc:
        raise CheckInputError(f"{path}: not JSON ({exc})") from None
    if not isinstance(data, dict) or data.get("version") != VERSION or not isinstance(data.get("findings"), list):
        raise CheckInputError(f"{path}: expected {{\"version\": {VERSION}, \"findings\": [...]}}")
    entries = []
    for index, item in enumerate(data["findings"]):
        fields = ("tool", "rule", "resource", "fingerprint", "firstSeen")
        if not isinstance(item, dict) or not all(isinstance(item.get(k), str) for k in fields):
            raise CheckInputError(f"{path}: findings[{index}]: needs the strings {', '.join(fields)}")
        try:
            date.fromisoformat(item["firstSeen"])
        except ValueError:
            raise CheckInputError(f"{path}: findings[{index}].firstSeen: {item['firstSeen']!r} is not a date "
                                  "(YYYY-MM-DD)") from None
        entries.append(BaselineEntry(item["tool"], item["rule"], item["resource"], item["fingerprint"],
                                     item["firstSeen"]))
    return Baseline(path, tuple(entries))


def apply_baseline(results: list[ToolResult], baseline: Baseline, *, today: date,
                   max_age_days: int) -> tuple[list[BaselineEntry], list[BaselineEntry]]:
    """Mark the baselined findings; (fixed entries: matched by nothing, stale entries: older than the limit)."""
    known = baseline.by_fingerprint()
    matched: set[str] = set()
    for result in results:
        for index, finding in enumerate(result.findings):
            if finding.status is Status.FAILED and finding.fingerprint in known:
                entry = known[finding.fingerprint]
                matched.add(finding.fingerprint)
                result.findings[index] = _baselined(finding, baseline.path, entry)
    fixed = [e for e in baseline.entries if e.fingerprint not in matched]
    stale = [e for e in baseline.entries if e.fingerprint in matched
             and (today - date.fromisoformat(e.first_seen)).days > max_age_days]
    return fixed, stale


def _baselined(finding: Finding, path: Path, entry: BaselineEntry) -> Finding:
    return replace(finding, status=Status.BASELINED,
                   reason=f"in the baseline {path.name} since {entry.first_seen}",
                   declared_at=f"{path.name}: {entry.fingerprint}")
