"""Run checkov (its own virtual environment: it pins an old boto3) on the assembly's templates.

Built-in CloudFormation checks plus the AiFinOps custom checks (`aifinops/policies/checkov/`, CKV_AIF_*), which
need the config's policy; without it they are skipped only when asked (`skip_custom_checks`), and said so.
checkov lists passed checks, so this tool's counts are complete. A check skipped in template metadata
(`Metadata.checkov.skip: [{id, comment}]`, or `Metadata.bridgecrew.skip`) or by a `checkov:skip=ID:reason` text
inside a resource is an acknowledgement; its comment is the reason, held to the reason policy
(`acknowledgements.ReasonPolicy`), and a metadata skip that matches no check is reported.

checkov also reads `.checkov.yaml` / `.checkov.yml` (in the working directory and the home directory) and
environment variables such as `CKV_SKIP_CHECK`, any of which can drop checks with no trace. It runs here in an empty
temporary directory, with that directory as its home and those variables removed: such a file or variable is
ignored, and said so in the result's warnings.

Where checkov is found, in this order: `$AIFINOPS_CHECKOV` (a path; if set, nothing else is tried), then
`.venv-checkov/bin/checkov` under the working directory (what `make` builds here), then `checkov` on PATH.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from aifinops.check.acknowledgements import NO_REASON, Acknowledgement, ReasonPolicy
from aifinops.check.assembly import CheckInputError, CloudAssembly
from aifinops.check.findings import Finding, Level, Rule, Status, ToolResult
from aifinops.config import FinOpsConfig
from aifinops.policies.checkov.aif_policy import ENV_VAR as ENV_POLICY
from aifinops.policies.checkov_policy import write_checkov_policy

TOOL = "checkov"
ENV_BINARY = "AIFINOPS_CHECKOV"  # path of the checkov executable
DEFAULT_BINARY = Path(".venv-checkov/bin/checkov")
CHECKOV_VERSION = "3.3.30"  # the version tested; requirements/checkov.txt and the example workflow pin it too
TIMEOUT_SECONDS = 900  # the reference deployment takes seconds; a hung run must not hold CI for 90 minutes
CUSTOM_CHECKS = Path(__file__).resolve().parents[1] / "policies" / "checkov"
INSTALL_HINT = (f"python3 -m venv .venv-checkov && .venv-checkov/bin/pip install checkov=={CHECKOV_VERSION} "
                f"(its own venv: checkov pins an old boto3), or set {ENV_BINARY} to a checkov executable; "
                "in the aifinops repository: make .venv-checkov/.installed")
BUILT_IN = "built-in CloudFormation checks"
CUSTOM = "CKV_AIF custom checks"
_STATUS = {"passed_checks": Status.PASSED, "failed_checks": Status.FAILED, "skipped_checks": Status.ACKNOWLEDGED}
CONFIG_FILES = (".checkov.yaml", ".checkov.yml")
# Variables checkov reads as its options (its argument parser's env_var names): never passed on.
_OPTION_VARIABLES = ("CKV_", "BC_", "PRISMA_", "CHECKOV_")
_OPTION_NAMES = frozenset({"DOWNLOAD_EXTERNAL_MODULES", "EXTERNAL_MODULES_DIR", "SKIP_CHECK", "SOFT_FAIL",
                           "ENABLE_CONFIG_FILE_VALIDATION"})
CHECKOV_DEFAULT_COMMENT = "No comment provided"  # what checkov reports for a metadata skip without a comment
UNUSED_SKIP = "AIF-ACK2"
_LEVELS = {"LOW": Level.WARNING, "INFO": Level.NOTE}  # offline checkov reports no severity: error


class ToolError(Exception):
    """A checker could not run to completion: no verdict is possible."""


def find_checkov() -> Path:
    """The checkov executable: $AIFINOPS_CHECKOV, else ./.venv-checkov/bin/checkov, else checkov on PATH;
    CheckInputError with INSTALL_HINT if none is an executable file."""
    configured = os.environ.get(ENV_BINARY)
    candidates = [Path(configured)] if configured else [DEFAULT_BINARY]
    on_path = shutil.which("checkov")
    if not configured and on_path:
        candidates.append(Path(on_path))
    for candidate in candidates:
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return candidate
    raise CheckInputError(f"checkov not found ({candidates[0]}); install it with: {INSTALL_HINT}")


def run_checkov(assembly: CloudAssembly, config: FinOpsConfig | None, binary: Path | None = None,
                policy: ReasonPolicy | None = None) -> ToolResult:
    """checkov on every template; the custom checks run with `config`'s policy, and are skipped (with a
    warning in the result) when `config` is None: the caller decides whether that is allowed."""
    checkov = binary or find_checkov()
    result = ToolResult(tool=TOOL, version="unknown", reports_passes=True,
                        information_uri="https://www.checkov.io/5.Policy%20Index/cloudformation.html")
    result.acknowledgements = metadata_skips(assembly)
    command = [str(checkov.resolve()), "--skip-download", "--framework", "cloudformation", "-o", "json"]
    for template in assembly.templates:
        command += ["-f", str(template.resolve())]
    with _custom_checks(config, result) as (extra_args, env), tempfile.TemporaryDirectory(
            prefix="aifinops-checkov-home-") as home:
        env = _isolated(env, Path(home), result, assembly)
        canary = Path(home) / CANARY_FILE
        if config is not None:  # proof that the custom checks loaded: their check must fail on it
            canary.write_text(json.dumps(CANARY_TEMPLATE), encoding="utf-8")
            command += ["-f", str(canary)]
        try:
            completed = subprocess.run(command + extra_args, capture_output=True, text=True, env=env, check=False,
                                       timeout=TIMEOUT_SECONDS, cwd=home)
        except subprocess.TimeoutExpired:
            raise ToolError(f"checkov did not finish within {TIMEOUT_SECONDS} s") from None
        except OSError as exc:  # found, but not runnable (a broken venv, a wrong AIFINOPS_CHECKOV)
            raise ToolError(f"{checkov}: cannot run checkov ({exc})") from None
        # checkov exits 1 when a check failed; anything else non-zero, or no JSON, is a crash.
        if completed.returncode not in (0, 1):
            raise ToolError(f"checkov exited {completed.returncode}: {_tail(completed.stderr or completed.stdout)}")
        try:
            output = json.loads(completed.stdout)
        except json.JSONDecodeError:
            raise ToolError(f"checkov printed no JSON: {_tail(completed.stderr or completed.stdout)}") from None
        for report in output if isinstance(output, list) else [output]:  # while the canary template exists
            _read_report(result, assembly, report, policy or ReasonPolicy())
        if config is not None:
            _require_canary(result)
    _unused_skips(result, assembly)
    return result


# A template the CKV_AIF checks must fail on (an endpoint config without cost tags): run with every checkov call
# that claims the custom checks, so that a checkov that did not load them gives no verdict instead of a green one.
CANARY_FILE = "aifinops-custom-checks-canary.json"
CANARY_CHECK = "CKV_AIF_1"
CANARY_TEMPLATE = {"Resources": {"AifinopsCanary": {"Type": "AWS::SageMaker::EndpointConfig", "Properties": {
    "ProductionVariants": [{"VariantName": "v", "ModelName": "m", "InitialInstanceCount": 1,
                            "InstanceType": "ml.m5.large"}]}}}}


def _require_canary(result: ToolResult) -> None:
    """Drop the canary's findings; ToolError unless the custom checks failed it as they must."""
    seen = [f for f in result.findings if f.template is not None and f.template.name == CANARY_FILE]
    result.findings = [f for f in result.findings if f not in seen]
    if not any(f.rule_id == CANARY_CHECK and f.status is Status.FAILED for f in seen):
        raise ToolError(f"checkov ran without the AiFinOps custom checks: {CANARY_CHECK} did not fail on its canary "
                        f"template ({CUSTOM_CHECKS} could not be loaded by {result.version}); no verdict")


