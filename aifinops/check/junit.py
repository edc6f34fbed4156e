"""JUnit XML: one testsuite per tool, one testcase per finding. Failed (blocking) findings are failures,
acknowledged ones are skipped with their reason, passed checks pass; a non-blocking (note) failure passes
with its message in system-out. CI systems then show the verdict per tool and per rule."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

from aifinops.check.findings import Finding, Status, ToolResult


def to_junit(results: list[ToolResult]) -> ET.Element:
    root = ET.Element("testsuites", name="aifinops check")
    totals = {"tests": 0, "failures": 0, "skipped": 0}
    for result in results:
        suite = ET.SubElement(root, "testsuite", name=result.tool, errors="0")
        properties = ET.SubElement(suite, "properties")
        ET.SubElement(properties, "property", name="version", value=result.version)
        counts = {"tests": len(result.findings), "failures": len(result.blocking),
                  "skipped": result.count(Status.ACKNOWLEDGED)}
        for finding in result.findings:
            _testcase(suite, finding)
        for key, value in counts.items():
            suite.set(key, str(value))
            totals[key] += value
        if result.notes:
            ET.SubElement(suite, "system-out").text = "\n".join(result.notes)
    for key, value in totals.items():
        root.set(key, str(value))
    return root


def write_junit(results: list[ToolResult], path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tree = ET.ElementTree(to_junit(results))
    ET.indent(tree)
    tree.write(path, encoding="utf-8", xml_declaration=True)


def _testcase(suite: ET.Element, finding: Finding) -> None:
    target = finding.logical_id or finding.construct_path or (finding.template.name if finding.template else "-")
    case = ET.SubElement(suite, "testcase", classname=f"{finding.tool}.{finding.stack or 'unknown-stack'}",
                         name=f"{finding.rule_id} {target}")
    if finding.template is not None:
        case.set("file", finding.template.as_posix())
        if finding.line:
            case.set("line", str(finding.line))
    detail = f"{finding.message}\nat {finding.where()}"
    if finding.blocking:
        failure = ET.SubElement(case, "failure", message=finding.message, type=finding.rule_id)
        failure.text = detail
    elif finding.status is Status.ACKNOWLEDGED:
        ET.SubElement(case, "skipped", message=f"acknowledged: {finding.reason}")
    elif finding.status is Status.FAILED:
        ET.SubElement(case, "system-out").text = f"{finding.level}: {detail}"
