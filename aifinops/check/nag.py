"""Findings of the CDK validation plugins (cdk-nag packs, the built-in CloudFormation validator, our own
plugins, construct annotations) from `cdk.out/validation-report.json`.

What the report holds (aws-cdk-lib 2.275, read from a real synth): per plugin, `violations` (unacknowledged)
and `suppressedViolations` (with `acknowledgedId` and `reason`), each naming construct paths. Checks that
passed are not recorded, and a plugin with nothing to report may be left out entirely. So this tool reports
findings only: its passed and total counts are "not reported", never guessed.
"""

from __future__ import annotations

import json
from importlib.metadata import PackageNotFoundError, version
from typing import Any

from aifinops.check.assembly import CheckInputError, CloudAssembly
from aifinops.check.findings import Finding, Level, Rule, Status, ToolResult

TOOL = "cdk validation"
REPORT_FILE = "validation-report.json"
ANNOTATIONS_PLUGIN = "Construct Annotations"
# Severities of PolicyViolation, and of annotations; nag WARN findings fail synthesis too, so they block here.
_LEVELS = {"error": Level.ERROR, "fatal": Level.ERROR, "warning": Level.WARNING, "warn": Level.WARNING,
           "info": Level.NOTE, "informational": Level.NOTE}


def read_validation_report(assembly: CloudAssembly) -> ToolResult:
    """Every violation and acknowledged violation in the report; an absent report means no plugin ran."""
    result = ToolResult(tool=TOOL, version=_version("aws-cdk-lib"), reports_passes=False,
                        information_uri="https://docs.aws.amazon.com/cdk/v2/guide/policy-validation-synthesis.html")
    report_file = assembly.root / REPORT_FILE
    if not report_file.is_file():
        result.notes.append(f"{report_file}: absent; no validation plugin ran on this assembly")
        return result
    try:
        report = json.loads(report_file.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise CheckInputError(f"{report_file}: not JSON ({exc})") from None
    plugins = [p.get("pluginName", "?") for p in report.get("pluginReports", [])]
    if plugins:
        result.notes.append(f"plugins reporting: {', '.join(plugins)}")
    for plugin in report.get("pluginReports", []):
        name = str(plugin.get("pluginName", "unknown"))
        for violation in plugin.get("violations", []):
            _add(result, assembly, name, violation, acknowledged=False)
        for violation in plugin.get("suppressedViolations", []):
            _add(result, assembly, name, violation, acknowledged=True)
    return result


def _add(result: ToolResult, assembly: CloudAssembly, plugin: str, violation: dict[str, Any], *,
         acknowledged: bool) -> None:
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
    for construct in violation.get("violatingConstructs", []) or [{}]:
        path = construct.get("constructPath")
        located = assembly.locate(path) if path else None
        stack, logical_id = (located[0], located[1]) if located else (None, None)
        if stack is None and path:  # a stack-level or L2 construct without a resource of its own
            stack = next((s for s in assembly.stacks if s.name == path.split("/")[0]), None)
        # Code scanning wants a file for every result: the stack's template, else the assembly's manifest.
        template = stack.template if stack else assembly.root / "manifest.json"
        result.findings.append(Finding(
            tool=TOOL, rule_id=rule_id, level=level,
            status=Status.ACKNOWLEDGED if acknowledged else Status.FAILED,
            message=(description or rule_id) + (f" (finding {ack_id})" if ack_id != rule_id else ""),
            stack=stack.name if stack else None,
            logical_id=logical_id, construct_path=path, template=template,
            line=assembly.line_of(template, logical_id) if template and logical_id else None,
            reason=(str(violation.get("reason", "")) or "(no reason given)") if acknowledged else None))


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
