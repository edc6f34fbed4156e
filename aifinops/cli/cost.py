"""`aifinops cost report`: a team's weekly AI spend from Cost Explorer, from your credentials (the payer
account). Exit codes: 0 the report, 2 bad input or AWS refused (no credentials, Cost Explorer denied)."""

from __future__ import annotations

import json
import sys
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Annotated

import boto3
import typer

from aifinops.cli.io import BAD_INPUT, err, load_or_exit
from aifinops.config import DEFAULT_CONFIG
from aifinops.cost_report import CostReportError, team_weekly_report

cost_app = typer.Typer(add_completion=False, no_args_is_help=True, help="AI spend per team from Cost Explorer.")
FORMATS = ("text", "json")


@cost_app.command("report")
def report(team: Annotated[str, typer.Option("--team", help="team name from finops.yaml")],
           weeks: Annotated[int, typer.Option("--weeks", help="complete weeks, 2 to 26")] = 4,
           output_format: Annotated[str, typer.Option("--format", help="text or json")] = "text",
           config: Annotated[Path, typer.Option("--config", help="finops.yaml")] = DEFAULT_CONFIG,
           endpoint_url: Annotated[str | None, typer.Option("--endpoint-url", help="AWS endpoint (e.g. moto)")] = None,
           today: Annotated[str | None, typer.Option("--today", help="YYYY-MM-DD (default: today, UTC)")] = None,
           ) -> None:
    """Spend of a team's AI resources (its `team` tag) week by week: totals, week over week, by project and
    model, top movers, and its budget. One Cost Explorer request per page of results (each is billed)."""
    if output_format not in FORMATS:
        err.print(f"--format: {output_format!r} is not one of {', '.join(FORMATS)}", markup=False)
        raise typer.Exit(BAD_INPUT)
    try:
        day = date.fromisoformat(today) if today else datetime.now(UTC).date()
    except ValueError:
        err.print(f"--today: {today!r} is not a YYYY-MM-DD date", markup=False)
        raise typer.Exit(BAD_INPUT) from None
    cfg = load_or_exit(config)
    session = boto3.session.Session()  # a fresh one: the credentials of this run, not a cached default session
    ce = session.client("ce", region_name="us-east-1", endpoint_url=endpoint_url)
    budgets = session.client("budgets", region_name="us-east-1", endpoint_url=endpoint_url)
    try:
        found = team_weekly_report(ce, cfg, team, today=day, weeks=weeks, budgets=budgets,
                                   account=cfg.organization.management_account)
    except (ValueError, CostReportError) as exc:
        err.print(str(exc), markup=False, highlight=False)
        raise typer.Exit(BAD_INPUT) from None
    sys.stdout.write(json.dumps(found.to_json(), indent=1) + "\n" if output_format == "json" else found.to_text())
