"""Findings of the CDK validation plugins (cdk-nag packs, the built-in CloudFormation validator, our own
plugins, construct annotations) from `cdk.out/validation-report.json`.

What the report holds (aws-cdk-lib 2.275, read from a real synth): per plugin, `violations` (unacknowledged)
and `suppressedViolations` (with `acknowledgedId` and `reason`), each naming construct paths. Checks that
passed are not recorded, and a plugin with nothing to report may be left out entirely. So this tool reports
findings only: its passed and total counts are "not reported", never guessed.
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

from aifinops.check.assembly import CheckInputError, CloudAssembly, expect, read_json
from aifinops.check.coverage import record_coverage
from aifinops.check.findings import Finding, Level, Rule, Status, ToolResult

TOOL = "cdk validation"
REPORT_FILE = "validation-report.json"
ANNOTATIONS_PLUGIN = "Construct Annotations"
# The CDK's own plugins: their entries are no evidence that a security pack ran on a stack.
BUILT_IN_PLUGINS = frozenset({ANNOTATIONS_PLUGIN, "CloudFormation Validate"})
# Severities of PolicyViolation, and of annotations; nag WARN findings fail synthesis too, so they block here.
_LEVELS = {"error": Level.ERROR, "fatal": Level.ERROR, "warning": Level.WARNING, "warn": Level.WARNING,
           "info": Level.NOTE, "informational": Level.NOTE}


def read_validation_report(assembly: CloudAssembly, *, allow_missing: bool = False) -> ToolResult:
    """Every violation and acknowledged violation in the report, and which packs ran on which stack.

    CheckInputError when the report is malformed, absent, or silent about a stack whose template carries no
    marker (no evidence that any pack ran on it), unless `allow_missing`: then a warning says so."""
    result = ToolResult(tool=TOOL, version=_version("aws-cdk-lib"), reports_passes=False,
                        information_uri="https://docs.aws.amazon.com/cdk/v2/guide/policy-validation-synthesis.html")
    report_file = assembly.root / REPORT_FILE
    reported: dict[str, set[str]] = {}
    if report_file.is_file():
        report = expect(read_json(report_file), dict, report_file, "(top level)")
        for index, plugin in enumerate(expect(report.get("pluginReports", []), list, report_file, "pluginReports")):
            name, added = _read_plugin(result, assembly, report_file, f"pluginReports[{index}]", plugin)
            for finding in added:
                if finding.stack and name not in BUILT_IN_PLUGINS:
                    reported.setdefault(finding.stack, set()).add(name)
    record_coverage(result, assembly, reported, report_present=report_file.is_file(), allow_missing=allow_missing)
    return result


def _read_plugin(result: ToolResult, assembly: CloudAssembly, report_file: Path, where: str,
                 plugin: Any) -> tuple[str, list[Finding]]:
    """One plugin's entry: its name and the findings it added. A plugin that crashed is no verdict: bad input."""
    name = str(expect(plugin, dict, report_file, where).get("pluginName", "unknown"))
    metadata = plugin.get("metadata")
    error = metadata.get("error") if isinstance(metadata, dict) else None
    if plugin.get("conclusion") == "failure" and error:
        raise CheckInputError(f"{report_file}: {where}: the validation plugin {name} did not run to completion: "
                              f"{error}")
    added: list[Finding] = []
    for key, acknowledged in (("violations", False), ("suppressedViolations", True)):
        for number, violation in enumerate(expect(plugin.get(key) or [], list, report_file, f"{where}.{key}")):
            item = f"{where}.{key}[{number}]"
            expect(violation, dict, report_file, item)
            added += _add(result, assembly, name, violation, acknowledged=acknowledged, where=(report_file, item))
    return name, added


def _add(result: ToolResult, assembly: CloudAssembly, plugin: str, violation: dict[str, Any], *,
         acknowledged: bool, where: tuple[Path, str]) -> list[Finding]:
    """The violation's findings, one per violating construct, appended to `result` and returned."""
    rule_name = str(violation.get("ruleName", "unknown"))
    ack_id = acknowledgement_id(plugin, rule_name)
    # One SARIF rule per rule, whatever the finding: "AwsSolutions-IAM4[Policy::...]" is rule AwsSolutions-IAM4.
    rule_id = ack_id.split("[", 1)[0]
    description = str(violation.get("description", "")).strip()
    fix = str(violation.get("fix") or violation.get("suggestedFix") or "").strip()
    if rule_id not in result.rules:
        help_text = description + (f"\nFix: {fix}" if fix else "") + \
            f"\nAcknowledge with Validations.of(scope).acknowledge(Acknowledgment(id=\"{rule_id}\", reason=...)); "\
            "a finding with a [suffix] is acknowledged alone with its full id."
        result.rules[rule_id] = Rule(id=rule_id, summary=description.split("\n")[0] or rule_id, help=help_text)
    level = _LEVELS.get(str(violation.get("severity", "error")).lower(), Level.ERROR)
    file, field_path = where[0], f"{where[1]}.violatingConstructs"
    added = []
    for construct in expect(violation.get("violatingConstructs") or [{}], list, file, field_path):
        path = expect(construct, dict, file, field_path).get("constructPath")
        located = assembly.locate(path) if path else None
        stack, logical_id = (located[0], located[1]) if located else (None, None)
        if stack is None and path:  # a stack-level or L2 construct without a resource of its own
            stack = next((s for s in assembly.stacks if s.name == path.split("/")[0]), None)
        # Code scanning wants a file for every result: the stack's template, else the assembly's manifest.
        template = stack.template if stack else assembly.root / "manifest.json"
        added.append(Finding(
            tool=TOOL, rule_id=rule_id, level=level,
            status=Status.ACKNOWLEDGED if acknowledged else Status.FAILED,
            message=(description or rule_id) + (f" (finding {ack_id})" if ack_id != rule_id else ""),
            stack=stack.name if stack else None,
            logical_id=logical_id, construct_path=path, template=template,
            line=assembly.line_of(template, logical_id) if template and logical_id else None,
            reason=(str(violation.get("reason", "")) or "(no reason given)") if acknowledged else None,
            detail_id=ack_id if ack_id != rule_id else None))  # differ by the finding's [suffix]
    result.findings.extend(added)
    return added


def acknowledgement_id(plugin: str, rule_name: str) -> str:
    """The id `Acknowledgment(id=...)` takes, computed as the CDK does: the plugin name with spaces turned to
    dashes ("CloudFormation Validate" -> "CloudFormation-Validate"), "Annotation" for construct annotations,
    then "::" and the rule name, unless the rule name already carries a namespace."""
    if "::" in rule_name.split("[", 1)[0]:
        return rule_name
    namespace = "Annotation" if plugin == ANNOTATIONS_PLUGIN else plugin.replace(" ", "-")
    return f"{namespace}::{rule_name}"


def _version(distribution: str) -> str:
    try:
        return version(distribution)
    except PackageNotFoundError:
        return "unknown"