def _isolated(env: dict[str, str], home: Path, result: ToolResult, assembly: CloudAssembly) -> dict[str, str]:
    """checkov's environment without its option variables, its home an empty directory; what was dropped (and any
    config file it would have read) said in the result's warnings."""
    dropped = sorted(k for k in env if (k.startswith(_OPTION_VARIABLES) and k != ENV_POLICY) or k in _OPTION_NAMES)
    for key in dropped:
        result.warnings.append(f"environment variable {key}={env[key][:80]!r} is a checkov option: ignored (aifinops "
                               "check runs checkov with explicit options only; acknowledge findings in template "
                               "metadata, with a reason)")
    for directory in dict.fromkeys((Path.cwd(), assembly.root.resolve(), Path.home())):
        for name in CONFIG_FILES:
            found = directory / name
            if found.is_file():
                result.warnings.append(f"{found} ignored: checkov config files can skip checks with no trace "
                                       f"({_skip_list(found)}); acknowledge findings in template metadata, with a "
                                       "reason, instead")
    return {**{k: v for k, v in env.items() if k not in dropped}, "HOME": str(home)}


def _skip_list(config_file: Path) -> str:
    text = config_file.read_text(encoding="utf-8", errors="replace")
    skips = [line.strip(" -\t") for line in text.splitlines() if line.strip().startswith("- CKV")]
    return f"it skips {', '.join(skips)}" if skips else "it may set skip-check, check or soft-fail"


