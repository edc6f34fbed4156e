"""cfn-lint on every template of the assembly, in process (one runner for all templates: ~2 s, where one
runner per template costs ~6 s on the reference deployment).

cfn-lint reports failures only (its CLI exit code is a bitmask: 2 error, 4 warning, 8 info), so its passed
and total counts are "not reported". Errors and warnings block; informational matches do not.

W3005 ("obsolete DependsOn") fires on every CDK Lambda function: `lambda.Function` depends on its whole L2 role
(so that the role's default policy exists first), which writes `DependsOn` on the role's default policy *and*
the role, and the role is already implied by `GetAtt Role.Arn`. That one pattern is acknowledged, with its
reason, and nothing else: the resource type is listed in ROLE_DEPENDENTS, the DependsOn entry cfn-lint flags is
an AWS::IAM::Role of the same template, and the resource references that role's Arn with GetAtt. Any other W3005
fails. Acknowledged findings still show in SARIF (as suppressed results) and in JUnit (as skipped).

Suppressions cfn-lint itself would honour are not: `Metadata.cfn-lint.config.ignore_checks` of a template or a
resource carries no reason, so the templates are linted as copies without it and each finding it would have hidden
is reported failed, saying where the ignore was declared. A `.cfnlintrc` is never read (the API is given explicit
options and an explicit, empty config file); one found in the working directory, the assembly or the home
directory is said in the warnings. A cfn-lint finding is
acknowledged with a reason in the resource's `Metadata.aifinops.acknowledge: [{"id": "W1234", "reason": ...}]`
(`aifinops.constructs.nag_acks.acknowledge_verdict`), held to the reason policy like every other.
"""

from __future__ import annotations

import json
import tempfile
from importlib.metadata import version
from importlib.util import find_spec
from pathlib import Path
from typing import Any

from aifinops.check.acknowledgements import METADATA_KEY, Acknowledgement, ReasonPolicy
from aifinops.check.assembly import CheckInputError, CloudAssembly
from aifinops.check.findings import Finding, Level, Rule, Status, ToolResult

TOOL = "cfn-lint"
REQUIREMENT = "cfn-lint>=1.58,<2"  # as in pyproject.toml's dependencies
OBSOLETE_DEPENDS_ON = "W3005"
# Resource types whose construct depends on a whole L2 role (the role and its default policy), and who does it.
ROLE_DEPENDENTS = {
    "AWS::Lambda::Function": "aws_lambda.Function depends on its role so that the role's default policy exists "
                             "before the function; not controllable from CDK code",
}
REASON = "The CDK emits DependsOn on an IAM role the resource already references with GetAtt Role.Arn ({why}); " \
         "the entry is redundant and harmless."
_LEVELS = {"error": Level.ERROR, "warning": Level.WARNING, "informational": Level.NOTE, "info": Level.NOTE}
CONFIG_FILES = (".cfnlintrc", ".cfnlintrc.yaml", ".cfnlintrc.yml")
IGNORE_KEY = "cfn-lint"


def require_cfn_lint() -> None:
    """CheckInputError naming the install command when cfn-lint is not importable (a broken install)."""
    if find_spec("cfnlint") is None:
        raise CheckInputError(f"cfn-lint is not installed in aifinops' Python environment; install it with: "
                              f"python -m pip install '{REQUIREMENT}'")


