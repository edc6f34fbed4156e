"""`aifinops guard scan`: the GPU guard's engine (aifinops.lambdas.guard), run from a terminal.

The same scan as the Lambda, with the policy built from finops.yaml, in the account of your credentials and one
region. Dry-run unless --enforce. A progress display only on a terminal and without --json; --json prints
exactly the summary the Lambda returns. Exit codes: 0 success, 1 an AWS API error was reported, 2 bad input.
"""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.progress import Progress, SpinnerColumn, TextColumn
from rich.table import Table

from aifinops.cli.io import BAD_INPUT, err, finish, load_or_exit, out
from aifinops.config import DEFAULT_CONFIG
from aifinops.lambdas.guard.clients import ClientFactory
from aifinops.lambdas.guard.policy import GuardPolicy, PolicyError, parse_policy
from aifinops.lambdas.guard.scan import scan as run_scan
from aifinops.policies.guard_policy import guard_policy

guard_app = typer.Typer(add_completion=False, no_args_is_help=True,
                        help="Find untagged or idle GPU resources (the GPU guard, run locally).")


@guard_app.command()
def scan(region: Annotated[str, typer.Option("--region", help="the region to scan")],
         config: Annotated[Path, typer.Option("--config", help="finops.yaml")] = DEFAULT_CONFIG,
         endpoint_url: Annotated[str | None, typer.Option("--endpoint-url", help="AWS endpoint (e.g. moto)")] = None,
         enforce: Annotated[bool, typer.Option("--enforce", help="act: mark, unmark, stop (default: dry run)")]
         = False,
         json_output: Annotated[bool, typer.Option("--json", help="print the machine-readable summary")] = False,
         ) -> None:
    """Scan one region: decide for every accelerated resource; with --enforce also mark, unmark and stop."""
    policy = _policy_or_exit(config)
    clients = ClientFactory(endpoint_url=endpoint_url)
    now = datetime.now(UTC)
    if sys.stdout.isatty() and not json_output:
        with Progress(SpinnerColumn(), TextColumn("{task.description}"), console=out, transient=True) as bar:
            task = bar.add_task(f"{region}: starting", total=None)
            summary = run_scan(policy, clients, [region], now=now, enforce=enforce, trigger="manual",
                               progress=lambda r, stage: bar.update(task, description=f"{r}: {stage}"))
    else:
        summary = run_scan(policy, clients, [region], now=now, enforce=enforce, trigger="manual")
    finish(summary.to_dict(), json_output, _print_summary)


def _policy_or_exit(path: Path) -> GuardPolicy:
    config = load_or_exit(path)
    try:
        return parse_policy(json.dumps(guard_policy(config)))
    except PolicyError as exc:  # pragma: no cover - the builder and the parser are pinned by a contract test
        err.print(f"{path}: {exc}", markup=False, highlight=False)
        raise typer.Exit(BAD_INPUT) from None


def _print_summary(data: dict[str, Any]) -> None:
    dry = ", dry run" if data["dry_run"] else ""
    title = f"GPU guard scan {data['scanned_at']} ({', '.join(data['regions'])}{dry})"
    table = Table(title=title, title_justify="left")
    for column in ("kind", "resource", "environment", "reasons", "action", "result", "USD/h"):
        table.add_column(column)
    for d in data["decisions"]:
        cost = "unpriced" if d["hourly_usd"] is None else f"{d['hourly_usd']:.2f}{'~' if d['price_estimate'] else ''}"
        action = d["action"] + (f" (managed by {d['managed_by']})" if d["managed_by"] else "")
        table.add_row(d["kind"], d["id"], d["environment"] or "", ", ".join(d["reasons"]), action, d["result"], cost)
    out.print(table)
    counts = data["counts"]
    out.print(f"resources: {counts['resources']}, actions: {counts['by_action']}, stopped: {counts['stopped']} "
              f"(${counts['hourly_usd_saved']:,.2f}/h), marked: {counts['marked']}, unpriced: {counts['unpriced']}, "
              f"errors: {counts['errors']}, warnings: {counts['warnings']}  (~ an estimated price)", markup=False,
              highlight=False)
    for w in data["warnings"]:
        err.print(f"warning: {w.get('operation')} {w.get('resource')} ({w.get('region')}): {w.get('code')}: "
                  f"{w.get('message')}", markup=False, highlight=False, soft_wrap=True)
    for n in data["not_reached"]:
        err.print(f"not reached ({n['region']}, {n['stage']}): {', '.join(n['resources'])}", markup=False,
                  highlight=False, soft_wrap=True)
    for e in data["errors"]:
        err.print(f"error: {e.get('operation')} {e.get('resource', e.get('resources'))} ({e.get('region')}): "
                  f"{e.get('code')}: {e.get('message')}", markup=False, highlight=False, soft_wrap=True)