def metadata_skips(assembly: CloudAssembly) -> list[Acknowledgement]:
    """Every `Metadata.checkov.skip` and `Metadata.bridgecrew.skip` entry of every resource."""
    found = []
    for stack in assembly.stacks:
        for logical_id, resource in assembly.resources(stack.template).items():
            metadata = resource.get("Metadata") if isinstance(resource, dict) else None
            for key in ("checkov", "bridgecrew"):
                block = metadata.get(key) if isinstance(metadata, dict) else None
                for skip in (block.get("skip") or [] if isinstance(block, dict) else []):
                    if isinstance(skip, dict) and skip.get("id"):
                        path = assembly.construct_path(stack.template, logical_id) or f"{stack.name}/{logical_id}"
                        found.append(Acknowledgement(
                            tool=TOOL, rule_id=str(skip["id"]), resource=path, reason=str(skip.get("comment") or ""),
                            declared_at=f"{stack.template.name}: Resources.{logical_id}.Metadata.{key}.skip",
                            source=assembly.source_of(path)))
    return found


def _unused_skips(result: ToolResult, assembly: CloudAssembly) -> None:
    unused = [a for a in result.acknowledgements if a.matched == 0]
    if unused:
        result.rules[UNUSED_SKIP] = Rule(UNUSED_SKIP, "A checkov skip that matches no check", help=(
            "checkov evaluated no check of that id on the resource (a typo, or a check that no longer applies). "
            "Fix: remove it, or correct the id."))
    for ack in unused:
        located = assembly.locate(ack.resource)
        stack = located[0] if located else None
        result.findings.append(Finding(
            tool=TOOL, rule_id=UNUSED_SKIP, level=Level.NOTE, status=Status.FAILED,
            message=f"checkov skip {ack.rule_id!r} on {ack.resource} matches no check (reason: {ack.reason})",
            stack=stack.name if stack else None, logical_id=located[1] if located else None,
            construct_path=ack.resource, template=_relative(stack.template) if stack else None,
            detail_id=f"{UNUSED_SKIP}[{ack.rule_id}]", source=ack.source, declared_at=ack.declared_at))


@contextmanager
def _custom_checks(config: FinOpsConfig | None, result: ToolResult) -> Iterator[tuple[list[str], dict[str, str]]]:
    """checkov's extra arguments and environment: the custom checks' folder and the policy file they read."""
    env = dict(os.environ)
    if config is None:
        result.ran = [BUILT_IN]
        result.warnings.append(f"--skip-custom-checks: the AiFinOps {CUSTOM} (cost tags, accelerator types, "
                               "endpoint scaling, job time limits) were NOT run; built-in checks only")
        yield [], env
        return
    result.ran = [BUILT_IN, CUSTOM]
    with tempfile.TemporaryDirectory(prefix="aifinops-checkov-") as tmp:
        policy = Path(tmp) / "policy.json"
        write_checkov_policy(config, policy)
        env[ENV_POLICY] = str(policy)
        yield ["--external-checks-dir", str(CUSTOM_CHECKS)], env


