"""`aifinops report --format json|markdown`: the deployment summary as a document for machines and pull requests.
The JSON keys are a contract (see README): stacks, workloads (each priced or saying why not), totals per stack,
team and environment and overall, budgets, validation."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from aifinops.report import DeploymentSummary, WorkloadCost

FORMATS = ("table", "json", "markdown")


def to_json(summary: DeploymentSummary) -> dict[str, Any]:
    totals = summary.totals()
    return {
        "stacks": [{"name": s.name, "account": s.account, "region": s.region,
                    "resources": sum(s.resources.values()), "costTagsRequired": list(s.cost_tags_required or ()),
                    "fullyTagged": s.fully_tagged, "tagged": s.tagged} for s in summary.stacks],
        "workloads": [_workload(c) for c in summary.costs()],
        "totals": {
            "monthlyUsd": {"min": round(totals["overall"][0], 2), "full": round(totals["overall"][1], 2)},
            "unpricedWorkloads": totals["unpriced"],
            **{f"by{dim.capitalize()}": {k: {"min": round(v[0], 2), "full": round(v[1], 2)}
                                         for k, v in sorted(totals[dim].items())}
               for dim in ("stack", "team", "environment")},
        },
        "budgets": [asdict(b) for s in summary.stacks for b in s.budgets],
        "stackSets": [{"stack": s.name, **ss} for s in summary.stacks for ss in s.stacksets],
        "nearMisses": [{"stack": m.stack, "resource": m.resource, "type": m.resource_type, "tag": m.tag,
                        "looksLike": m.looks_like} for m in summary.near_misses()],
        "validation": [{"plugin": r.get("pluginName"), "conclusion": r.get("conclusion"),
                        "violations": len(r.get("violations", [])),
                        "acknowledged": len(r.get("suppressedViolations", []))} for r in summary.validation],
    }


def _workload(cost: WorkloadCost) -> dict[str, Any]:
    found: dict[str, Any] = {
        "stack": cost.stack, "workload": cost.workload, "source": cost.source, "billedAs": cost.instance_type,
        "team": cost.team, "environment": cost.environment, "minInstances": cost.min_instances,
        "maxInstances": cost.max_instances, "hourlyUsd": cost.hourly_usd, "estimate": cost.estimate,
        "priceDate": cost.price_date, "note": cost.note,
    }
    if cost.token_price is not None:
        found["usdPerMillionTokens"] = {"input": cost.token_price[0], "output": cost.token_price[1]}
    low, high = cost.monthly(cost.min_instances), cost.monthly(cost.max_instances)
    found["monthlyUsd"] = None if not cost.priced else {"min": round(low or 0.0, 2), "full": round(high or 0.0, 2)}
    if not cost.priced:
        found["unpricedBecause"] = _why_unpriced(cost)
    return found


def _why_unpriced(cost: WorkloadCost) -> str:
    if cost.token_price is not None or cost.note == "pay per token":
        return "usage-based (pay per token)"
    if cost.hourly_usd is None:
        return f"no catalog price for {cost.instance_type}"
    return "capacity not stated literally in the template"


def to_markdown(summary: DeploymentSummary) -> str:
    totals = summary.totals()
    lines = [f"**AI workloads: ${totals['overall'][0]:,.0f}/month at minimum, ${totals['overall'][1]:,.0f}/month at "
             f"full capacity** ({len(summary.costs())} workloads, {totals['unpriced']} without a fixed price)", "",
             "| stack | workload | billed as | team | environment | instances | min/month | full/month | notes |",
             "|---|---|---|---|---|---|---:|---:|---|"]
    for c in summary.costs():
        low, high = c.monthly(c.min_instances), c.monthly(c.max_instances)
        lines.append(f"| {_cell(c.stack)} | {_cell(c.workload)} | {_cell(c.instance_type)} | {_cell(c.team)} | "
                     f"{_cell(c.environment)} | {_range(c)} | {_usd(low) if c.priced else '-'} | "
                     f"{_usd(high) if c.priced else '-'} | {_cell(c.note if c.priced else _why_unpriced(c))} |")
    for dim in ("team", "environment", "stack"):
        lines += ["", f"| {dim} | min/month | full/month |", "|---|---:|---:|"]
        lines += [f"| {_cell(k)} | {_usd(v[0])} | {_usd(v[1])} |" for k, v in sorted(totals[dim].items())]
    return "\n".join(lines) + "\n"


def _range(cost: WorkloadCost) -> str:
    if cost.min_instances is None or cost.max_instances is None:
        return "?"
    return f"{cost.min_instances:g}-{cost.max_instances:g}"


def _usd(value: float | None) -> str:
    return "-" if value is None else f"${value:,.2f}"


def _cell(value: object) -> str:
    return "-" if value is None else str(value).replace("|", "\\|").replace("\n", " ")
