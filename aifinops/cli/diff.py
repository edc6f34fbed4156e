"""`aifinops diff`: the monthly cost of a change, from two cloud assemblies, or from a git revision synthesized
here (`--git-base REF`). Exit codes: 0 the diff, 1 a --fail-over-budget or --fail-over threshold was passed,
2 bad input (nothing is printed on stdout)."""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from aifinops.cli.io import BAD_INPUT, err, load_or_exit, out
from aifinops.config import ConfigError
from aifinops.cost_diff import CostDiff, diff_assemblies
from aifinops.cost_diff_render import to_json, to_markdown, to_table, usd
from aifinops.cost_usage import UsageFile, load_usage
from aifinops.report import CdkOutError
from aifinops.synth_base import SynthError, repo_root, show_file, synth_revision

FORMATS = ("table", "markdown", "json")
THRESHOLD = 1


def diff_command(
        assemblies: Annotated[list[Path], typer.Argument(help="BASE HEAD cloud assemblies (cdk.out); only HEAD with "
                                                              "--git-base")],
        git_base: Annotated[str | None, typer.Option("--git-base", help="synthesize this git revision as the base "
                                                                        "(a temporary worktree)")] = None,
        base_ref: Annotated[str | None, typer.Option("--base-ref", help="git revision whose prompt files are the "
                                                                        "base (default: --git-base)")] = None,
        usage: Annotated[Path | None, typer.Option("--usage", help="usage file: tokens a month per pay-per-token "
                                                                   "workload, prompt files")] = None,
        config: Annotated[Path | None, typer.Option("--config", help="finops.yaml: team budgets for context "
                                                                     "(default: ./finops.yaml if present)")] = None,
        output_format: Annotated[str, typer.Option("--format", help="table, markdown or json")] = "table",
        fail_over_budget: Annotated[bool, typer.Option("--fail-over-budget", help="exit 1 when a team's head "
                                                       "costs more than its budget at full capacity")] = False,
        fail_over: Annotated[float | None, typer.Option("--fail-over", help="exit 1 when the change adds more "
                                                        "than this many USD a month at full capacity")] = None,
        app: Annotated[str | None, typer.Option("--app", help="the command that synthesizes the base (default: "
                                                              "cdk.json's app)")] = None,
) -> None:
    """What a change costs a month, per workload, team and environment, at minimum and full capacity."""
    if output_format not in FORMATS:
        _bad(f"--format: {output_format!r} is not one of {', '.join(FORMATS)}")
    if git_base is None and len(assemblies) != 2:
        _bad(f"give BASE and HEAD cloud assemblies, or --git-base REF and HEAD (got {len(assemblies)} paths)")
    if git_base is not None and len(assemblies) != 1:
        _bad(f"with --git-base give only HEAD, the assembly of the working tree (got {len(assemblies)} paths)")
    if fail_over is not None and not fail_over >= 0:
        _bad(f"--fail-over: {fail_over} is not an amount of USD (0 or more)")
    for path in assemblies:
        if not (path / "manifest.json").is_file():
            _bad(f"{path}: not a cloud assembly (no manifest.json); run `cdk synth` first")
    usage_file = _usage(usage)
    budgets = _budgets(config)
    prompt_ref = base_ref or git_base
    try:
        texts = _prompt_texts(usage_file, prompt_ref) if usage_file.prompts and prompt_ref else None
        with tempfile.TemporaryDirectory(prefix="aifinops-diff-") as scratch:
            if git_base is not None:
                err.print(f"synthesizing {git_base} in a temporary worktree ...", markup=False)
                base = synth_revision(git_base, Path(scratch) / "cdk.out", cwd=Path.cwd(), app=app)
                head = assemblies[0]
            else:
                base, head = assemblies
            diff = diff_assemblies(base, head, usage=usage_file, budgets=budgets, prompt_texts=texts)
    except (CdkOutError, SynthError, ValueError) as exc:  # JSONDecodeError is a ValueError
        _bad(str(exc))
    except (OSError, KeyError, TypeError) as exc:  # a template missing or not what the CDK writes
        _bad(f"a cloud assembly is unreadable: {type(exc).__name__}: {exc}")
    _print(diff, output_format)
    too_much = fail_over is not None and diff.delta(True) > fail_over
    if (fail_over_budget and diff.over_budget()) or too_much:
        raise typer.Exit(THRESHOLD)


def _bad(message: str) -> None:
    err.print(message, markup=False, highlight=False)
    raise typer.Exit(BAD_INPUT)


def _usage(path: Path | None) -> UsageFile:
    if path is None:
        return UsageFile()
    try:
        return load_usage(path)
    except ConfigError as exc:
        err.print(str(exc), markup=False, highlight=False)
        raise typer.Exit(BAD_INPUT) from None


def _budgets(path: Path | None) -> dict[str, float]:
    if path is None:
        path = Path("finops.yaml")
        if not path.is_file():
            return {}
    cfg = load_or_exit(path)
    return {t.name: t.monthly_budget_usd for t in cfg.teams}


def _prompt_texts(usage: UsageFile, ref: str) -> dict[str, tuple[str | None, str | None]]:
    """path -> (text at `ref`, text in the working tree) of each prompt file; paths relative to the current
    directory."""
    root = repo_root(Path.cwd())
    found = {}
    for path in usage.prompts:
        here = Path(path)
        try:
            in_repo = (Path.cwd() / here).resolve().relative_to(root).as_posix()
        except ValueError:
            raise SynthError(f"prompt {path}: outside the git repository {root}") from None
        head = here.read_text(encoding="utf-8", errors="replace") if here.is_file() else None
        found[path] = (show_file(root, ref, in_repo), head)
    return found


def _print(diff: CostDiff, output_format: str) -> None:
    if output_format == "json":
        sys.stdout.write(json.dumps(to_json(diff), indent=1) + "\n")
        return
    if output_format == "markdown":
        sys.stdout.write(to_markdown(diff))
        return
    out.print(diff.headline(), markup=False, highlight=False)
    if not diff.changed:
        return
    table = Table(title="Changed workloads (monthly USD, minimum-full capacity)", title_justify="left")
    for column in ("stack", "workload", "team", "environment", "status", "before", "after", "change min",
                   "change full"):
        table.add_column(column, overflow="fold", justify="right" if column.startswith("change") else "left")
    for row in to_table(diff):
        table.add_row(*row)
    out.print(table)
    for team, use in diff.budget_use().items():
        out.print(f"{team}: {use['percent']:g} % of its {usd(use['budgetUsd'])} budget at full capacity",
                  markup=False, highlight=False)
    for note in diff.notes:
        out.print(f"note: {note}", markup=False, highlight=False)
