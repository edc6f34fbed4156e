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

from aifinops.check.acknowledgements import (
    NO_REASON,
    Acknowledgement,
    ReasonPolicy,
    bare_ids,
    cdk_acknowledgements,
)
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


BARE_ID = "AIF-ACK1"
UNUSED = "AIF-ACK2"


def read_validation_report(assembly: CloudAssembly, *, allow_missing: bool = False,
                           policy: ReasonPolicy | None = None) -> ToolResult:
    """Every violation and acknowledged violation in the report, and which packs ran on which stack; every
    acknowledgement the stacks' metadata declares, checked against `policy` (a rejected or expired one leaves its
    finding failed), a bare-id one failed (AIF-ACK1: cdk-nag dropped what it hid), an unused one noted (AIF-ACK2).

    CheckInputError when the report is malformed, absent, or silent about a stack whose template carries no
    marker (no evidence that any pack ran on it), unless `allow_missing`: then a warning says so."""
    policy = policy or ReasonPolicy()
    result = ToolResult(tool=TOOL, version=_version("aws-cdk-lib"), reports_passes=False,
                        information_uri="https://docs.aws.amazon.com/cdk/v2/guide/policy-validation-synthesis.html")
    result.acknowledgements = cdk_acknowledgements(assembly.metadata)
    report_file = assembly.root / REPORT_FILE
    reported: dict[str, set[str]] = {}
    plugins: set[str] = set()
    if report_file.is_file():
        report = expect(read_json(report_file), dict, report_file, "(top level)")
        for index, plugin in enumerate(expect(report.get("pluginReports", []), list, report_file, "pluginReports")):
            name, added = _read_plugin(result, assembly, report_file, f"pluginReports[{index}]", plugin, policy)
            plugins.add(name)
            for finding in added:
                if finding.stack and name not in BUILT_IN_PLUGINS:
                    reported.setdefault(finding.stack, set()).add(name)
    plugins |= {p for s in assembly.stacks for p in (s.security_checks or ())}
    _acknowledgement_findings(result, assembly, plugins)
    record_coverage(result, assembly, reported, report_present=report_file.is_file(), allow_missing=allow_missing)
    return result


def _acknowledgement_findings(result: ToolResult, assembly: CloudAssembly, plugins: set[str]) -> None:
    bare = bare_ids(result.acknowledgements, plugins)
    if bare:
        result.rules[BARE_ID] = Rule(BARE_ID, "An acknowledgement without its plugin namespace hides findings "
                                              "without a trace", help=(
            "Acknowledgment(id=\"AwsSolutions-S10\") is recorded as an annotation id; cdk-nag 3 reads it and drops "
            "the matching findings before the CDK's report, so nothing shows what it hid. Fix: use the plugin's "
            "namespace, Acknowledgment(id=\"AwsSolutions::AwsSolutions-S10\", reason=...) (aifinops.constructs."
            "nag_acks.acknowledge does), which keeps the finding in validation-report.json as acknowledged."))
    for ack in bare:
        rule = ack.rule_id.partition("::")[2]
        pack = rule.split("-", 1)[0]
        result.findings.append(_ack_finding(assembly, ack, BARE_ID, Level.ERROR, (
            f"acknowledgement {rule!r} has no plugin namespace: cdk-nag dropped every {rule} finding under "
            f"{ack.resource} from the reports (reason given: {ack.reason or '(none)'}). Use "
            f"Acknowledgment(id=\"{pack}::{rule}\", reason=...) instead")))
    unused = [a for a in result.acknowledgements if a.matched == 0 and a not in bare]
    if unused:
        result.rules[UNUSED] = Rule(UNUSED, "An acknowledgement that matches no finding", help=(
            "It suppresses nothing today, but would hide a finding that appears later under the same construct "
            "without anyone reviewing it. Fix: remove it, or narrow it to the finding it was written for."))
    for ack in unused:
        result.findings.append(_ack_finding(assembly, ack, UNUSED, Level.NOTE, (
            f"acknowledgement {ack.rule_id!r} on {ack.resource} matches no finding (reason: {ack.reason})")))


