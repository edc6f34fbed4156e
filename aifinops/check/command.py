"""`aifinops check`: synthesize (unless given a cdk.out), collect the CDK validation plugins' findings, run
checkov and cfn-lint, print one verdict, write SARIF and JUnit.

Exit codes: 0 no unacknowledged finding, 1 at least one, 2 bad input (missing or empty cdk.out, bad config,
synthesis failure, checkov not installed) or a checker that could not run.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, TypeVar

import typer
from rich.console import Console

from aifinops.check.assembly import CheckInputError, read_assembly
from aifinops.check.cfn_lint_runner import run_cfn_lint
from aifinops.check.checkov_runner import ToolError, find_checkov, run_checkov
from aifinops.check.findings import ToolResult
from aifinops.check.junit import write_junit
from aifinops.check.nag import read_validation_report
from aifinops.check.sarif import write_sarif
from aifinops.check.summary import print_summary
from aifinops.check.synth import SynthError, synthesize
from aifinops.config import DEFAULT_CONFIG, ConfigError, FinOpsConfig, load
from aifinops.policies.scp import check_scp_limits

BAD_INPUT = 2
SARIF_FILE = "aifinops-check.sarif"
JUNIT_FILE = "aifinops-check.junit.xml"
T = TypeVar("T")
out = Console(width=None if sys.stdout.isatty() else 160)
err = Console(stderr=True, width=None if sys.stderr.isatty() else 200)


def check(
    cdk_out: Annotated[Path | None, typer.Option(
        help="a synthesized cloud assembly to check; default: synthesize the cdk.json app into cdk.out")] = None,
    output: Annotated[Path, typer.Option(help="folder for the SARIF and JUnit reports")] = Path("reports"),
    config: Annotated[Path | None, typer.Option(
        help=f"finops.yaml to synthesize with and to give the custom checkov checks; default {DEFAULT_CONFIG}")] = None,
) -> None:
    """Security review: CDK validation plugins (cdk-nag AwsSolutions + AiFinOps, ...), checkov, cfn-lint.

    Exit 0 when no unacknowledged finding, 1 when any, 2 on bad input."""
    try:
        results = collect(cdk_out, output, config)
    except (CheckInputError, SynthError, ToolError) as exc:
        err.print(str(exc), markup=False, highlight=False, soft_wrap=True)
        raise typer.Exit(BAD_INPUT) from None
    except ConfigError as exc:
        for issue in exc.issues:
            err.print(str(issue), markup=False, highlight=False, soft_wrap=True)
        raise typer.Exit(BAD_INPUT) from None
    print_summary(out, results)
    out.print(f"Reports: {output / SARIF_FILE}, {output / JUNIT_FILE}", markup=False, highlight=False)
    if any(r.blocking for r in results):
        raise typer.Exit(1)


def collect(cdk_out: Path | None, output: Path, config_path: Path | None) -> list[ToolResult]:
    """Synthesize if needed, run every tool, write the reports; the results in the order the tools ran."""
    checkov = find_checkov()  # before a long synth: a missing tool is bad input, said at once
    config = _config(config_path, required=cdk_out is None or config_path is not None)
    if cdk_out is None:
        cdk_out = Path("cdk.out")
        clean = _step("cdk synth", lambda: synthesize(cdk_out, config_path or DEFAULT_CONFIG))
        if not clean:
            err.print("cdk synth: validation plugins reported findings; collecting them", markup=False)
    assembly = read_assembly(cdk_out)
    results = [
        _step("validation report", lambda: read_validation_report(assembly)),
        _step("checkov", lambda: run_checkov(assembly, config, checkov)),
        _step("cfn-lint", lambda: run_cfn_lint(assembly)),
    ]
    write_sarif(results, output / SARIF_FILE)
    write_junit(results, output / JUNIT_FILE)
    return results


def _config(path: Path | None, *, required: bool) -> FinOpsConfig | None:
    """The config for synthesis and the custom checks; optional only when checking a given cdk.out without
    --config and no finops.yaml is here (then the custom checkov checks are skipped, and said so)."""
    path = path or DEFAULT_CONFIG
    if not required and not path.is_file():
        return None
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