def run_cfn_lint(assembly: CloudAssembly, policy: ReasonPolicy | None = None) -> ToolResult:
    # Imported late (loading cfn-lint's schemas costs ~1 s); cfn-lint ships no type information.
    from cfnlint.api import ManualArgs, lint_by_config  # type: ignore[import-untyped]

    result = ToolResult(tool=TOOL, version=version("cfn-lint"), reports_passes=False,
                        information_uri="https://github.com/aws-cloudformation/cfn-lint", suppression_kind="external")
    regions = sorted({s.region for s in assembly.stacks if s.region}) or ["us-east-1"]
    result.ran = [f"all rules, regions {', '.join(regions)}"]
    for directory in dict.fromkeys((Path.cwd(), assembly.root.resolve(), Path.home())):
        for name in CONFIG_FILES:
            if (directory / name).is_file():
                result.warnings.append(f"{directory / name} ignored: aifinops check runs cfn-lint with explicit "
                                       "options; acknowledge findings in Metadata.aifinops.acknowledge, with a reason")
    with tempfile.TemporaryDirectory(prefix="aifinops-cfn-lint-") as tmp:
        originals: dict[str, Path] = {}
        for number, template in enumerate(assembly.templates):
            copy = Path(tmp) / f"{number:04d}-{template.name}"
            document, ignores = _without_ignores(assembly, template)
            copy.write_text(json.dumps(document, indent=1), encoding="utf-8")
            originals[str(copy)] = template
            result.acknowledgements += ignores
        result.acknowledgements += _aifinops_acknowledgements(assembly)
        # An explicit (empty) config file: cfn-lint then reads neither ~/.cfnlintrc nor ./.cfnlintrc.
        explicit = Path(tmp) / "cfnlintrc.yaml"
        explicit.write_text("{}\n", encoding="utf-8")
        args = ManualArgs(templates=list(originals), regions=regions, config_file=str(explicit))
        for match in lint_by_config(args):
            result.findings.append(_finding(result, assembly, match, originals, policy or ReasonPolicy()))
    return result


def _without_ignores(assembly: CloudAssembly, template: Path) -> tuple[dict[str, Any], list[Acknowledgement]]:
    """The template without `Metadata.cfn-lint` (template and resources), and what that metadata ignored."""
    document = json.loads(template.read_text(encoding="utf-8"))
    stack = assembly.stack_of(template)
    name = stack.name if stack else template.stem
    found: list[Acknowledgement] = []
    holders = [("(template)", document), *((lid, r) for lid, r in (document.get("Resources") or {}).items())]
    for logical_id, holder in holders:
        metadata = holder.get("Metadata") if isinstance(holder, dict) else None
        block = metadata.pop(IGNORE_KEY, None) if isinstance(metadata, dict) else None
        config = block.get("config") if isinstance(block, dict) else None
        ignored = config.get("ignore_checks") if isinstance(config, dict) else None
        for rule in ignored if isinstance(ignored, list) else []:
            where = "Metadata" if logical_id == "(template)" else f"Resources.{logical_id}.Metadata"
            resource = name if logical_id == "(template)" else (
                assembly.construct_path(template, logical_id) or f"{name}/{logical_id}")
            found.append(Acknowledgement(tool=TOOL, rule_id=str(rule), resource=resource, reason="",
                                         declared_at=f"{template.name}: {where}.cfn-lint.config.ignore_checks"))
    return document, found


def _aifinops_acknowledgements(assembly: CloudAssembly) -> list[Acknowledgement]:
    """`Metadata.aifinops.acknowledge` entries of every resource (the way to acknowledge a cfn-lint finding)."""
    found = []
    for stack in assembly.stacks:
        for logical_id, resource in assembly.resources(stack.template).items():
            metadata = resource.get("Metadata") if isinstance(resource, dict) else None
            block = metadata.get(METADATA_KEY) if isinstance(metadata, dict) else None
            entries = block.get("acknowledge") if isinstance(block, dict) else None
            for entry in entries if isinstance(entries, list) else []:
                if isinstance(entry, dict) and entry.get("id"):
                    path = assembly.construct_path(stack.template, logical_id) or f"{stack.name}/{logical_id}"
                    where = f"{stack.template.name}: Resources.{logical_id}.Metadata.{METADATA_KEY}.acknowledge"
                    found.append(Acknowledgement(
                        tool=TOOL, rule_id=str(entry["id"]), resource=path, reason=str(entry.get("reason") or ""),
                        declared_at=where, source=assembly.source_of(path)))
    return found