def _ack_finding(assembly: CloudAssembly, ack: Acknowledgement, rule_id: str, level: Level, message: str) -> Finding:
    located = assembly.locate(ack.resource)
    stack = located[0] if located else next((s for s in assembly.stacks if s.name == ack.resource.split("/")[0]),
                                            None)
    logical_id = located[1] if located else None
    template = stack.template if stack else assembly.root / "manifest.json"
    return Finding(tool=TOOL, rule_id=rule_id, level=level, status=Status.FAILED, message=message,
                   stack=stack.name if stack else None, logical_id=logical_id, construct_path=ack.resource,
                   template=template, line=assembly.line_of(template, logical_id) if logical_id else None,
                   detail_id=f"{rule_id}[{ack.rule_id}]", source=ack.source or assembly.source_of(ack.resource),
                   declared_at=ack.declared_at)


def _read_plugin(result: ToolResult, assembly: CloudAssembly, report_file: Path, where: str,
                 plugin: Any, policy: ReasonPolicy) -> tuple[str, list[Finding]]:
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
            added += _add(result, assembly, name, violation, acknowledged=acknowledged, where=(report_file, item),
                          policy=policy)
    return name, added


def _add(result: ToolResult, assembly: CloudAssembly, plugin: str, violation: dict[str, Any], *,
         acknowledged: bool, where: tuple[Path, str], policy: ReasonPolicy) -> list[Finding]:
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
    reason = str(violation.get("reason") or "") if acknowledged else None
    ack = _matching(result.acknowledgements, violation) if acknowledged else None
    rejected = policy.problems(reason) if acknowledged else []
    declared = ack.declared_at if ack else (f"acknowledged at {violation.get('acknowledgedAt')}" if acknowledged
                                            else None)
    added = []
    for construct in expect(violation.get("violatingConstructs") or [{}], list, file, field_path):
        path = expect(construct, dict, file, field_path).get("constructPath")
        located = assembly.locate(path) if path else None
        stack, logical_id = (located[0], located[1]) if located else (None, None)
        if stack is None and path:  # a stack-level or L2 construct without a resource of its own
            stack = next((s for s in assembly.stacks if s.name == path.split("/")[0]), None)
        # Code scanning wants a file for every result: the stack's template, else the assembly's manifest.
        template = stack.template if stack else assembly.root / "manifest.json"
        if ack is not None:
            ack.matched += 1
        message = (description or rule_id) + (f" (finding {ack_id})" if ack_id != rule_id else "")
        if rejected:
            message += (f". Acknowledged as {violation.get('acknowledgedId')} at {violation.get('acknowledgedAt')}, "
                        f"but not accepted: {'; '.join(rejected)}")
        added.append(Finding(
            tool=TOOL, rule_id=rule_id, level=level,
            status=Status.ACKNOWLEDGED if acknowledged and not rejected else Status.FAILED,
            message=message, stack=stack.name if stack else None,
            logical_id=logical_id, construct_path=path, template=template,
            line=assembly.line_of(template, logical_id) if template and logical_id else None,
            reason=(reason or NO_REASON) if acknowledged else None,
            detail_id=ack_id if ack_id != rule_id else None,  # differ by the finding's [suffix]
            source=assembly.source_of(path), declared_at=declared))
    result.findings.extend(added)
    return added


def _matching(acknowledgements: list[Acknowledgement], violation: dict[str, Any]) -> Acknowledgement | None:
    """The declared acknowledgement the CDK applied: the same id, declared on the construct it names."""
    ack_id, at = str(violation.get("acknowledgedId", "")), str(violation.get("acknowledgedAt", "")).strip("/")
    return next((a for a in acknowledgements if a.rule_id == ack_id and a.resource == at), None)


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
