"""`aifinops cost report`: a team's weekly AI spend from Cost Explorer, from your credentials (the payer
account): the same engine and page as the weekly report function (aifinops/lambdas/inform). Exit codes: 0 the
report, 2 bad input or AWS refused (no credentials, Cost Explorer denied)."""

from __future__ import annotations

import json
import sys
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Annotated

import boto3
import typer
from botocore.exceptions import NoCredentialsError

from aifinops.cli.io import BAD_INPUT, err, load_or_exit
from aifinops.config import DEFAULT_CONFIG
from aifinops.lambdas.inform.ce import CostExplorer, CostExplorerError, RequestBoundReached
from aifinops.lambdas.inform.policy import PolicyError, parse_policy
from aifinops.lambdas.inform.report_html import render_html
from aifinops.lambdas.inform.weekly import cloudwatch_guard_reader, team_weekly_report
from aifinops.policies.inform_policy import inform_policy_json

cost_app = typer.Typer(add_completion=False, no_args_is_help=True, help="AI spend per team from Cost Explorer.")
FORMATS = ("text", "json", "html")
GLOBAL_REGION = "us-east-1"


@cost_app.command("report")
def report(team: Annotated[str, typer.Option("--team", help="team name from finops.yaml")],
           weeks: Annotated[int, typer.Option("--weeks", help="complete weeks, 2 to 26")] = 4,
           output_format: Annotated[str, typer.Option("--format", help="text, json or html")] = "text",
           config: Annotated[Path, typer.Option("--config", help="finops.yaml")] = DEFAULT_CONFIG,
           endpoint_url: Annotated[str | None, typer.Option("--endpoint-url", help="AWS endpoint (e.g. moto)")] = None,
           today: Annotated[str | None, typer.Option("--today", help="YYYY-MM-DD (default: today, UTC)")] = None,
           guard: Annotated[bool, typer.Option("--guard/--no-guard", help="read the GPU guard's per-team metrics "
                                               "(CloudWatch; other accounts through cross-account observability)")]
           = False,
           ) -> None:
    """Spend of a team's AI resources (its `team` tag) week by week: totals, week over week, by project and
    model, top movers, cost anomalies, its budget. One Cost Explorer request per page of results (each is billed),
    at most inform.max_cost_explorer_requests."""
    if output_format not in FORMATS:
        err.print(f"--format: {output_format!r} is not one of {', '.join(FORMATS)}", markup=False)
        raise typer.Exit(BAD_INPUT)
    try:
        day = date.fromisoformat(today) if today else datetime.now(UTC).date()
    except ValueError:
        err.print(f"--today: {today!r} is not a YYYY-MM-DD date", markup=False)
        raise typer.Exit(BAD_INPUT) from None
    cfg = load_or_exit(config)
    policy = parse_policy(inform_policy_json(cfg))
    session = boto3.session.Session()  # a fresh one: the credentials of this run, not a cached default session
    ce = CostExplorer(session.client("ce", region_name=GLOBAL_REGION, endpoint_url=endpoint_url),
                      policy.max_cost_explorer_requests)
    budgets = session.client("budgets", region_name=GLOBAL_REGION, endpoint_url=endpoint_url)
    reader = cloudwatch_guard_reader(
        {r: session.client("cloudwatch", region_name=r, endpoint_url=endpoint_url) for r in policy.regions},
        policy.guard_accounts, policy.account) if guard else None
    try:
        found = team_weekly_report(ce, policy, team, today=day, weeks=weeks, budgets=budgets, guard_reader=reader)
    except CostExplorerError as exc:
        if exc.code == NoCredentialsError.__name__:
            err.print("Cost Explorer: no AWS credentials (set a profile or AWS_* variables for the payer account, "
                      "which Cost Explorer answers for the whole organisation)", markup=False, highlight=False)
        else:
            err.print(f"{exc} (needs ce:GetCostAndUsage, in the payer account)", markup=False, highlight=False)
        raise typer.Exit(BAD_INPUT) from None
    except (ValueError, PolicyError, RequestBoundReached) as exc:
        err.print(str(exc), markup=False, highlight=False)
        raise typer.Exit(BAD_INPUT) from None
    if output_format == "json":
        sys.stdout.write(json.dumps(found.to_json(), indent=1) + "\n")
    elif output_format == "html":
        sys.stdout.write(render_html(found, generated=datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")))
    else:
        sys.stdout.write(found.to_text())
