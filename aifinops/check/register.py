"""The sign-off register (`aifinops check --acknowledgements FILE.md`): every acknowledgement and skip the check
saw, from every tool, with its reason, expiry, owner, where it is declared, how many findings it covered, and
whether the check accepted it. A reviewer signs off on this file, not on code spread over a repository."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from aifinops.check.acknowledgements import ReasonPolicy, bare_ids
from aifinops.check.findings import Status, ToolResult
from aifinops.check.output import write_atomic

__all__ = ["register_markdown", "write_register"]


def _cell(text: object) -> str:
    return " ".join(str(text).split()).replace("|", "\\|") or "-"


def register_markdown(results: list[ToolResult], policy: ReasonPolicy) -> str:
    rows = []
    for result in results:
        bare = bare_ids(result.acknowledgements, set())
        for ack in result.acknowledgements:
            problems = policy.problems(ack.reason)
            if ack in bare:
                problems.insert(0, "no plugin namespace: cdk-nag drops the findings it matches from every report")
            state = "rejected: " + "; ".join(problems) if problems else (
                "unused" if ack.matched == 0 else "accepted")
            rows.append((ack.tool, ack.rule_id, ack.resource, ack.reason, ack.expires or "", ack.owner or "",
                         ack.declared_at + (f" ({ack.source})" if ack.source else ""), ack.matched, state))
        for finding in result.findings:  # acknowledged by the check itself (no declaration of the user's)
            if finding.status is Status.ACKNOWLEDGED and finding.declared_at is None:
                rows.append((finding.tool, finding.detail_id or finding.rule_id, finding.where(), finding.reason or "",
                             "", "", "aifinops check (built in)", 1, "accepted"))
    rows.sort(key=lambda r: (str(r[0]), str(r[1]), str(r[2])))
    lines = [f"# Acknowledgements register ({date.today().isoformat()})", "",
             f"{len(rows)} acknowledgement(s); a reason needs {policy.min_reason_chars} characters"
             + (f" and must match `{policy.reason_pattern}`" if policy.reason_pattern else "") + ".", "",
             "| tool | rule | resource | reason | expires | owner | declared at | findings | state |",
             "|---|---|---|---|---|---|---|---|---|"]
    lines += ["| " + " | ".join(_cell(c) for c in row) + " |" for row in rows]
    return "\n".join(lines) + "\n"


def write_register(path: Path, results: list[ToolResult], policy: ReasonPolicy) -> None:
    write_atomic(path, register_markdown(results, policy).encode("utf-8"))
