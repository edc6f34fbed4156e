"""Every suppression, wherever it is declared, and whether its reason holds.

Where suppressions come from:
- the CDK: `Validations.of(scope).acknowledge(Acknowledgment(id=..., reason=...))` records construct metadata
  `aws:cdk:acknowledged-rules` ({qualified id: reason}) in the stack's `<stack>.metadata.json`. With a plugin
  namespace (`AwsSolutions::AwsSolutions-S10`) the CDK keeps the finding in `validation-report.json` under
  `suppressedViolations`. Without one the id is taken for an annotation (`Annotation::AwsSolutions-S10`), and
  cdk-nag 3, which reads the same metadata, then drops the finding before any report sees it: a **bare id**.
  `bare_ids` finds those; the check fails on each (the finding it hid cannot be shown, so the acknowledgement is).
- checkov: `Metadata.checkov.skip` and `Metadata.bridgecrew.skip` of a resource, and `checkov:skip=` text anywhere
  inside a resource (checkov honours it in a JSON string too), each reported by checkov as a skipped check.
- cfn-lint: `Metadata.cfn-lint.config.ignore_checks` of a template or a resource. It carries no reason, so it is
  never honoured: the check lints without it and reports what it would have hidden.
- aifinops: `Metadata.aifinops.acknowledge: [{"id": ..., "reason": ...}]` on a resource, for cfn-lint findings.

A reason must say something: at least `min_reason_chars` characters (default 15) once its tokens are taken out,
and match `reason_pattern` when one is configured (a ticket id, say). Tokens inside a reason: `expires: YYYY-MM-DD`
(after that day the finding is active again) and `owner: <who>`. A rejected or expired acknowledgement leaves its
finding failed, with why. Pure; no aws_cdk.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

ACKNOWLEDGED_RULES = "aws:cdk:acknowledged-rules"  # aws_cdk.Validations.ACKNOWLEDGED_RULES_METADATA_KEY
ANNOTATION = "Annotation"
METADATA_KEY = "aifinops"  # Metadata.aifinops.acknowledge of a resource
_EXPIRES = re.compile(r"[\[(]?\s*\bexpires?\s*[:=]?\s*(\d{4}-\d{2}-\d{2})\s*[\])]?", re.IGNORECASE)
_OWNER = re.compile(r"[\[(]?\s*\bowner\s*[:=]\s*([\w.@/+-]+)\s*[\])]?", re.IGNORECASE)
# A cdk-nag rule id (pack prefix, dash, rule, optional [finding]): what a bare id looks like.
_NAG_RULE = re.compile(r"^(?P<pack>[A-Za-z][A-Za-z0-9.]*)-[A-Za-z0-9]+(\[.*\])?$")
NO_REASON = "(no reason given)"

__all__ = ["ACKNOWLEDGED_RULES", "Acknowledgement", "ReasonPolicy", "bare_ids", "cdk_acknowledgements",
           "parse_reason"]


@dataclass(frozen=True)
class ReasonPolicy:
    min_reason_chars: int = 15
    reason_pattern: str | None = None
    today: date = field(default_factory=date.today)

    def problems(self, reason: str | None) -> list[str]:
        """Why an acknowledgement with this reason is not accepted (empty: accepted)."""
        text, expires, _ = parse_reason(reason or "")
        found = []
        if len(text) < self.min_reason_chars:
            found.append(f"its reason {text!r} is shorter than {self.min_reason_chars} characters: say why the "
                         "finding is acceptable")
        if self.reason_pattern and not re.search(self.reason_pattern, reason or ""):
            found.append(f"its reason does not match the required pattern {self.reason_pattern!r}")
        if expires is not None and expires < self.today:
            found.append(f"it expired on {expires.isoformat()}")
        return found


@dataclass
class Acknowledgement:
    """One declared suppression."""

    tool: str  # the tool whose findings it suppresses
    rule_id: str  # as declared
    resource: str  # the construct path, or stack/logical id, it is declared on (it covers what is below)
    reason: str
    declared_at: str  # where to find it: the file and the metadata entry
    source: str | None = None  # the source file:line that declared it, when known
    matched: int = 0  # findings it suppressed in this run

    @property
    def expires(self) -> date | None:
        return parse_reason(self.reason)[1]

    @property
    def owner(self) -> str | None:
        return parse_reason(self.reason)[2]

    def to_dict(self) -> dict[str, Any]:
        return {"tool": self.tool, "rule": self.rule_id, "resource": self.resource, "reason": self.reason,
                "expires": self.expires.isoformat() if self.expires else None, "owner": self.owner,
                "declaredAt": self.declared_at, "source": self.source, "matched": self.matched}


def parse_reason(reason: str) -> tuple[str, date | None, str | None]:
    """(the reason without its tokens, expires, owner). An `expires` that is not a date is left in the text."""
    expires: date | None = None
    match = _EXPIRES.search(reason)
    if match:
        try:
            expires = date.fromisoformat(match.group(1))
            reason = reason[:match.start()] + reason[match.end():]
        except ValueError:
            pass
    owner_match = _OWNER.search(reason)
    owner = owner_match.group(1) if owner_match else None
    if owner_match:
        reason = reason[:owner_match.start()] + reason[owner_match.end():]
    text = " ".join(reason.replace("()", " ").replace("[]", " ").split()).strip(" ;,.-")
    return text, expires, owner


def cdk_acknowledgements(metadata_files: list[tuple[str, Path, dict[str, Any]]]) -> list[Acknowledgement]:
    """Every `aws:cdk:acknowledged-rules` entry of the stacks' metadata: (stack, file, parsed metadata.json)."""
    found = []
    for _, file, metadata in metadata_files:
        for path, entries in metadata.items():
            for entry in entries if isinstance(entries, list) else []:
                if not isinstance(entry, dict) or entry.get("type") != ACKNOWLEDGED_RULES:
                    continue
                data = entry.get("data")
                for rule_id, reason in (data.items() if isinstance(data, dict) else ()):
                    found.append(Acknowledgement(
                        tool="cdk validation", rule_id=str(rule_id), resource=str(path).lstrip("/"),
                        reason=str(reason or ""), declared_at=f"{file.name}: {path} ({ACKNOWLEDGED_RULES})",
                        source=_user_frame(entry.get("trace"))))
    return found


