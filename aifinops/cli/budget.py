"""`aifinops budget pause|resume`: the budget enforcer's engine, run from a terminal.

The same code as the Lambda (aifinops.lambdas.budget_enforcer) with the same policy, built from finops.yaml.
A pause from here is a person's decision: no budget is checked (the Lambda checks DescribeBudget), and it
says so. It acts in the account of your credentials only (the policy's `accounts` are dropped: the access
roles there trust the enforcer's role alone); run it once per account.

It takes the same per-team lock as the Lambda functions (the table `aifinops-budget-locks` of the enforcer stack,
in the payer account and its region, from the policy): while a run of the team holds it, this one waits briefly
(AIFINOPS_LOCK_WAIT_SECONDS, default 30), then reports the holder and changes nothing. The lock is taken with the
credentials of `--lock-profile` (a profile of the payer account), else with yours; they need dynamodb:PutItem,
GetItem, UpdateItem and DeleteItem on arn:aws:dynamodb:<region>:<payer account>:table/aifinops-budget-locks.
A dry run takes no lock.
Near misses (`Team=search`, `aifinops:Critical=true`: tag keys that look like ours) are printed as warnings.
Exit codes: 0 success, 1 an AWS API error was reported (the lock held by another run included), 2 bad input
(config, unknown team).
"""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any, NoReturn

import boto3
import typer
from botocore.exceptions import ProfileNotFound
from rich.table import Table

from aifinops.cli.io import BAD_INPUT, err, finish, out, print_config_issues
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
# Like `guard scan`: a command that changes AWS acts only when told to (CHANGELOG 0.2.0: --dry-run is gone).
Enforce = Annotated[bool, typer.Option("--enforce", help="act; without it, report what would change, change nothing")]
LockProfile = Annotated[str | None, typer.Option(
    "--lock-profile", help="AWS profile for the team's lock, in the payer account (default: your credentials)")]


@budget_app.command()
def pause(team: Team, config: ConfigFile = DEFAULT_CONFIG, region: Region = None, endpoint_url: EndpointUrl = None,
          enforce: Enforce = False, json_output: JsonOutput = False, lock_profile: LockProfile = None) -> None:
    """Pause a team's non-critical workloads now (a manual decision: no budget is checked). A dry run (what
    would be paused) unless --enforce.

    Stops accelerated EC2 instances, notebook instances and training jobs, deletes endpoints (their
    endpoint configs keep what resume needs), disables Batch job queues; marks each with aifinops:paused-by.
    """
    policy = _policy_or_exit(config)
    target = policy.team_budget(team)
    if target is None:
        _unknown_team(team, policy)
    dry_run = not enforce
    err.print(f"Manual pause of team {team} (budget {target.name}): your decision, no budget was checked"
              + (" (dry run: nothing changes; --enforce to act)" if dry_run else ""), markup=False, highlight=False)
    if not target.pause:
        err.print(f"Team {team} is critical: automatic pauses are off; pausing because you asked. "
                  f"Resources tagged {policy.critical_tag}=true stay untouched.", markup=False, highlight=False)
    summary = pause_budget(target, policy=policy, clients=ClientFactory(endpoint_url=endpoint_url),
                           now=datetime.now(UTC), regions=[region] if region else None, dry_run=dry_run,
                           lock_clients=_lock_clients(endpoint_url, lock_profile))
    _finish(summary, json_output)


@budget_app.command()
def resume(team: Team, config: ConfigFile = DEFAULT_CONFIG, region: Region = None, endpoint_url: EndpointUrl = None,
           enforce: Enforce = False, json_output: JsonOutput = False, lock_profile: LockProfile = None) -> None:
    """Resume what carries the team's paused mark, then remove the mark. A dry run (what would be resumed)
    unless --enforce.

    Starts instances and notebook instances, recreates endpoints, enables job queues. Training jobs are
    never restarted: they are listed.
    """
    policy = _policy_or_exit(config)
    if team not in policy.teams():
        _unknown_team(team, policy)
    if not enforce:
        err.print(f"Resume of team {team}: dry run, nothing changes; --enforce to act", markup=False,
                  highlight=False)
    summary = resume_fleet(policy=policy, clients=ClientFactory(endpoint_url=endpoint_url), now=datetime.now(UTC),
                           regions=[region] if region else None, team=team,
                           lock_clients=_lock_clients(endpoint_url, lock_profile), dry_run=not enforce)
    _finish(summary, json_output)


def _lock_clients(endpoint_url: str | None, profile: str | None) -> ClientFactory | None:
    """Clients with the credentials of `profile` for the lock table; None: the caller's own."""
    if profile is None:
        return None
    try:
        session = boto3.session.Session(profile_name=profile)
    except ProfileNotFound as exc:
        err.print(f"--lock-profile: {exc}", markup=False, highlight=False)
        raise typer.Exit(BAD_INPUT) from None
    return ClientFactory(endpoint_url=endpoint_url, session=session)


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
    data = summary.to_dict()
    for miss in data["nearMisses"]:  # on stderr, with --json too: a key to fix is never only in a JSON field
        err.print(f"warning: {miss['kind']} {miss['id']} ({miss['region']}): tag key '{miss['tag']}' looks like "
                  f"'{miss['looksLike']}' (tag keys are exact): {miss['effect']}; fix the key",
                  markup=False, highlight=False, soft_wrap=True)
    finish(data, json_output, _print_summary)


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
