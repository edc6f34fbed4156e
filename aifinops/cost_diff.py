"""`aifinops diff`: what a change costs, from two cloud assemblies (base and head).

Each side is read as `aifinops report` reads it (`report.summarize`): every workload an aifinops construct recorded
and every raw accelerated resource, priced from the catalog at minimum and full capacity (730 hours a month,
on-demand; ml.* as the same EC2 hardware, flagged). Workloads are matched by (stack, workload name). Pay-per-token
workloads (Bedrock profiles) are priced from the usage file (`cost_usage`): without an entry they are
"usage-based, not estimated", never $0. A changed prompt file adds its change in input tokens (characters /
characters per token of the model's provider) x its calls a month x the model's input price.

Savings Plans, Reserved Instances, Spot discounts, free tiers and taxes are not applied: list prices.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aifinops.catalog import model_catalog, price_list
from aifinops.catalog.models import strip_geo_prefix
from aifinops.cost_usage import UsageFile, chars_per_token
from aifinops.report import WorkloadCost, summarize

UNTAGGED = "(untagged)"
USAGE_BASED = "usage-based, not estimated (no usage in the usage file)"


@dataclass(frozen=True)
class Line:
    """One priced thing of a workload: a fleet of one instance type, or one model's tokens."""

    kind: str  # "capacity" | "tokens"
    what: str  # instance type or model id
    min_instances: float | None
    max_instances: float | None
    monthly_min: float | None  # None: unpriced (see `unpriced`)
    monthly_full: float | None
    price: str  # the price used, with its date, or ""
    unpriced: str = ""  # why there is no figure
    estimate: bool = False

    def to_json(self) -> dict[str, Any]:
        return {"kind": self.kind, "what": self.what, "minInstances": self.min_instances,
                "maxInstances": self.max_instances, "monthlyMinUsd": _round(self.monthly_min),
                "monthlyFullUsd": _round(self.monthly_full), "price": self.price, "unpriced": self.unpriced or None,
                "estimate": self.estimate}


@dataclass
class Side:
    team: str
    environment: str
    lines: list[Line] = field(default_factory=list)

    @property
    def monthly_min(self) -> float:
        return sum(line.monthly_min or 0.0 for line in self.lines)

    @property
    def monthly_full(self) -> float:
        return sum(line.monthly_full or 0.0 for line in self.lines)

    @property
    def unpriced(self) -> list[Line]:
        return [line for line in self.lines if line.monthly_full is None]

    def shape(self) -> list[tuple[Any, ...]]:
        return sorted((ln.kind, ln.what, ln.min_instances, ln.max_instances, ln.monthly_min, ln.monthly_full,
                       ln.unpriced) for ln in self.lines)


@dataclass(frozen=True)
class PromptChange:
    path: str
    workload: str
    model: str
    chars_before: int
    chars_after: int
    calls: int
    monthly_usd: float | None  # None: the model has no price
    note: str = ""

    @property
    def tokens_delta(self) -> float:
        return (self.chars_after - self.chars_before) / chars_per_token(self.model)


@dataclass
class WorkloadDiff:
    stack: str
    workload: str
    before: Side | None
    after: Side | None
    prompts: list[PromptChange] = field(default_factory=list)

    @property
    def team(self) -> str:
        return (self.after or self.before).team  # type: ignore[union-attr]

    @property
    def environment(self) -> str:
        return (self.after or self.before).environment  # type: ignore[union-attr]

    @property
    def status(self) -> str:
        if self.before is None:
            return "added"
        if self.after is None:
            return "removed"
        changed = self.before.shape() != self.after.shape() or any(p.chars_before != p.chars_after
                                                                   for p in self.prompts)
        return "changed" if changed else "unchanged"

    @property
    def prompt_usd(self) -> float:
        return sum(p.monthly_usd or 0.0 for p in self.prompts)

    def delta(self, full: bool) -> float:
        before = 0.0 if self.before is None else (self.before.monthly_full if full else self.before.monthly_min)
        after = 0.0 if self.after is None else (self.after.monthly_full if full else self.after.monthly_min)
        return after - before + self.prompt_usd


@dataclass
class CostDiff:
    workloads: list[WorkloadDiff]
    budgets: dict[str, float]  # team -> monthly budget (from finops.yaml, when given)
    price_dates: dict[str, str]  # what -> "source, date"
    notes: list[str] = field(default_factory=list)

    @property
    def changed(self) -> list[WorkloadDiff]:
        return [w for w in self.workloads if w.status != "unchanged"]

    def delta(self, full: bool) -> float:
        return sum(w.delta(full) for w in self.workloads)

    def totals(self, by: str) -> dict[str, dict[str, float]]:
        """team or environment -> before and after at minimum and full capacity, and the deltas."""
        out: dict[str, dict[str, float]] = defaultdict(lambda: dict.fromkeys(
            ("beforeMinUsd", "beforeFullUsd", "afterMinUsd", "afterFullUsd", "deltaMinUsd", "deltaFullUsd"), 0.0))
        for w in self.workloads:
            row = out[w.team if by == "team" else w.environment]
            if w.before is not None:
                row["beforeMinUsd"] += w.before.monthly_min
                row["beforeFullUsd"] += w.before.monthly_full
            if w.after is not None:
                row["afterMinUsd"] += w.after.monthly_min + w.prompt_usd
                row["afterFullUsd"] += w.after.monthly_full + w.prompt_usd
            row["deltaMinUsd"] += w.delta(False)
            row["deltaFullUsd"] += w.delta(True)
        return {k: {m: round(v, 2) for m, v in row.items()} for k, row in sorted(out.items())}

    def budget_use(self) -> dict[str, dict[str, float]]:
        """team -> its budget and the head's full-capacity monthly cost as a share of it."""
        out = {}
        for team, row in self.totals("team").items():
            if team in self.budgets:
                out[team] = {"budgetUsd": self.budgets[team], "afterFullUsd": row["afterFullUsd"],
                             "percent": round(100 * row["afterFullUsd"] / self.budgets[team], 1)}
        return out

    def over_budget(self) -> list[str]:
        return [team for team, use in self.budget_use().items() if use["percent"] > 100]

    @property
    def unpriced(self) -> list[tuple[WorkloadDiff, Line]]:
        return [(w, line) for w in self.workloads if w.after is not None for line in w.after.unpriced]

    def headline(self) -> str:
        if not self.changed:
            return "no cost change"
        full, low = self.delta(True), self.delta(False)
        text = f"{_signed(full)}/month at full capacity, {_signed(low)} at minimum"
        usage = sum(1 for w, line in self.unpriced if line.kind == "tokens" and w.status != "unchanged")
        return text + (f"; {usage} pay-per-token line(s) usage-based, not estimated" if usage else "")


