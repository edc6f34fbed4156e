"""cfn-lint on every template of the assembly, in process (one runner for all templates: ~2 s, where one
runner per template costs ~6 s on the reference deployment).

cfn-lint reports failures only (its CLI exit code is a bitmask: 2 error, 4 warning, 8 info), so its passed
and total counts are "not reported". Errors and warnings block; informational matches do not.

W3005 ("obsolete DependsOn") fires on every CDK Lambda function: the CDK adds `DependsOn` on the role's
default policy *and* its role, and the role is already implied by `GetAtt Role.Arn`. The template is correct
and the CDK gives no way to drop the redundant entry, so W3005 is acknowledged here, with that reason, rather
than ignored: it still shows in SARIF (as a suppressed result) and in JUnit (as skipped).
"""

from __future__ import annotations

from importlib.metadata import version
from pathlib import Path
from typing import Any

from aifinops.check.assembly import CloudAssembly
from aifinops.check.findings import Finding, Level, Rule, Status, ToolResult

TOOL = "cfn-lint"
ACKNOWLEDGED = {
    "W3005": "The CDK emits DependsOn on a Lambda function's role and default policy; the role part is "
             "redundant with GetAtt Role.Arn, harmless, and not controllable from CDK code.",
}
_LEVELS = {"error": Level.ERROR, "warning": Level.WARNING, "informational": Level.NOTE, "info": Level.NOTE}


def run_cfn_lint(assembly: CloudAssembly) -> ToolResult:
    # Imported late (loading cfn-lint's schemas costs ~1 s); cfn-lint ships no type information.
    from cfnlint.api import ManualArgs, lint_by_config  # type: ignore[import-untyped]

    result = ToolResult(tool=TOOL, version=version("cfn-lint"), reports_passes=False,
                        information_uri="https://github.com/aws-cloudformation/cfn-lint", suppression_kind="external")
    templates = [str(t) for t in assembly.templates]
    regions = sorted({s.region for s in assembly.stacks if s.region}) or ["us-east-1"]
    for match in lint_by_config(ManualArgs(templates=templates, regions=regions)):
        result.findings.append(_finding(result, assembly, match))
    return result


def _finding(result: ToolResult, assembly: CloudAssembly, match: Any) -> Finding:
    rule = match.rule
    rule_id = str(rule.id)
    if rule_id not in result.rules:
        result.rules[rule_id] = Rule(id=rule_id, summary=str(rule.shortdesc), help=str(rule.description),
                                     help_uri=str(rule.source_url) if getattr(rule, "source_url", "") else None)
    template = Path(str(match.filename))
    stack = assembly.stack_of(template)
    logical_id = _logical_id(match)
    acknowledged = rule_id in ACKNOWLEDGED
    return Finding(
        tool=TOOL, rule_id=rule_id, level=_LEVELS.get(str(rule.severity).lower(), Level.ERROR),
        status=Status.ACKNOWLEDGED if acknowledged else Status.FAILED, message=str(match.message),
        stack=stack.name if stack else None, logical_id=logical_id,
        construct_path=assembly.construct_path(template, logical_id) if logical_id else None,
        template=template, line=int(match.linenumber) if match.linenumber else None,
        reason=ACKNOWLEDGED.get(rule_id))


def _logical_id(match: Any) -> str | None:
    """cfn-lint's path into the template: ["Resources", "<logical id>", ...] for resource findings."""
    path = list(getattr(match, "path", None) or [])
    return str(path[1]) if len(path) > 1 and path[0] == "Resources" else None