def _finding(result: ToolResult, assembly: CloudAssembly, match: Any, originals: dict[str, Path],
             policy: ReasonPolicy) -> Finding:
    rule = match.rule
    rule_id = str(rule.id)
    if rule_id not in result.rules:
        result.rules[rule_id] = Rule(id=rule_id, summary=str(rule.shortdesc), help=str(rule.description),
                                     help_uri=str(rule.source_url) if getattr(rule, "source_url", "") else None)
    template = originals.get(str(match.filename), Path(str(match.filename)))
    stack = assembly.stack_of(template)
    logical_id = _logical_id(match)
    construct_path = assembly.construct_path(template, logical_id) if logical_id else None
    path = [str(p) for p in (getattr(match, "path", None) or [])]
    reason = _acknowledgement(assembly, rule_id, template, path)
    message, declared = str(match.message), None
    if reason is None:
        ack = _declared(result.acknowledgements, rule_id, construct_path, stack.name if stack else None)
        if ack is not None:
            ack.matched += 1
            declared = ack.declared_at
            rejected = policy.problems(ack.reason)
            if rejected:
                message += f". Suppressed by {declared}, but not accepted: {'; '.join(rejected)}"
            else:
                reason = ack.reason
    line = assembly.line_of(template, logical_id) if logical_id else None
    return Finding(
        tool=TOOL, rule_id=rule_id, level=_LEVELS.get(str(rule.severity).lower(), Level.ERROR),
        status=Status.ACKNOWLEDGED if reason else Status.FAILED, message=message,
        stack=stack.name if stack else None, logical_id=logical_id, construct_path=construct_path,
        template=template, line=line or (int(match.linenumber) if match.linenumber else None), reason=reason,
        detail_id=f"{rule_id}@{'/'.join(path[2:])}" if len(path) > 2 else None,
        source=assembly.source_of(construct_path), declared_at=declared)


def _declared(acknowledgements: list[Acknowledgement], rule_id: str, construct_path: str | None,
              stack: str | None) -> Acknowledgement | None:
    """The declared suppression of this rule on the finding's resource, or on its whole template."""
    for ack in acknowledgements:
        if ack.rule_id == rule_id and (ack.resource == construct_path or ack.resource == stack):
            return ack
    return None


def _acknowledgement(assembly: CloudAssembly, rule_id: str, template: Path, path: list[str]) -> str | None:
    """The reason a finding is accepted, or None: only W3005 on a role dependency of the CDK's own pattern."""
    if rule_id != OBSOLETE_DEPENDS_ON or len(path) < 3 or path[0] != "Resources" or path[2] != "DependsOn":
        return None
    resource = assembly.resource(template, path[1]) or {}
    why = ROLE_DEPENDENTS.get(str(resource.get("Type")))
    depends_on = resource.get("DependsOn")
    if len(path) > 3 and isinstance(depends_on, list) and path[3].isdigit() and int(path[3]) < len(depends_on):
        depends_on = depends_on[int(path[3])]
    if why is None or not isinstance(depends_on, str):
        return None
    role = assembly.resource(template, depends_on) or {}
    if role.get("Type") != "AWS::IAM::Role" or not _references_arn(resource.get("Properties"), depends_on):
        return None
    return REASON.format(why=why)


def _references_arn(value: Any, logical_id: str) -> bool:
    """Whether `value` holds `{"Fn::GetAtt": [logical_id, "Arn"]}` (or "logical_id.Arn") anywhere inside."""
    if isinstance(value, dict):
        if value.get("Fn::GetAtt") in ([logical_id, "Arn"], f"{logical_id}.Arn"):
            return True
        return any(_references_arn(v, logical_id) for v in value.values())
    if isinstance(value, list):
        return any(_references_arn(v, logical_id) for v in value)
    return False


def _logical_id(match: Any) -> str | None:
    """cfn-lint's path into the template: ["Resources", "<logical id>", ...] for resource findings."""
    path = list(getattr(match, "path", None) or [])
    return str(path[1]) if len(path) > 1 and path[0] == "Resources" else None
