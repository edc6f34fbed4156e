"""The shapes shared by the SCP builders, the packer, the stack and the report. Pure; no aws_cdk."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

POLICY_VERSION = "2012-10-17"


@dataclass(frozen=True)
class Statement:
    """One Deny statement with a stable Sid and what it denies in plain words (for `aifinops report`)."""

    sid: str
    body: dict[str, Any]  # the statement JSON, Sid included
    summary: str

    def minified(self) -> str:
        return minify(self.body)


@dataclass(frozen=True)
class ScpDocument:
    """One service control policy of one environment, attached to the environment's OUs and accounts."""

    name: str  # e.g. aifinops-dev-1
    environment: str
    statements: tuple[Statement, ...]
    targets: tuple[str, ...] = field(default=())  # OU ids and account ids
    packing: str = "stable"  # "stable": a section's statements only; "dense": sections mixed to fit the slots

    @property
    def content(self) -> dict[str, Any]:
        return {"Version": POLICY_VERSION, "Statement": [s.body for s in self.statements]}

    def minified(self) -> str:
        return minify(self.content)

    @property
    def size(self) -> int:
        """Characters as AWS counts them for the quota: every character of the minified JSON."""
        return len(self.minified())


def minify(document: Any) -> str:
    return json.dumps(document, separators=(",", ":"), ensure_ascii=False)