def _read_report(result: ToolResult, assembly: CloudAssembly, report: Any, policy: ReasonPolicy) -> None:
    if not isinstance(report, dict):
        raise ToolError(f"checkov printed JSON that is not a report: {str(report)[:200]}")
    summary = report.get("summary", report)  # with no resource at all, checkov prints the bare summary
    result.version = str(summary.get("checkov_version", result.version))
    results = report.get("results", {})
    for key, status in _STATUS.items():
        for check in results.get(key, []):
            result.findings.append(_finding(result, assembly, check, status, policy))
    for path in results.get("parsing_errors", []):
        template = Path(path)
        result.rules.setdefault("checkov-parse", Rule("checkov-parse", "checkov could not parse the template"))
        result.findings.append(Finding(tool=TOOL, rule_id="checkov-parse", level=Level.ERROR, status=Status.FAILED,
                                       message=f"checkov could not parse {path}: nothing in it was checked",
                                       template=template, stack=_stack(assembly, template)))


def _finding(result: ToolResult, assembly: CloudAssembly, check: Any, status: Status,
             policy: ReasonPolicy) -> Finding:
    if not isinstance(check, dict) or "check_id" not in check:
        raise ToolError(f"checkov printed a result without check_id: {str(check)[:200]}")
    rule_id = str(check["check_id"])
    if rule_id not in result.rules:
        guideline = check.get("guideline")
        result.rules[rule_id] = Rule(
            id=rule_id, summary=str(check.get("check_name", rule_id)),
            help=f"{check.get('check_name', rule_id)}\nAcknowledge in the resource's template metadata: "
                 f"Metadata.checkov.skip: [{{\"id\": \"{rule_id}\", \"comment\": \"<reason>\"}}] "
                 "(in the CDK: cfn_resource.add_metadata(\"checkov\", {...})).",
            help_uri=str(guideline) if guideline else None)
    template = Path(str(check.get("file_abs_path") or check.get("file_path", "")))
    logical_id = str(check.get("resource", "")).split(".", 1)[-1] or None
    line_range = check.get("file_line_range") or [None]
    severity = str(check.get("severity") or "").upper()
    check_result = check.get("check_result") or {}
    construct_path = assembly.construct_path(template, logical_id) if logical_id else None
    message, declared, reason = _message(check, rule_id), None, None
    if status is Status.ACKNOWLEDGED:
        reason = str(check_result.get("suppress_comment") or "")
        reason = "" if reason == CHECKOV_DEFAULT_COMMENT else reason
        ack = next((a for a in result.acknowledgements
                    if a.rule_id == rule_id and a.resource == (construct_path or "")), None)
        if ack is not None:
            ack.matched += 1
            declared = ack.declared_at
        else:  # not in the metadata: a `checkov:skip=` text somewhere inside the resource
            declared = f"{template.name}: Resources.{logical_id}: checkov:skip= text inside the resource"
            result.acknowledgements.append(Acknowledgement(
                tool=TOOL, rule_id=rule_id, resource=construct_path or f"{logical_id}", reason=reason,
                declared_at=declared, matched=1))
        rejected = policy.problems(reason)
        if rejected:
            status = Status.FAILED
            message += f". Skipped ({declared}), but the skip is not accepted: {'; '.join(rejected)}"
        reason = reason or NO_REASON
    return Finding(
        tool=TOOL, rule_id=rule_id, level=_LEVELS.get(severity, Level.ERROR), status=status,
        message=message, stack=_stack(assembly, template), logical_id=logical_id,
        construct_path=construct_path, template=_relative(template), line=line_range[0], reason=reason,
        source=assembly.source_of(construct_path), declared_at=declared)


def _message(check: dict[str, Any], rule_id: str) -> str:
    """The check's name, then why it failed: the details a check gives (the CKV_AIF checks put each problem in
    `check_result.details`; checkov's own records carry a top-level `details`), each said once."""
    result = check.get("check_result")
    details = [*(result.get("details") or [] if isinstance(result, dict) else []), *(check.get("details") or [])]
    reasons = list(dict.fromkeys(str(d) for d in details if str(d).strip()))
    name = str(check.get("check_name", rule_id))
    return f"{name}: {'; '.join(reasons)}" if reasons else name


def _stack(assembly: CloudAssembly, template: Path) -> str | None:
    stack = assembly.stack_of(template)
    return stack.name if stack else None


def _relative(path: Path) -> Path:
    try:
        return path.resolve().relative_to(Path.cwd())
    except ValueError:
        return path


def _tail(text: str, lines: int = 15) -> str:
    return "\n".join(text.strip().splitlines()[-lines:])