def diff_assemblies(base: Path, head: Path, *, usage: UsageFile | None = None, budgets: dict[str, float] | None = None,
                    prompt_texts: dict[str, tuple[str | None, str | None]] | None = None) -> CostDiff:
    """`prompt_texts`: path -> (base text, head text) of each prompt file of the usage file (None: absent)."""
    usage = usage or UsageFile()
    before, after = _sides(base, usage), _sides(head, usage)
    workloads = [WorkloadDiff(stack, name, before.get((stack, name)), after.get((stack, name)))
                 for stack, name in sorted({*before, *after})]
    result = CostDiff(workloads, dict(budgets or {}), _price_dates())
    by_name: dict[str, list[WorkloadDiff]] = defaultdict(list)
    for w in workloads:
        by_name[w.workload].append(w)
    for path, entry in sorted(usage.prompts.items()):
        matches = [w for w in by_name.get(entry.workload, []) if w.after is not None]
        if not matches:
            result.notes.append(f"prompt {path}: no workload {entry.workload!r} in the head assembly")
            continue
        texts = (prompt_texts or {}).get(path)
        if texts is None:
            result.notes.append(f"prompt {path}: its base text is unknown (give --git-base or --base-ref)")
            continue
        target = matches[0]
        models = [ln.what for ln in target.after.lines if ln.kind == "tokens"]  # type: ignore[union-attr]
        model = entry.model or (models[0] if len(models) == 1 else None)
        if model is None:
            result.notes.append(f"prompt {path}: {entry.workload} has {len(models)} models; name the model")
            continue
        target.prompts.append(_prompt_change(path, entry.workload, model, texts, entry.calls))
    return result


def _prompt_change(path: str, workload: str, model: str, texts: tuple[str | None, str | None],
                   calls: int) -> PromptChange:
    before, after = (len(t) if t is not None else 0 for t in texts)
    family = model_catalog().family_of(strip_geo_prefix(model))
    price = family.price_per_mtok if family else None
    change = PromptChange(path, workload, model, before, after, calls, None,
                          "" if price else "the model has no catalog price")
    if price is None:
        return change
    usd = change.tokens_delta * calls * price.input / 1_000_000
    return PromptChange(path, workload, model, before, after, calls, round(usd, 2))


def _sides(cdk_out: Path, usage: UsageFile) -> dict[tuple[str, str], Side]:
    sides: dict[tuple[str, str], Side] = {}
    for cost in summarize(cdk_out).costs():
        side = sides.setdefault((cost.stack, cost.workload), Side(cost.team or UNTAGGED,
                                                                   cost.environment or UNTAGGED))
        side.lines.append(_line(cost, usage))
    return sides


def _line(cost: WorkloadCost, usage: UsageFile) -> Line:
    if cost.note == "pay per token":
        if cost.token_price is None:
            return Line("tokens", cost.instance_type, None, None, None, None, "", "the model has no catalog price")
        pin, pout = cost.token_price
        price = f"USD {pin:g} / {pout:g} per million input / output tokens ({cost.price_date})"
        used = usage.usage_of(cost.workload, cost.instance_type)
        if used is None:
            return Line("tokens", cost.instance_type, None, None, None, None, price, USAGE_BASED)
        usd = used.input_tokens * pin / 1_000_000 + used.output_tokens * pout / 1_000_000
        return Line("tokens", cost.instance_type, None, None, round(usd, 2), round(usd, 2), price)
    price = "" if cost.hourly_usd is None else f"USD {cost.hourly_usd:g}/hour ({cost.price_date})"
    low, high = cost.monthly(cost.min_instances), cost.monthly(cost.max_instances)
    why = ("no catalog price" if cost.hourly_usd is None else
           "capacity unresolved" if low is None or high is None else "")
    return Line("capacity", cost.instance_type, cost.min_instances, cost.max_instances,
                None if why else round(low or 0.0, 2), None if why else round(high or 0.0, 2), price, why,
                cost.estimate)


def _price_dates() -> dict[str, str]:
    prices, models = price_list(), model_catalog()
    return {"instances": f"{prices.source}, {prices.as_of} ({prices.region}, on-demand Linux, 730 hours a month)",
            "models": f"{models.source}, {models.as_of} (on-demand, per million tokens)"}


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 2)


def _signed(usd: float) -> str:
    sign = "+" if usd > 0.005 else "-" if usd < -0.005 else "+"
    return f"{sign}${abs(usd):,.0f}" if abs(usd) >= 10 else f"{sign}${abs(usd):,.2f}"
