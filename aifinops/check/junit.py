"""JUnit XML: one testsuite per tool, one testcase per finding. Failed (blocking) findings are failures,
acknowledged and baselined ones are skipped with their reason, passed checks pass; a non-blocking (note) failure passes
with its message in system-out. CI systems then show the verdict per tool and per rule."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

from aifinops.check.findings import Finding, Status, ToolResult
from aifinops.check.output import write_atomic


def to_junit(results: list[ToolResult]) -> ET.Element:
    root = ET.Element("testsuites", name="aifinops check")
    totals = {"tests": 0, "failures": 0, "skipped": 0}
    for result in results:
        suite = ET.SubElement(root, "testsuite", name=result.tool, errors="0")
        properties = ET.SubElement(suite, "properties")
        ET.SubElement(properties, "property", name="version", value=result.version)
        counts = {"tests": len(result.findings), "failures": len(result.blocking),
                  "skipped": result.count(Status.ACKNOWLEDGED) + result.count(Status.BASELINED)}
        names: dict[str, int] = {}
        for finding in result.findings:
            _testcase(suite, finding, names)
        for key, value in counts.items():
            suite.set(key, str(value))
            totals[key] += value
        said = [f"WARNING: {w}" for w in result.warnings] + result.notes + \
            ([f"ran: {', '.join(result.ran)}"] if result.ran else [])
        if said:
            ET.SubElement(suite, "system-out").text = "\n".join(said)
    for key, value in totals.items():
        root.set(key, str(value))
    return root


def junit_bytes(results: list[ToolResult]) -> bytes:
    root = to_junit(results)
    ET.indent(root)
    content: bytes = ET.tostring(root, encoding="utf-8", xml_declaration=True)
    return content + b"\n"


def write_junit(results: list[ToolResult], path: Path) -> None:
    write_atomic(path, junit_bytes(results))


def _testcase(suite: ET.Element, finding: Finding, names: dict[str, int]) -> None:
    """One testcase, named "<finding id> <stack>/<logical id or construct path>", unique in its suite (CI systems
    merge testcases of the same name): a repeat of the same name gets " #2", " #3"."""
    target = finding.logical_id or finding.construct_path or (finding.template.name if finding.template else "-")
    name = f"{finding.detail_id or finding.rule_id} {finding.stack or 'unknown-stack'}/{target}"
    names[name] = names.get(name, 0) + 1
    if names[name] > 1:
        name = f"{name} #{names[name]}"
    case = ET.SubElement(suite, "testcase", classname=f"{finding.tool}.{finding.stack or 'unknown-stack'}",
                         name=name)
    if finding.template is not None:
        case.set("file", finding.template.as_posix())
        if finding.line:
            case.set("line", str(finding.line))
    detail = f"{finding.message}\nat {finding.where()}"
    if finding.blocking:
        failure = ET.SubElement(case, "failure", message=finding.message, type=finding.rule_id)
        failure.text = detail
    elif finding.status is Status.ACKNOWLEDGED:
        where = f" (declared at {finding.declared_at})" if finding.declared_at else ""
        ET.SubElement(case, "skipped", message=f"acknowledged: {finding.reason}{where}")
    elif finding.status is Status.BASELINED:
        ET.SubElement(case, "skipped", message=f"baselined: {finding.reason}")
    elif finding.status is Status.FAILED:
        ET.SubElement(case, "system-out").text = f"{finding.level}: {detail}"
