"""`aifinops budget pause|resume`: the budget enforcer's engine, run from a terminal.

The same code as the Lambda (aifinops.lambdas.budget_enforcer) with the same policy, built from finops.yaml.
A pause from here is a person's decision: no budget is checked (the Lambda checks DescribeBudget), and it
says so. It acts in the account of your credentials only (the policy's `accounts` are dropped: the access
roles there trust the enforcer's role alone); run it once per account.
Exit codes: 0 success, 1 an AWS API error was reported, 2 bad input (config, unknown team).
"""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer
from rich.table import Table

from aifinops.cli_io import BAD_INPUT, err, finish, out, print_config_issues
from aifinops.config import DEFAULT_CONFIG, ConfigError, load
from aifinops.lambdas.budget_enforcer.clients import ClientFactory
from aifinops.lambdas.budget_enforcer.pause import pause_budget
from aifinops.lambdas.budget_enforcer.policy import Policy, PolicyError, parse_policy
from aifinops.lambdas.budget_enforcer.resume import resume as resume_fleet
from aifinops.lambdas.budget_enforcer.summary import Summary
from aifinops.policies.budget_policy import enforcer_policy_json

budget_app = typer.Typer(add_completion=False, no_args_is_help=True,
                         help="Pause or resume a team's non-critical AI workloads (the budget enforcer, run locally).")

Team = Annotated[str, typer.Option("--team", help="team name from finops.yaml")]
ConfigFile = Annotated[Path, typer.Option("--config", help="finops.yaml that defines the team")]
Region = Annotated[str | None, typer.Option("--region", help="one region (default: organization.regions)")]
EndpointUrl = Annotated[str | None, typer.Option("--endpoint-url", help="AWS endpoint (e.g. a moto server)")]
JsonOutput = Annotated[bool, typer.Option("--json", help="print the machine-readable summary")]


@budget_app.command()
def pause(team: Team, config: ConfigFile = DEFAULT_CONFIG, region: Region = None, endpoint_url: EndpointUrl = None,
          dry_run: Annotated[bool, typer.Option("--dry-run", help="decide and report, change nothing")] = False,
          json_output: JsonOutput = False) -> None:
    """Pause a team's non-critical workloads now (a manual decision: no budget is checked).

    Stops accelerated EC2 instances, notebook instances and training jobs, deletes endpoints (their
    endpoint configs keep what resume needs), disables Batch job queues; marks each with aifinops:paused-by.
    """
    policy = _policy_or_exit(config)
    target = policy.team_budget(team)
    if target is None:
        _unknown_team(team, policy)
    err.print(f"Manual pause of team {team} (budget {target.name}): your decision, no budget was checked"
              + (" (dry run: nothing changes)" if dry_run else ""), markup=False, highlight=False)
    if not target.pause:
        err.print(f"Team {team} is critical: automatic pauses are off; pausing because you asked. "
                  f"Resources tagged {policy.critical_tag}=true stay untouched.", markup=False, highlight=False)
    summary = pause_budget(target, policy=policy, clients=ClientFactory(endpoint_url=endpoint_url),
                           now=datetime.now(UTC), regions=[region] if region else None, dry_run=dry_run)
    _finish(summary, json_output)


@budget_app.command()
def resume(team: Team, config: ConfigFile = DEFAULT_CONFIG, region: Region = None, endpoint_url: EndpointUrl = None,
           json_output: JsonOutput = False) -> None:
    """Resume what carries the team's paused mark, then remove the mark.

    Starts instances and notebook instances, recreates endpoints, enables job queues. Training jobs are
    never restarted: they are listed.
    """
    policy = _policy_or_exit(config)
    if team not in policy.teams():
        _unknown_team(team, policy)
    summary = resume_fleet(policy=policy, clients=ClientFactory(endpoint_url=endpoint_url), now=datetime.now(UTC),
                           regions=[region] if region else None, team=team)
    _finish(summary, json_output)


def _policy_or_exit(path: Path) -> Policy:
    try:
        # The account of the caller's credentials only: no AssumeRole into the policy's accounts.
        return dataclasses.replace(parse_policy(enforcer_policy_json(load(path))), accounts=())
    except ConfigError as exc:
        print_config_issues(exc)
    except PolicyError as exc:  # pragma: no cover - the builder and the parser are pinned by a contract test
        err.print(f"{path}: {exc}", markup=False, highlight=False)
    raise typer.Exit(BAD_INPUT)


def _unknown_team(team: str, policy: Policy) -> NoReturn:
    err.print(f"unknown team '{team}'; teams: {', '.join(policy.teams())}", markup=False, highlight=False)
    raise typer.Exit(BAD_INPUT)


def _finish(summary: Summary, json_output: bool) -> None:
    finish(summary.to_dict(), json_output, _print_summary)


def _print_summary(data: dict[str, Any]) -> None:
    table = Table(title=f"{data['operation']} ({data['month']}{', dry run' if data['dryRun'] else ''})",
                  title_justify="left")
    for column in ("kind", "resource", "region", "action", "result", "reason"):
        table.add_column(column)
    for d in data["decisions"]:
        table.add_row(d["kind"], d["id"], d["region"], d["action"], d["result"], d["reason"])
    out.print(table)
    out.print(", ".join(f"{k}: {v}" for k, v in data["counts"].items()), markup=False, highlight=False)
    for e in data["errors"]:
        err.print(f"error: {e['operation']} {e['resource']} ({e['region']}): {e['code']}: {e['message']}",
                  markup=False, highlight=False, soft_wrap=True)
