"""`aifinops checkov PATH...`: the AiFinOps custom checks and checkov's built-ins on plain CloudFormation templates
(JSON or YAML), for teams not on the CDK. The same runner as `aifinops check` (explicit options, stray config
ignored and said, skips held to the reason policy, the custom checks proven loaded on a canary template), so it
fails closed: no config for the custom checks, or a checkov that cannot load them, is exit 2, never a green run.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Annotated

import typer

from aifinops.check.acknowledgements import ReasonPolicy
from aifinops.check.assembly import CheckInputError, CloudAssembly, StackTemplate
from aifinops.check.checkov_runner import ToolError, find_checkov, run_checkov
from aifinops.check.junit import junit_bytes
from aifinops.check.output import prepare_output, write_reports
from aifinops.check.sarif import sarif_bytes
from aifinops.check.summary import print_summary
from aifinops.cli.io import BAD_INPUT, err, load_or_exit, out
from aifinops.config import DEFAULT_CONFIG, CheckSettings

SARIF_FILE = "aifinops-checkov.sarif"
JUNIT_FILE = "aifinops-checkov.junit.xml"
SUFFIXES = (".json", ".yaml", ".yml", ".template")

__all__ = ["checkov_templates", "read_templates"]


def read_templates(paths: list[Path]) -> CloudAssembly:
    """Every template file named or found (recursively) under the directories named."""
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            files += sorted(p for p in path.rglob("*") if p.is_file() and p.suffix.lower() in SUFFIXES)
        elif path.is_file():
            files.append(path)
        else:
            raise CheckInputError(f"{path}: no such file or directory")
    if not files:
        raise CheckInputError(f"no CloudFormation template ({', '.join(SUFFIXES)}) in {', '.join(map(str, paths))}")
    root = Path.cwd()
    return CloudAssembly(root=root, stacks=[StackTemplate(name=f.stem, template=f.resolve()) for f in files])


def checkov_templates(
    paths: Annotated[list[Path], typer.Argument(help="template files, or directories to search for them")],
    config: Annotated[Path, typer.Option(help="finops.yaml for the CKV_AIF checks")] = DEFAULT_CONFIG,
    output: Annotated[Path, typer.Option(help="folder for the SARIF and JUnit reports")] = Path("reports"),
    skip_custom_checks: Annotated[bool, typer.Option(
        help="built-in checks only (said in the summary and the reports)")] = False,
) -> None:
    """checkov with the AiFinOps custom checks on plain CloudFormation. Exit 0 no unacknowledged finding, 1 any,
    2 bad input or checks that could not run."""
    try:
        checkov = find_checkov()
        prepare_output(output, [SARIF_FILE, JUNIT_FILE])
        cfg = None if skip_custom_checks else load_or_exit(config)
        settings = cfg.check if cfg else CheckSettings()
        policy = ReasonPolicy(min_reason_chars=settings.min_reason_chars, reason_pattern=settings.reason_pattern,
                              today=date.today())
        assembly = read_templates(paths)
        results = [run_checkov(assembly, cfg, checkov, policy)]
    except (CheckInputError, ToolError) as exc:
        err.print(str(exc), markup=False, highlight=False, soft_wrap=True)
        raise typer.Exit(BAD_INPUT) from None
    write_reports(output, {SARIF_FILE: sarif_bytes(results), JUNIT_FILE: junit_bytes(results)})
    print_summary(out, results)
    out.print(f"Reports: {output / SARIF_FILE}, {output / JUNIT_FILE}", markup=False, highlight=False)
    if results[0].blocking:
        raise typer.Exit(1)
