"""The one shape every checker's result takes, whatever tool produced it."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any


class Status(StrEnum):
    FAILED = "failed"
    ACKNOWLEDGED = "acknowledged"  # failed, but accepted with a reason (cdk Acknowledgment, checkov skip, ...)
    BASELINED = "baselined"  # failed, but recorded in the baseline given with --baseline
    PASSED = "passed"


class Level(StrEnum):
    """SARIF's levels. `error` and `warning` block when unacknowledged; `note` never does."""

    ERROR = "error"
    WARNING = "warning"
    NOTE = "note"


@dataclass(frozen=True)
class Rule:
    """What a rule checks and how to fix it: the help text of SARIF and the reports."""

    id: str
    summary: str
    help: str = ""
    help_uri: str | None = None


@dataclass(frozen=True)
class Finding:
    """One rule evaluated on one resource (or one template, for template-wide rules)."""

    tool: str
    rule_id: str
    level: Level
    status: Status
    message: str
    stack: str | None = None
    logical_id: str | None = None
    construct_path: str | None = None
    template: Path | None = None
    line: int | None = None
    reason: str | None = None  # why it was acknowledged; None unless status is ACKNOWLEDGED
    # Tells two findings of one rule on one resource apart: the nag finding id ("AwsSolutions-IAM4[Policy::...]"),
    # cfn-lint's path inside the resource ("Properties/Runtime"). None when the tool reports one per resource.
    detail_id: str | None = None
    source: str | None = None  # "file:line" of the app code that created the construct, when recorded
    declared_at: str | None = None  # where the acknowledgement that suppressed (or failed to suppress) it is declared

    @property
    def blocking(self) -> bool:
        """An unacknowledged failure that must fail the check."""
        return self.status is Status.FAILED and self.level is not Level.NOTE

    @property
    def fingerprint(self) -> str:
        """Stable across runs, machines and directories: the tool, the rule and finding id, and the resource by
        stack and construct path (else logical id, else template name); never a path on disk or a line."""
        resource = self.construct_path or self.logical_id or (self.template.name if self.template else "")
        key = "|".join((self.tool, self.rule_id, self.detail_id or "", self.stack or "", resource))
        return hashlib.sha256(key.encode("utf-8")).hexdigest()[:32]

    def where(self) -> str:
        """Stack/logical id (construct path) for people; the best location the tool gave."""
        place = "/".join(p for p in (self.stack, self.logical_id) if p) or (str(self.template) if self.template else "")
        if self.construct_path:
            place = f"{place} ({self.construct_path})" if place else self.construct_path
        return place or "-"


@dataclass
class ToolResult:
    """Everything one tool said about the templates.

    `reports_passes` is False for tools that list violations only (cdk validation plugins, cfn-lint): their
    passed and total check counts are unknown, and the summary says so rather than inventing numbers.
    """

    tool: str
    version: str
    information_uri: str
    reports_passes: bool
    findings: list[Finding] = field(default_factory=list)
    rules: dict[str, Rule] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)  # context, said once in the output
    # What weakens the verdict (a pack or check set that did not run, by the user's choice): said as a warning in
    # the summary, the SARIF notifications and the JUnit output, never silently.
    warnings: list[str] = field(default_factory=list)
    ran: list[str] = field(default_factory=list)  # which packs / check sets ran, for the summary's "ran" column
    # SARIF suppression kind of its acknowledgements: "inSource" (in the app or template) or "external"
    suppression_kind: str = "inSource"
    acknowledgements: list[Any] = field(default_factory=list)  # the `Acknowledgement`s declared for this tool

    def count(self, status: Status) -> int:
        return sum(1 for f in self.findings if f.status is status)

    @property
    def result_count(self) -> int | None:
        """Results the tool reported (checks evaluated on resources: passed, failed, acknowledged); None for
        tools that list findings only. A count of results, not of distinct checks."""
        return len(self.findings) if self.reports_passes else None

    @property
    def blocking(self) -> list[Finding]:
        return [f for f in self.findings if f.blocking]


__all__ = ["Finding", "Level", "Rule", "Status", "ToolResult"]
