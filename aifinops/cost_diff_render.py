"""`aifinops diff` output: JSON (schema: aifinops/schemas/cost-diff.schema.json), a pull-request comment in
markdown (a one-line headline, totals, the changed workloads in a collapsed table), and a terminal table."""

from __future__ import annotations

from typing import Any

from aifinops.cost_diff import CostDiff, Line, WorkloadDiff

SCHEMA_VERSION = 1
MARKER = "<!-- aifinops-diff -->"  # lets a workflow find and update its own comment


def to_json(diff: CostDiff) -> dict[str, Any]:
    return {
        "schemaVersion": SCHEMA_VERSION,
        "headline": diff.headline(),
        "deltaMinUsd": round(diff.delta(False), 2),
        "deltaFullUsd": round(diff.delta(True), 2),
        "workloads": [_workload(w) for w in diff.workloads],
        "totals": {"byTeam": diff.totals("team"), "byEnvironment": diff.totals("environment")},
        "budgets": diff.budget_use(),
        "overBudget": diff.over_budget(),
        "unpriced": [{"stack": w.stack, "workload": w.workload, "what": line.what, "why": line.unpriced}
                     for w, line in diff.unpriced],
        "prices": diff.price_dates,
        "notes": diff.notes,
    }


def _workload(w: WorkloadDiff) -> dict[str, Any]:
    def side(s: Any) -> dict[str, Any] | None:
        if s is None:
            return None
        return {"monthlyMinUsd": round(s.monthly_min, 2), "monthlyFullUsd": round(s.monthly_full, 2),
                "lines": [line.to_json() for line in s.lines]}

    return {"stack": w.stack, "workload": w.workload, "team": w.team, "environment": w.environment,
            "status": w.status, "before": side(w.before), "after": side(w.after),
            "deltaMinUsd": round(w.delta(False), 2), "deltaFullUsd": round(w.delta(True), 2),
            "prompts": [{"path": p.path, "model": p.model, "charsBefore": p.chars_before, "charsAfter": p.chars_after,
                         "inputTokensDelta": round(p.tokens_delta), "callsPerMonth": p.calls,
                         "monthlyUsd": p.monthly_usd, "note": p.note or None} for p in w.prompts]}


def usd(value: float | None, signed: bool = False) -> str:
    if value is None:
        return "n/a"
    if abs(value) < 0.005:
        return "$0"
    text = f"${abs(value):,.0f}" if abs(value) >= 10 else f"${abs(value):,.2f}"
    if signed:
        return ("+" if value > 0 else "-") + text
    return ("-" if value < 0 else "") + text


def _what(lines: list[Line] | None) -> str:
    if not lines:
        return "-"
    parts = []
    for line in lines:
        if line.kind == "tokens":
            parts.append(line.what)
        else:
            count = "?" if line.max_instances is None else (
                f"{line.max_instances:g}" if line.min_instances == line.max_instances
                else f"{line.min_instances:g}-{line.max_instances:g}")
            parts.append(f"{count} x {line.what}")
    return ", ".join(parts)


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def to_markdown(diff: CostDiff) -> str:
    lines = [MARKER, f"### aifinops: {diff.headline()}", ""]
    if diff.changed:
        lines += ["| team | before (min / full) | after (min / full) | change (min / full) | budget at full |",
                  "|---|---:|---:|---:|---:|"]
        budget = diff.budget_use()
        for team, row in diff.totals("team").items():
            if row["deltaFullUsd"] == 0 and row["deltaMinUsd"] == 0:
                continue
            used = budget.get(team)
            share = f"{used['percent']:g} % of {usd(used['budgetUsd'])}" if used else "-"
            lines.append(f"| {_cell(team)} | {usd(row['beforeMinUsd'])} / {usd(row['beforeFullUsd'])} | "
                         f"{usd(row['afterMinUsd'])} / {usd(row['afterFullUsd'])} | "
                         f"{usd(row['deltaMinUsd'], True)} / {usd(row['deltaFullUsd'], True)} | {share} |")
        lines += ["", f"<details><summary>{len(diff.changed)} workload(s) changed, monthly USD</summary>", "",
                  "| stack | workload | status | before | after | change (min / full) |",
                  "|---|---|---|---|---|---:|"]
        for w in diff.changed:
            before = "-" if w.before is None else f"{_what(w.before.lines)}: {_range(w.before)}"
            after = "-" if w.after is None else f"{_what(w.after.lines)}: {_range(w.after)}"
            lines.append(f"| {_cell(w.stack)} | {_cell(w.workload)} | {w.status} | {_cell(before)} | "
                         f"{_cell(after)} | {usd(w.delta(False), True)} / {usd(w.delta(True), True)} |")
            for p in w.prompts:
                lines.append(f"| | prompt `{_cell(p.path)}` | {p.chars_before} -> {p.chars_after} characters | | "
                             f"{round(p.tokens_delta):+,} input tokens x {p.calls:,} calls | "
                             f"{usd(p.monthly_usd, True)} |")
        lines += ["", "</details>", ""]
    over = diff.over_budget()
    for team, use in diff.budget_use().items():
        if team in over:
            lines.append(f"**{team}: {use['percent']:g} % of its {usd(use['budgetUsd'])} budget at full capacity**")
    unpriced = [(w, line) for w, line in diff.unpriced if w.status != "unchanged"]
    if unpriced:
        lines += ["", "Not estimated: " + "; ".join(f"{w.workload} {line.what} ({line.unpriced})"
                                                  for w, line in unpriced)]
    if any(line.estimate for w in diff.changed for s in (w.before, w.after) if s for line in s.lines):
        lines += ["", "ml.* instances are priced as the same EC2 hardware (SageMaker's own price is higher)."]
    lines += ["", f"<sub>List prices: {diff.price_dates['instances']}; {diff.price_dates['models']}. No Savings Plans, "
              "Reserved Instances or Spot discounts. Prompt tokens estimated from characters.</sub>"]
    lines += [f"<sub>{_cell(n)}</sub>" for n in diff.notes]
    return "\n".join(lines) + "\n"


def _range(side: Any) -> str:
    low, high = side.monthly_min, side.monthly_full
    text = usd(high) if abs(low - high) < 0.005 else f"{usd(low)}-{usd(high)}"
    return text + (" + usage-based" if side.unpriced else "")


def to_table(diff: CostDiff) -> list[list[str]]:
    """Rows of the terminal table: every workload that is not unchanged."""
    return [[w.stack, w.workload, w.team, w.environment, w.status,
             "-" if w.before is None else _range(w.before), "-" if w.after is None else _range(w.after),
             usd(w.delta(False), True), usd(w.delta(True), True)] for w in diff.changed]