def bare_ids(acknowledgements: list[Acknowledgement], plugins: set[str]) -> list[Acknowledgement]:
    """The acknowledgements whose id lost its plugin namespace (`Annotation::AwsSolutions-S10`, from
    `Acknowledgment(id="AwsSolutions-S10")`): cdk-nag drops the findings they match from every report.
    `plugins`: the names of the validation plugins that ran; a nag-shaped id of any pack counts too."""
    bare = []
    for ack in acknowledgements:
        namespace, _, rule = ack.rule_id.partition("::")
        if not rule or namespace.lower() != ANNOTATION.lower():
            continue
        match = _NAG_RULE.match(rule)
        if match and (match.group("pack") in plugins or match.group("pack") in KNOWN_NAG_PACKS):
            bare.append(ack)
    return bare


KNOWN_NAG_PACKS = frozenset({"AwsSolutions", "Serverless", "HIPAA.Security", "NIST.800.53.R4", "NIST.800.53.R5",
                             "PCI.DSS.321", "AiFinOps"})


def _user_frame(trace: Any) -> str | None:
    """The first frame of a construct trace that is the user's code ("at ... (file:line:col)"), if the CDK
    captured one (TypeScript apps, or the debug setting); jsii-only frames give None."""
    for frame in trace if isinstance(trace, list) else []:
        match = re.search(r"\(?((?:/|[A-Za-z]:\\)[^():]+):(\d+)(?::\d+)?\)?\s*$", str(frame))
        if match and "node_modules" not in match.group(1) and "node:internal" not in match.group(1):
            return f"{match.group(1)}:{match.group(2)}"
    return None
