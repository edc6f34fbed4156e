"""`aifinops org`: the organization-wide side of finops.yaml.

- `status`: cost allocation tags and aifinops policies as the organization holds them, against the config
  (`aifinops.org_status`). Exit codes: 0 everything as configured, 1 something is not (or an AWS call failed),
  2 bad input.
- `delegation-policy`: the resource-based delegation policy that lets `organization.policy_account` manage the
  aifinops policies, for `aws organizations put-resource-policy --content file://...` (the stack
  aifinops-org-delegation deploys the same).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from aifinops.cli.io import API_ERROR, err, load_or_exit, out
from aifinops.config import DEFAULT_CONFIG
from aifinops.org_status import org_status
from aifinops.policies.delegation import delegation_policy
from aifinops_runtime.clients import ClientFactory

org_app = typer.Typer(add_completion=False, no_args_is_help=True,
                      help="Organization-wide state: cost allocation tags, SCPs and tag policies.")


@org_app.command()
def status(config: Annotated[Path, typer.Option("--config", help="finops.yaml")] = DEFAULT_CONFIG,
           endpoint_url: Annotated[str | None, typer.Option("--endpoint-url", help="AWS endpoint (e.g. moto)")] = None,
           json_output: Annotated[bool, typer.Option("--json", help="print the machine-readable result")] = False,
           ) -> None:
    """Compare the organization with the config: cost allocation tags active, every aifinops policy present,
    unchanged and attached where it belongs, none orphaned. Run with management-account (or delegated
    administrator) credentials; reads only."""
    cfg = load_or_exit(config)
    result = org_status(cfg, ClientFactory(endpoint_url=endpoint_url)).to_dict()
    if json_output:
        typer.echo(json.dumps(result, indent=2))
    else:
        _print(result)
    if not result["asConfigured"]:
        raise typer.Exit(API_ERROR)


@org_app.command("delegation-policy")
def delegation(config: Annotated[Path, typer.Option("--config", help="finops.yaml")] = DEFAULT_CONFIG) -> None:
    """Print the delegation policy for organization.policy_account (nothing to delegate: exit 2)."""
    cfg = load_or_exit(config)
    policy = delegation_policy(cfg)
    if not policy["Statement"]:
        err.print(f"{config}: organization.policy_account is the management account (or unset): nothing to delegate",
                  markup=False, highlight=False)
        raise typer.Exit(2)
    typer.echo(json.dumps(policy, indent=2))


def _print(result: dict[str, Any]) -> None:
    tags = Table(title="Cost allocation tags (Cost Explorer, payer account)", title_justify="left")
    for column in ("key", "status"):
        tags.add_column(column)
    for key, state in result["costAllocationTags"].items():
        tags.add_row(key, state + ("" if state == "Active" else
                                   " (billing data has not seen it yet)" if state == "not seen" else ""))
    out.print(tags)
    policies = Table(title="aifinops policies in the organization", title_justify="left")
    for column in ("policy", "type", "environment", "state", "detail"):
        policies.add_column(column, overflow="fold")
    for p in result["policies"]:
        kind = "SCP" if p["type"] == "SERVICE_CONTROL_POLICY" else "tag policy"
        where = (p["environment"] or "-") + (" (canary)" if p["canary"] else "")
        policies.add_row(p["name"], kind, where, p["state"], p["detail"])
    out.print(policies)
    for e in result["errors"]:
        err.print(f"error: {e['operation']}: {e['code']}: {e['message']}", markup=False, highlight=False,
                  soft_wrap=True)
    out.print("as configured" if result["asConfigured"] else "NOT as configured", markup=False)
