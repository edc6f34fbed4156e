"""`aifinops check`: synthesize (unless given a cdk.out), collect the CDK validation plugins' findings, run
checkov and cfn-lint, print one verdict, write SARIF and JUnit.

Exit codes: 0 no unacknowledged finding, 1 at least one, 2 bad input (missing, empty or malformed cdk.out, no
evidence that the CDK validation packs ran, no config for the custom checks, bad config, an --output that cannot
be written, a bad baseline, synthesis failure, checkov not installed) or a checker that could not run. A green
verdict without the packs or the custom checks takes an explicit flag, and the summary and reports then say what
did not run.

Every suppression is visible (`acknowledgements`): the CDK's from the stacks' metadata, checkov's and cfn-lint's
from the templates; a reason must hold (`check.min_reason_chars`, `check.reason_pattern` of finops.yaml; default
15 characters), an expired one (`expires: YYYY-MM-DD` in the reason) no longer suppresses, a bare-id one fails, an
unused one is noted. Stray tool configuration (`.checkov.yaml`, `.cfnlintrc`, `CKV_*` variables, cfn-lint
template metadata) is never honoured silently. `--write-baseline` / `--baseline` (`baseline`) let a team adopt the
gate on an existing app; `--acknowledgements FILE.md` writes the sign-off register (`register`).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Annotated, TypeVar

import typer

from aifinops.check.acknowledgements import ReasonPolicy
from aifinops.check.assembly import CheckInputError, read_assembly
from aifinops.check.baseline import apply_baseline, read_baseline, write_baseline
from aifinops.check.cfn_lint_runner import require_cfn_lint, run_cfn_lint
from aifinops.check.checkov_runner import ToolError, find_checkov, run_checkov
from aifinops.check.findings import ToolResult
from aifinops.check.junit import junit_bytes
from aifinops.check.nag import read_validation_report
from aifinops.check.nag_reasons import explain_aifinops_findings
from aifinops.check.output import prepare_output, write_reports
from aifinops.check.register import write_register
from aifinops.check.sarif import sarif_bytes
from aifinops.check.summary import print_summary
from aifinops.check.synth import SynthError, synthesize
from aifinops.cli.io import BAD_INPUT, err, out, print_config_issues
from aifinops.config import DEFAULT_CONFIG, CheckSettings, ConfigError, FinOpsConfig, load
from aifinops.policies.scp import check_scp_limits

SARIF_FILE = "aifinops-check.sarif"
JUNIT_FILE = "aifinops-check.junit.xml"
T = TypeVar("T")


@dataclass(frozen=True)
class CheckOptions:
    """What the user allowed to be missing; each is said in the summary and the reports when used."""

    allow_missing_validation: bool = False  # stacks with no evidence that a CDK validation pack ran
    skip_custom_checks: bool = False  # run checkov without the CKV_AIF checks (no config needed)
    baseline: Path | None = None  # findings it lists do not block
    write_baseline: Path | None = None  # record today's failed findings there
    acknowledgements: Path | None = None  # write the sign-off register there


def check(
    cdk_out: Annotated[Path | None, typer.Option(
        help="a synthesized cloud assembly to check; default: synthesize the cdk.json app into cdk.out")] = None,
    output: Annotated[Path, typer.Option(help="folder for the SARIF and JUnit reports")] = Path("reports"),
    config: Annotated[Path | None, typer.Option(
        help=f"finops.yaml to synthesize with and to give the custom checkov checks; default {DEFAULT_CONFIG}")] = None,
    allow_missing_validation: Annotated[bool, typer.Option(
        help="pass stacks on which no CDK validation pack (cdk-nag) is known to have run: no marker from "
             "aifinops.infra.attach_security_checks and no entry in validation-report.json")] = False,
    skip_custom_checks: Annotated[bool, typer.Option(
        help="run checkov without the AiFinOps CKV_AIF checks (they need finops.yaml or --config)")] = False,
    baseline: Annotated[Path | None, typer.Option(
        help="a baseline written by --write-baseline: its findings are reported but do not fail the check")] = None,
    write_baseline: Annotated[Path | None, typer.Option(
        "--write-baseline", help="record every failed finding in this file (first-seen days kept when it "
                                 "exists) and exit 0")] = None,
    acknowledgements: Annotated[Path | None, typer.Option(
        help="write every acknowledgement and skip (tool, rule, resource, reason, expiry, where declared) to "
             "this Markdown file")] = None,
) -> None:
    """Security review: CDK validation plugins (cdk-nag AwsSolutions + AiFinOps, ...), checkov, cfn-lint.

    Exit 0 when no unacknowledged finding, 1 when any, 2 on bad input."""
    options = CheckOptions(allow_missing_validation=allow_missing_validation, skip_custom_checks=skip_custom_checks,
                           baseline=baseline, write_baseline=write_baseline, acknowledgements=acknowledgements)
    try:
        results = collect(cdk_out, output, config, options)
    except (CheckInputError, SynthError, ToolError) as exc:
        err.print(str(exc), markup=False, highlight=False, soft_wrap=True)
        raise typer.Exit(BAD_INPUT) from None
    except ConfigError as exc:
        print_config_issues(exc)
        raise typer.Exit(BAD_INPUT) from None
    print_summary(out, results)
    out.print(f"Reports: {output / SARIF_FILE}, {output / JUNIT_FILE}", markup=False, highlight=False)
    if write_baseline is not None:
        return  # recording the baseline is the point of this run
    if any(r.blocking for r in results):
        raise typer.Exit(1)


def collect(cdk_out: Path | None, output: Path, config_path: Path | None,
            options: CheckOptions = CheckOptions()) -> list[ToolResult]:
    """Check the inputs, synthesize if needed, run every tool, write the reports; the results in the order the
    tools ran. Everything that can be bad input is checked before the first tool (or synth) runs."""
    checkov = find_checkov()
    require_cfn_lint()
    prepare_output(output, [SARIF_FILE, JUNIT_FILE])
    config = _config(config_path, cdk_out, options)
    settings = config.check if config else CheckSettings()
    today = date.today()
    policy = ReasonPolicy(min_reason_chars=settings.min_reason_chars, reason_pattern=settings.reason_pattern,
                          today=today)
    baseline = read_baseline(options.baseline) if options.baseline else None
    previous = read_baseline(options.write_baseline) if options.write_baseline and options.write_baseline.is_file() \
        else None
    if cdk_out is None:
        cdk_out = Path("cdk.out")
        clean = _step("cdk synth", lambda: synthesize(cdk_out, config_path or DEFAULT_CONFIG))
        if not clean:
            err.print("cdk synth: validation plugins reported findings; collecting them", markup=False)
    assembly = read_assembly(cdk_out)
    validation = _step("validation report", lambda: read_validation_report(
        assembly, allow_missing=options.allow_missing_validation, policy=policy))
    explain_aifinops_findings(validation, config)
    results = [
        validation,
        _step("checkov", lambda: run_checkov(assembly, None if options.skip_custom_checks else config, checkov,
                                             policy)),
        _step("cfn-lint", lambda: run_cfn_lint(assembly, policy)),
    ]
    if baseline is not None:
        fixed, stale = apply_baseline(results, baseline, today=today, max_age_days=settings.baseline_max_age_days)
        for entry in fixed:
            results[0].notes.append(f"fixed since the baseline {baseline.path.name}: {entry.tool} {entry.rule} "
                                    f"{entry.resource} (first seen {entry.first_seen}): remove it from the baseline")
        for entry in stale:
            results[0].warnings.append(f"baseline entry older than {settings.baseline_max_age_days} days: "
                                       f"{entry.tool} {entry.rule} {entry.resource} (first seen {entry.first_seen})"
                                       ": fix it, or acknowledge it with a reason")
    write_reports(output, {SARIF_FILE: sarif_bytes(results, assembly.root), JUNIT_FILE: junit_bytes(results)})
    if options.write_baseline is not None:
        count = write_baseline(options.write_baseline, results, today=today, previous=previous)
        out.print(f"Baseline: {count} finding(s) recorded in {options.write_baseline}", markup=False,
                  highlight=False)
    if options.acknowledgements is not None:
        write_register(options.acknowledgements, results, policy)
    return results


def _config(path: Path | None, cdk_out: Path | None, options: CheckOptions) -> FinOpsConfig | None:
    """The config for synthesis and the custom checks. Synthesis needs one; a given cdk.out needs one for the
    custom checks only, so without finops.yaml or --config that is bad input unless they are skipped."""
    if cdk_out is not None and path is None:
        if options.skip_custom_checks:
            return None  # nothing needs it
        if not DEFAULT_CONFIG.is_file():
            raise CheckInputError(
                f"no {DEFAULT_CONFIG} here and no --config: the AiFinOps custom checkov checks (CKV_AIF_*) need "
                "the organisation's config. Pass --config FILE, or --skip-custom-checks to run checkov without "
                "them (the summary and the reports then say so).")
    path = path or DEFAULT_CONFIG
    config = load(path)
    check_scp_limits(config, str(path))
    return config


def _step(name: str, action: Callable[[], T]) -> T:
    """Run one stage with a spinner on a terminal and its duration on stderr (CI logs show where time goes)."""
    start = time.monotonic()
    if err.is_terminal:
        with err.status(f"{name}..."):
            value = action()
    else:
        value = action()
    err.print(f"{name}: {time.monotonic() - start:.1f} s", markup=False, highlight=False)
    return value
