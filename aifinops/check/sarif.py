"""SARIF 2.1.0 for code scanning: one run per tool; every rule with help text, a help link, a security severity
and tags; every failed, acknowledged or baselined result with a `partialFingerprints` entry that is stable across
runs, machines and directories (`Finding.fingerprint`).

Locations are relative, with `uriBaseId`: `%SRCROOT%` is the working directory (the repository root in CI), and
`%CDKOUT%` the cloud assembly when it lies elsewhere. A result whose construct the app created at a known line
(`aifinops:source`, see `source_locations`) is located there, so that a pull-request annotation lands on the
user's code; the template location then follows as a related location. Acknowledged results carry a suppression
(`inSource`: in the app or template; `external`: a tool default or the baseline) whose justification is the
reason and where it was declared. Passed checks are not written (JUnit has them)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from aifinops.check.findings import Finding, Status, ToolResult
from aifinops.check.output import write_atomic
from aifinops.check.rule_links import help_uri, security_severity, tags

SCHEMA_URI = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
SRCROOT, CDKOUT = "%SRCROOT%", "%CDKOUT%"
FINGERPRINT_KEY = "aifinopsFinding/v1"


def to_sarif(results: list[ToolResult], cdk_out: Path | None = None) -> dict[str, Any]:
    bases = _Bases(Path.cwd().resolve(), cdk_out.resolve() if cdk_out else None)
    return {"$schema": SCHEMA_URI, "version": "2.1.0", "runs": [_run(r, bases) for r in results]}


def sarif_bytes(results: list[ToolResult], cdk_out: Path | None = None) -> bytes:
    return (json.dumps(to_sarif(results, cdk_out), indent=1) + "\n").encode("utf-8")


def write_sarif(results: list[ToolResult], path: Path, cdk_out: Path | None = None) -> None:
    write_atomic(path, sarif_bytes(results, cdk_out))


class _Bases:
    def __init__(self, root: Path, cdk_out: Path | None) -> None:
        self.root, self.cdk_out = root, cdk_out
        self.used: set[str] = set()

    def artifact(self, path: Path | str) -> dict[str, str]:
        resolved = (self.root / path).resolve() if not Path(path).is_absolute() else Path(path).resolve()
        for base, directory in ((SRCROOT, self.root), (CDKOUT, self.cdk_out)):
            if directory is None:
                continue
            try:
                relative = resolved.relative_to(directory).as_posix()
            except ValueError:
                continue
            self.used.add(base)
            return {"uri": relative, "uriBaseId": base}
        return {"uri": resolved.as_uri()}

    def originals(self) -> dict[str, Any]:
        found = {SRCROOT: self.root, CDKOUT: self.cdk_out}
        return {b: {"uri": d.as_uri() + "/"} for b, d in found.items() if b in self.used and d is not None}


def _run(result: ToolResult, bases: _Bases) -> dict[str, Any]:
    reported = [f for f in result.findings if f.status is not Status.PASSED]
    rule_ids = sorted({f.rule_id for f in reported})
    rules = []
    for rule_id in rule_ids:
        rule = result.rules.get(rule_id)
        level = max((f.level for f in reported if f.rule_id == rule_id), key=_rank)
        summary = rule.summary if rule else rule_id
        rules.append({
            "id": rule_id, "name": rule_id.replace("::", "-"), "shortDescription": {"text": summary},
            "fullDescription": {"text": (rule.help.split("\n")[0] if rule and rule.help else summary)},
            "help": {"text": (rule.help if rule and rule.help else rule_id)},
            "helpUri": help_uri(result.tool, rule_id, rule.help_uri if rule else None),
            "defaultConfiguration": {"level": str(level)},
            "properties": {"security-severity": security_severity(level), "tags": tags(result.tool, rule_id),
                           "precision": "high"},
        })
    index = {rule_id: i for i, rule_id in enumerate(rule_ids)}
    run: dict[str, Any] = {
        "tool": {"driver": {"name": result.tool, "version": result.version,
                            "informationUri": result.information_uri, "rules": rules}},
        "results": [_result(f, index[f.rule_id], result.suppression_kind, bases) for f in reported],
        "columnKind": "utf16CodeUnits",
    }
    notifications = [{"level": "warning", "message": {"text": text}} for text in result.warnings] + \
        [{"level": "note", "message": {"text": text}} for text in result.notes]
    if result.ran:
        notifications.append({"level": "note", "message": {"text": f"ran: {', '.join(result.ran)}"}})
    if notifications:
        run["invocations"] = [{"executionSuccessful": True, "toolExecutionNotifications": notifications}]
    originals = bases.originals()
    if originals:
        run["originalUriBaseIds"] = originals
    return run


def _rank(level: Any) -> int:
    return {"note": 0, "warning": 1, "error": 2}[str(level)]


def _result(finding: Finding, rule_index: int, suppression_kind: str, bases: _Bases) -> dict[str, Any]:
    template = _template_location(finding, bases)
    source = _source_location(finding, bases)
    entry: dict[str, Any] = {
        "ruleId": finding.rule_id, "ruleIndex": rule_index, "level": str(finding.level),
        "message": {"text": f"{finding.message} [{finding.where()}]"},
        "locations": [source or template],
        "partialFingerprints": {FINGERPRINT_KEY: finding.fingerprint},
    }
    if source is not None:
        entry["relatedLocations"] = [{"id": 1, **template, "message": {"text": "the synthesized template"}}]
    if finding.status is Status.ACKNOWLEDGED:
        entry["suppressions"] = [{"kind": suppression_kind, "status": "accepted",
                                  "justification": _justification(finding)}]
    elif finding.status is Status.BASELINED:
        entry["suppressions"] = [{"kind": "external", "status": "accepted", "justification": _justification(finding)}]
    return entry


def _justification(finding: Finding) -> str:
    reason = finding.reason or "(no reason given)"
    return f"{reason} (declared at {finding.declared_at})" if finding.declared_at else reason


def _template_location(finding: Finding, bases: _Bases) -> dict[str, Any]:
    location: dict[str, Any] = {}
    if finding.template is not None:
        physical: dict[str, Any] = {"artifactLocation": bases.artifact(finding.template)}
        if finding.line:
            physical["region"] = {"startLine": max(1, finding.line)}
        location["physicalLocation"] = physical
    logical = [{"name": finding.logical_id, "fullyQualifiedName": f"{finding.stack}/{finding.logical_id}",
                "kind": "resource"}] if finding.logical_id else []
    if finding.construct_path:
        logical.append({"fullyQualifiedName": finding.construct_path, "kind": "module"})
    if logical:
        location["logicalLocations"] = logical
    return location


def _source_location(finding: Finding, bases: _Bases) -> dict[str, Any] | None:
    """The app's file and line that created the construct, when recorded and the file exists."""
    if not finding.source:
        return None
    file, _, line = finding.source.rpartition(":")
    if not file or not line.isdigit() or not (bases.root / file).is_file():
        return None
    location: dict[str, Any] = {"physicalLocation": {"artifactLocation": bases.artifact(file),
                                                     "region": {"startLine": max(1, int(line))}}}
    if finding.construct_path:
        location["logicalLocations"] = [{"fullyQualifiedName": finding.construct_path, "kind": "module"}]
    return location
