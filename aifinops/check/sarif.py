"""SARIF 2.1.0: one run per tool, its rules with help text, failed and acknowledged results located in the
template files (and, logically, at the construct path); acknowledged results carry a suppression whose
justification is the reason. Passed checks are not written (JUnit has them)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from aifinops.check.findings import Finding, Status, ToolResult
from aifinops.check.output import write_atomic

SCHEMA_URI = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"


def to_sarif(results: list[ToolResult]) -> dict[str, Any]:
    return {"$schema": SCHEMA_URI, "version": "2.1.0", "runs": [_run(r) for r in results]}


def sarif_bytes(results: list[ToolResult]) -> bytes:
    return (json.dumps(to_sarif(results), indent=1) + "\n").encode("utf-8")


def write_sarif(results: list[ToolResult], path: Path) -> None:
    write_atomic(path, sarif_bytes(results))


def _run(result: ToolResult) -> dict[str, Any]:
    reported = [f for f in result.findings if f.status is not Status.PASSED]
    rule_ids = sorted({f.rule_id for f in reported})
    rules = []
    for rule_id in rule_ids:
        rule = result.rules.get(rule_id)
        level = next(f.level for f in reported if f.rule_id == rule_id)
        entry: dict[str, Any] = {"id": rule_id, "shortDescription": {"text": rule.summary if rule else rule_id},
                                 "help": {"text": (rule.help if rule and rule.help else rule_id)},
                                 "defaultConfiguration": {"level": str(level)}}
        if rule and rule.help_uri:
            entry["helpUri"] = rule.help_uri
        rules.append(entry)
    index = {rule_id: i for i, rule_id in enumerate(rule_ids)}
    run: dict[str, Any] = {
        "tool": {"driver": {"name": result.tool, "version": result.version,
                            "informationUri": result.information_uri, "rules": rules}},
        "results": [_result(f, index[f.rule_id], result.suppression_kind) for f in reported],
        "columnKind": "utf16CodeUnits",
    }
    notifications = [{"level": "warning", "message": {"text": text}} for text in result.warnings] + \
        [{"level": "note", "message": {"text": text}} for text in result.notes]
    if result.ran:
        notifications.append({"level": "note", "message": {"text": f"ran: {', '.join(result.ran)}"}})
    if notifications:
        run["invocations"] = [{"executionSuccessful": True, "toolExecutionNotifications": notifications}]
    return run


def _result(finding: Finding, rule_index: int, suppression_kind: str) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "ruleId": finding.rule_id, "ruleIndex": rule_index, "level": str(finding.level),
        "message": {"text": f"{finding.message} [{finding.where()}]"},
        "locations": [_location(finding)],
    }
    if finding.status is Status.ACKNOWLEDGED:
        entry["suppressions"] = [{"kind": suppression_kind, "status": "accepted",
                                  "justification": finding.reason or "(no reason given)"}]
    return entry


def _location(finding: Finding) -> dict[str, Any]:
    location: dict[str, Any] = {}
    if finding.template is not None:
        physical: dict[str, Any] = {"artifactLocation": {"uri": _uri(finding.template)}}
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


def _uri(path: Path) -> str:
    """Relative to the working directory (the repository root in CI, as code scanning expects) when inside it."""
    try:
        return path.resolve().relative_to(Path.cwd()).as_posix()
    except ValueError:
        return path.resolve().as_uri()
