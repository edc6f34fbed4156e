"""`aifinops`: validate finops.yaml, report on a synthesized deployment, check it (nag, checkov, cfn-lint).

Exit codes: 0 success, 1 a check failed, 2 bad input (config, paths, flags).
"""

from __future__ import annotations

import json
import re
import sys
from importlib.metadata import version as package_version
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from aifinops.check.command import check as check_command
from aifinops.check.plain import checkov_templates
from aifinops.cli.budget import budget_app
from aifinops.cli.cost import cost_app
from aifinops.cli.diff import diff_command
from aifinops.cli.guard import guard_app
from aifinops.cli.io import BAD_INPUT, err, load_or_exit, out
from aifinops.cli.org import org_app
from aifinops.config import DEFAULT_CONFIG
from aifinops.policies.checkov_policy import write_checkov_policy
from aifinops.report import CdkOutError, DeploymentSummary, summarize
from aifinops.report_render import FORMATS, to_json, to_markdown

app = typer.Typer(add_completion=False, no_args_is_help=True, help=__doc__)
app.add_typer(budget_app, name="budget")
app.add_typer(cost_app, name="cost")
app.add_typer(guard_app, name="guard")
app.add_typer(org_app, name="org")
app.command("check")(check_command)
app.command("checkov")(checkov_templates)
app.command("diff")(diff_command)


def _print_version(value: bool) -> None:
    if value:
        print(f"aifinops {package_version('aifinops')}")
        raise typer.Exit()


@app.callback()
def _root(version: Annotated[bool, typer.Option(
        "--version", callback=_print_version, is_eager=True, help="print the aifinops version and exit")] = False,
          ) -> None:
    """AI FinOps policy and tagging pack for AWS."""


@app.command()
def validate(config: Annotated[Path, typer.Argument(help="finops.yaml to check")] = DEFAULT_CONFIG) -> None:
    """Check a finops.yaml; print each problem as FILE:LINE: field: message and exit 2 if any."""
    cfg = load_or_exit(config)
    out.print(f"{config}: OK ({len(cfg.environments)} environments, {len(cfg.teams)} teams, "
              f"{len(cfg.workloads)} workloads)", markup=False, highlight=False, emoji=False)


@app.command("checkov-policy")
def checkov_policy(
        config: Annotated[Path, typer.Argument(help="finops.yaml")] = DEFAULT_CONFIG,
        output: Annotated[Path, typer.Option(help="where to write the policy JSON")] = Path("aifinops-checkov.json"),
) -> None:
    """Write the policy the CKV_AIF_* checkov checks read (set AIFINOPS_CHECKOV_POLICY to its path): for plain
    CloudFormation outside the CDK."""
    write_checkov_policy(load_or_exit(config), output)
    out.print(f"{output}: written from {config}; run checkov with AIFINOPS_CHECKOV_POLICY={output}",
              markup=False, highlight=False)


@app.command()
def report(cdk_out: Annotated[Path, typer.Argument(help="synthesized cloud assembly")] = Path("cdk.out"),
           output_format: Annotated[str, typer.Option(
               "--format", help="table (terminal), json (machines) or markdown (pull requests)")] = "table",
           ) -> None:
    """Summarise what a synthesized deployment enforces and costs: stacks, workloads (construct and raw GPU
    resources) priced at minimum and full capacity with totals per stack, team and environment, guardrails."""
    if output_format not in FORMATS:
        err.print(f"--format: {output_format!r} is not one of {', '.join(FORMATS)}", markup=False)
        raise typer.Exit(BAD_INPUT)
    try:
        summary = summarize(cdk_out)
    except CdkOutError as exc:
        err.print(str(exc), markup=False)
        raise typer.Exit(BAD_INPUT) from None
    if output_format == "json":
        sys.stdout.write(json.dumps(to_json(summary), indent=1) + "\n")
    elif output_format == "markdown":
        sys.stdout.write(to_markdown(summary))
    else:
        _print_summary(summary)
    if summary.violations:
        raise typer.Exit(1)


def _print_summary(summary: DeploymentSummary) -> None:
    stacks = _table("Stacks", ("stack", "account", "region", "resources", "cost tags", "fully tagged"))
    for s in summary.stacks:
        enforced = f"{len(s.cost_tags_required)} keys enforced" if s.cost_tags_required else "not enforced"
        coverage = f"{s.fully_tagged}/{s.tagged}" if s.cost_tags_required else "-"
        stacks.add_row(s.name, s.account, s.region, str(sum(s.resources.values())), enforced, coverage)
    out.print(stacks)
    profiles = _table("Bedrock application inference profiles (team spend on the bill)",
                      ("stack", "profile", "team", "model"))
    for s in summary.stacks:
        for name, model, team in s.profiles:
            profiles.add_row(s.name, name, team, model)
    if profiles.row_count:
        out.print(profiles)
    _print_costs(summary)
    _print_scps(summary)
    _print_guards(summary)
    _print_stacksets(summary)
    _print_budgets(summary)
    _print_near_misses(summary)
    if not summary.validation:
        out.print("Validation: no plugin findings (validation-report.json has no failures)")
    for plugin in summary.validation:
        out.print(f"Validation {plugin.get('pluginName')}: {plugin.get('conclusion')}, "
                  f"{len(plugin.get('violations', []))} violation(s), "
                  f"{len(plugin.get('suppressedViolations', []))} acknowledged")


def _print_costs(summary: DeploymentSummary) -> None:
    costs = summary.costs()
    if not costs:
        return
    dates = sorted({c.price_date for c in costs if c.price_date})
    table = _table(f"Workloads: estimated monthly on-demand cost, 730 h (catalog prices of {', '.join(dates)})",
                   ("stack", "workload", "billed as", "team", "env", "instances", "USD/h", "min/month", "full/month",
                    "notes"), caption="* ml.* types priced as the same EC2 hardware: SageMaker costs more")
    for c in costs:
        if c.note == "pay per token":
            per_token = f"{c.token_price[0]:g} / {c.token_price[1]:g} per 1M tok" if c.token_price else "no price"
            table.add_row(c.stack, c.workload, c.instance_type, c.team or "-", c.environment or "-", "-", per_token,
                          _usd(0.0), "usage", "pay per token")
            continue
        hourly = _usd(c.hourly_usd) + ("*" if c.estimate else "") if c.hourly_usd is not None else "no price"
        count = "?" if c.min_instances is None or c.max_instances is None else \
            f"{c.min_instances:g}-{c.max_instances:g}"
        table.add_row(c.stack, c.workload, c.instance_type, c.team or "-", c.environment or "-", count, hourly,
                      _usd(c.monthly(c.min_instances)), _usd(c.monthly(c.max_instances)), c.note)
    out.print(table)
    totals = summary.totals()
    by = _table("Monthly totals (USD, on demand)", ("by", "name", "min/month", "full/month"))
    for dim in ("team", "environment", "stack"):
        for i, (name, (low, high)) in enumerate(sorted(totals[dim].items())):
            by.add_row(dim if i == 0 else "", name, _usd(low), _usd(high))
    by.add_row("overall", "", _usd(totals["overall"][0]), _usd(totals["overall"][1]))
    out.print(by)
    if totals["unpriced"]:
        out.print(f"{totals['unpriced']} workload(s) without a fixed monthly price (usage-based, no catalog price "
                  "or capacity unresolved): not counted in the totals", markup=False, highlight=False)


def _print_near_misses(summary: DeploymentSummary) -> None:
    """Tag keys that look like a cost tag key or an aifinops key: they do nothing (keys are exact); fix them."""
    misses = summary.near_misses()
    if not misses:
        return
    table = _table("Tag keys that look like ours but are not (tag keys are exact: fix them)",
                   ("stack", "resource", "type", "tag key", "looks like"))
    for m in misses:
        table.add_row(m.stack, m.resource, m.resource_type, m.tag, m.looks_like)
    out.print(table)


def _table(title: str, columns: tuple[str, ...], caption: str | None = None) -> Table:
    """A table whose cells fold rather than truncate: names are never cut."""
    table = Table(title=title, title_justify="left", caption=caption, caption_justify="left")
    for column in columns:
        table.add_column(column, overflow="fold")
    return table


def _print_scps(summary: DeploymentSummary) -> None:
    by_target = summary.scps_by_target()
    if not by_target:
        return
    table = _table("Service control policies per OU / account (size and attachments against the limits)",
                   ("target", "environment", "SCP", "characters", "packing", "attached"))
    for target, scps in by_target.items():
        slots = f"{len(scps) + scps[0].already_attached}/{scps[0].max_per_target} (incl. {scps[0].already_attached} "\
                "already attached)"
        for i, scp in enumerate(scps):
            budget = scp.max_characters * scp.fill_percent // 100
            table.add_row(target if i == 0 else "", scp.environment + (" (canary)" if scp.canary else ""), scp.name,
                          f"{scp.size:,}/{budget:,} ({scp.fill_percent} % of {scp.max_characters:,})", scp.packing,
                          slots if i == 0 else "")
    out.print(table)
    _print_guardrails(summary)
    denies: dict[str, list[str]] = {}
    for scp in (p for s in summary.stacks for p in s.scps):
        denies.setdefault(scp.environment, []).extend(scp.denies)
    for environment, lines in denies.items():
        out.print(f"Environment {environment} denies (break-glass principals excepted):", markup=False)
        for line in _merge_per_key(lines):
            out.print(f"  - {line}", markup=False, highlight=False)


def _print_guardrails(summary: DeploymentSummary) -> None:
    """Per environment: the model policy, who is exempt from what, what the tag policy refuses, the routes no SCP
    can close."""
    for meta in summary.guardrails():
        if meta.get("canary"):
            continue  # the canary carries its environment's guardrails
        env = meta["environment"]
        policy = meta["modelPolicy"]
        mode = ("allowlist: only catalog models at or below the tier; a model the catalog does not know is denied"
                if policy == "allowlist" else
                "denylist: catalog models above the tier are denied; a model the catalog does not know is allowed")
        out.print(f"Environment {env}: max model tier {meta['maxModelTier']}, {mode}", markup=False,
                  highlight=False)
        out.print("  exempt principal patterns:", markup=False)
        for what, patterns in meta["exempt"].items():
            out.print(f"    {what}: {', '.join(patterns) or 'none'}", markup=False, highlight=False, soft_wrap=True)
        tags = meta["tagPolicy"]
        if tags["refuses"]:
            out.print(f"  tag policy {tags['name']} REFUSES (every resource of these types in {env}'s accounts, AI "
                      f"or not):", markup=False, highlight=False)
            for refusal in tags["refuses"]:
                out.print(f"    {refusal['key']} not in {', '.join(refusal['allowed'])} on "
                          f"{', '.join(refusal['types'])}", markup=False, highlight=False, soft_wrap=True)
        else:
            out.print(f"  tag policy {tags['name']}: report only (refuses nothing)", markup=False, highlight=False)
    routes: list[dict[str, str]] = next((m["uncovered"] for m in summary.guardrails()), [])
    if routes:
        out.print("Routes to accelerated capacity no SCP can close (every environment):", markup=False)
        for route in routes:
            out.print(f"  - {route['route']}: {route['why']}. Instead: {route['instead']}", markup=False,
                      highlight=False, soft_wrap=True)


def _print_budgets(summary: DeploymentSummary) -> None:
    budgets = [b for s in summary.stacks for b in s.budgets]
    if not budgets:
        return
    table = _table("Budgets (AWS Budgets refreshes spend up to 3 times a day)",
                   ("budget", "limit USD/month", "alert / forecast / action %", "e-mailed", "at the action threshold"))
    for b in budgets:
        thresholds = f"{b.alert_percent:g} / {b.forecast_percent:g} / {b.action_percent:g}"
        table.add_row(b.name, _usd(b.limit_usd), thresholds, ", ".join(b.recipients) or "topic only", b.at_limit())
    out.print(table)


def _merge_per_key(lines: list[str]) -> list[str]:
    """One line for statements that differ only in the tag key ("without the 'team' tag", ...)."""
    keys: dict[str, list[str]] = {}
    for line in lines:
        match = re.search(r"the '([^']+)' tag", line)
        template = line.replace(match.group(0), "the {} tag") if match else line
        keys.setdefault(template, []).extend([match.group(1)] if match else [])
    merged = []
    for template, found in keys.items():
        if not found:
            merged.append(template)
        else:
            names = ", ".join(f"'{k}'" for k in found)
            merged.append(template.replace("without the {} tag", f"missing any of the {names} tags")
                          .replace("the {} tag", f"any of the {names} tags")
                          if len(found) > 1 else template.replace("the {} tag", f"the {names} tag"))
    return merged


def _print_stacksets(summary: DeploymentSummary) -> None:
    rows = [(s, ss) for s in summary.stacks for ss in s.stacksets]
    if not rows:
        return
    table = _table("StackSets (new accounts of the OUs get them when auto-deployment is on)",
                   ("stackset", "from", "permissions", "auto-deploy", "targets", "regions", "tolerance / concurrency"))
    for stack, ss in rows:
        targets = ", ".join([*ss["organizationalUnits"], *ss["accounts"]]) or "-"
        table.add_row(ss["name"], f"{stack.account} ({ss['callAs']})", ss["permissionModel"],
                      "on" if ss["autoDeployment"] else "off", targets, ", ".join(ss["regions"]),
                      f"{ss['failureTolerancePercent']} % / {ss['maxConcurrentPercent']} %")
    out.print(table)


def _print_guards(summary: DeploymentSummary) -> None:
    guards = [g for s in summary.stacks for g in s.guards]
    if not guards:
        return
    table = _table("GPU guards (untagged: mark, then stop after the grace period; idle: stop or notify)",
                   ("account", "region", "environment", "mode", "every", "grace", "idle window"))
    for g in guards:
        table.add_row(g["account"], g["region"], g["environment"] or "(none: notify)", g["mode"],
                      f"{g['scheduleMinutes']} min", f"{g['graceMinutes']} min", f"{g['idleWindowMinutes']} min")
    out.print(table)


def _usd(value: float | None) -> str:
    return "-" if value is None else f"{value:,.2f}"


def main() -> None:
    sys.exit(app())  # pragma: no cover


if __name__ == "__main__":
    main()
