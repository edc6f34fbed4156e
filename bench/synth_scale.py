#!/usr/bin/env python3
"""Synthesis cost of the reference deployment at 5, 25 and 100 teams, and what cost tag enforcement adds.

Every measurement runs in a fresh interpreter (and so a fresh jsii/Node kernel):

    python bench/synth_scale.py                    # full run, Rich table
    python bench/synth_scale.py --teams 5,25 --repeat 1 --markdown

The parent spawns `synth_scale.py --one --teams N --enforce|--no-enforce [--no-builtin-validation]
--outdir TMP` once per variant and repeat; the child generates a config of N teams from finops.yaml,
builds `cdk.App` + `build()`, synthesizes, counts resources and prints one JSON line.
Variants per point: `enforced` (what `app.py` runs), `unenforced` (`build(..., enforce_tags=False)`),
`no-cfn-validator` (enforced, `cdk.App(builtin_cloud_formation_validation=False)`) and `no-nag` (enforced,
`build(..., security_checks=False)`: without the cdk-nag packs).
Medians over `--repeat` runs; the variants are interleaved (and rotated) so machine noise hits them alike.
The enforcement cost is measured twice: A/B between processes (wall and CPU seconds), and directly, by timing
the plugin inside each enforced run, which a busy machine disturbs least.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
REFERENCE_CONFIG = ROOT / "finops.yaml"
DEFAULT_TEAMS = (5, 25, 100)
# Bedrock model ids finops.yaml already uses, so every generated workload is a realistic one.
MODELS = (
    "anthropic.claude-haiku-4-5-20251001-v1:0",
    "amazon.nova-lite-v1:0",
    "anthropic.claude-sonnet-4-5-20250929-v1:0",
    "anthropic.claude-opus-4-7",
    "amazon.nova-micro-v1:0",
    "meta.llama3-1-8b-instruct-v1:0",
)


@dataclass(frozen=True)
class Variant:
    key: str
    enforce: bool
    builtin_validation: bool
    security_checks: bool = True


ENFORCED = Variant("enforced", enforce=True, builtin_validation=True)
UNENFORCED = Variant("unenforced", enforce=False, builtin_validation=True)
NO_VALIDATOR = Variant("no-cfn-validator", enforce=True, builtin_validation=False)
NO_NAG = Variant("no-nag", enforce=True, builtin_validation=True, security_checks=False)
VARIANTS = (ENFORCED, UNENFORCED, NO_VALIDATOR, NO_NAG)


# --- config generation -----------------------------------------------------------------------------


def generate_config(teams: int) -> dict[str, Any]:
    """finops.yaml with `teams` generated teams and, per team, one bedrock_access workload in each
    environment, with two models the environment's tier allows. Plain data, for `config.parse()`."""
    import yaml

    from aifinops.catalog import model_catalog

    data: dict[str, Any] = yaml.safe_load(REFERENCE_CONFIG.read_text(encoding="utf-8"))
    catalog = model_catalog()
    task_types: list[str] = data["tags"]["task_types"]
    environments: dict[str, Any] = data["environments"]
    allowed = {env: [m for m in MODELS if catalog.tier_rank(catalog.tier_of(m) or "") <= catalog.tier_rank(tier)]
               for env, tier in ((e, spec["max_model_tier"]) for e, spec in environments.items())}
    data["teams"], data["workloads"] = [], []
    data.get("inform", {}).pop("outcomes", None)  # they name the reference config's teams and projects
    for i in range(teams):
        team = f"team-{i:03d}"
        projects = {f"proj-{i:03d}-a": 4000} if i % 2 else {f"proj-{i:03d}-a": 6000, f"proj-{i:03d}-b": None}
        data["teams"].append({
            "name": team, "owners": [f"{team}-leads@example.com"], "monthly_budget_usd": 10_000 + 100 * i,
            "projects": projects, "critical": i % 7 == 0,
        })
        for j, (env, spec) in enumerate(environments.items()):
            models = allowed[env]
            workload: dict[str, Any] = {
                "kind": "bedrock_access", "name": f"{team}-{env}", "team": team, "environment": env,
                "project": list(projects)[j % len(projects)],
                "task_type": task_types[(i + j) % len(task_types)],
                "models": [models[(i + j) % len(models)], models[(i + j + 1) % len(models)]],
            }
            if spec.get("production"):
                workload["roles"] = [f"arn:aws:iam::{spec['accounts'][0]}:role/{team}-app"]
            data["workloads"].append(workload)
    return data


def with_accounts(data: dict[str, Any], accounts: int, rollout: str) -> dict[str, Any]:
    """`data` with `accounts` workload accounts spread over its environments (each keeps its own first), and
    organization.rollout `rollout` (StackSets need the organization's id)."""
    envs = sorted(data["environments"])
    extra = [f"5{i:011d}" for i in range(1, max(0, accounts - len(envs)) + 1)]  # made-up ids, 5000...
    for i, name in enumerate(envs):
        env = data["environments"][name]
        env["accounts"] = env["accounts"][:1] + extra[i::len(envs)]
    data["organization"].update(rollout=rollout, org_id="o-ex12example01")
    return data


# --- child: one measurement --------------------------------------------------------------------------


def run_one(teams: int, enforce: bool, builtin_validation: bool, outdir: Path,
            spawned_at: float | None, security_checks: bool = True, accounts: int | None = None,
            rollout: str = "stacks") -> dict[str, Any]:
    """Build and synthesize in this process; times relative to `spawned_at` (parent's clock, epoch s)."""
    t_start = time.perf_counter()
    import aws_cdk as cdk  # loads the aws-cdk-lib jsii assembly: starts the Node kernel

    from aifinops.config import parse
    from aifinops.infra import build
    from aifinops.infra.context import cdk_json_context

    plugin = _time_plugin()
    t_imported = time.perf_counter()
    # Cross-process clocks: wall clock for the spawn, perf_counter for everything in here.
    startup = time.time() - spawned_at if spawned_at is not None else t_imported - t_start
    data = generate_config(teams)
    if accounts is not None:
        data = with_accounts(data, accounts, rollout)
    config = parse(data)
    t_config, c_config = time.perf_counter(), tree_cpu_seconds()
    app = cdk.App(context=cdk_json_context(), outdir=str(outdir),
                  builtin_cloud_formation_validation=builtin_validation)
    build(app, config, enforce_tags=enforce, security_checks=security_checks)
    t_built, c_built = time.perf_counter(), tree_cpu_seconds()
    app.synth()
    t_synth, c_synth = time.perf_counter(), tree_cpu_seconds()
    stacks, resources, outputs, size = _count(outdir)
    return {
        "teams": teams, "accounts": accounts, "rollout": rollout, "enforce": enforce,
        "builtin_validation": builtin_validation,
        "security_checks": security_checks,
        "stacks": stacks, "resources": resources, "outputs": outputs, "template_bytes": size,
        "startup_s": startup, "config_s": t_config - t_imported,
        "construct_s": t_built - t_config, "synth_s": t_synth - t_built, "in_process_s": t_synth - t_config,
        "construct_cpu_s": c_built - c_config, "synth_cpu_s": c_synth - c_built,
        "in_process_cpu_s": c_synth - c_config, "plugin_s": plugin[0], "plugin_cpu_s": plugin[1],
    }


def _time_plugin() -> list[float]:
    """Wrap CostTagValidation.validate (it runs inside app.synth(), called back from Node) to add its
    [wall, CPU] seconds to the returned list: the enforcement cost measured directly, in the same process."""
    from aifinops.policies.plugins.cost_tag_validation import CostTagValidation

    spent = [0.0, 0.0]
    validate = CostTagValidation.validate

    def timed(self: CostTagValidation, context: Any) -> Any:
        wall, cpu = time.perf_counter(), tree_cpu_seconds()
        try:
            return validate(self, context)
        finally:
            spent[0] += time.perf_counter() - wall
            spent[1] += tree_cpu_seconds() - cpu

    CostTagValidation.validate = timed  # type: ignore[method-assign]
    return spent


def tree_cpu_seconds() -> float:
    """User + system CPU seconds of this process and its live descendants (the jsii Node kernel is two
    node processes). Less sensitive than wall time to other load on a shared machine. Linux /proc;
    elsewhere, this process only. Resolution: one clock tick (10 ms)."""
    total = time.process_time()
    proc = Path("/proc")
    if not proc.is_dir():
        return total
    tick = os.sysconf("SC_CLK_TCK")
    parent: dict[int, int] = {}
    cpu: dict[int, float] = {}
    for stat in proc.glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:  # exited meanwhile
            continue
        fields = text[text.rindex(")") + 2:].split()  # from field 3 (state); the name may hold spaces
        pid = int(stat.parent.name)
        parent[pid], cpu[pid] = int(fields[1]), (int(fields[11]) + int(fields[12])) / tick
    me = os.getpid()
    for pid, seconds in cpu.items():
        ancestor = parent.get(pid, 0)
        while ancestor > 1 and ancestor != me:
            ancestor = parent.get(ancestor, 0)
        if ancestor == me:
            total += seconds
    return total


def _count(outdir: Path) -> tuple[int, int, int, int]:
    """Stacks, resources and outputs of every template in the assembly (nested assemblies included)."""
    stacks = resources = outputs = size = 0
    for path in outdir.rglob("*.template.json"):
        template = json.loads(path.read_text(encoding="utf-8"))
        stacks += 1
        resources += len(template.get("Resources", {}))
        outputs += len(template.get("Outputs", {}))
        size += path.stat().st_size
    return stacks, resources, outputs, size


# --- parent: spawn, repeat, summarize ----------------------------------------------------------------


def spawn(teams: int, variant: Variant, accounts: int | None = None, rollout: str = "stacks") -> dict[str, Any]:
    env = dict(os.environ)
    # jsii must run on the pinned Node 22; CDK_VALIDATION=false would silently disable the validator.
    env["PATH"] = f"{ROOT / 'node_modules' / '.bin'}{os.pathsep}{env.get('PATH', '')}"
    env.pop("CDK_VALIDATION", None)
    with tempfile.TemporaryDirectory(prefix="synth-scale-") as tmp:
        cmd = [sys.executable, str(Path(__file__).resolve()), "--one", "--teams", str(teams),
               "--enforce" if variant.enforce else "--no-enforce", "--outdir", tmp]
        if not variant.builtin_validation:
            cmd.append("--no-builtin-validation")
        if not variant.security_checks:
            cmd.append("--no-security-checks")
        if accounts is not None:
            cmd += ["--accounts", str(accounts), "--rollout", rollout]
        t0 = time.perf_counter()
        cmd += ["--spawned-at", repr(time.time())]
        proc = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, check=False)
        wall = time.perf_counter() - t0
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed ({proc.returncode}):\n{proc.stderr[-4000:]}")
    result: dict[str, Any] = json.loads(proc.stdout.strip().splitlines()[-1])
    result["wall_s"] = wall
    return result


@dataclass(frozen=True)
class Point:
    """Median results of one team count, per variant."""

    teams: int
    runs: dict[str, list[dict[str, Any]]]

    def median(self, variant: Variant, key: str) -> float:
        return float(statistics.median(float(r[key]) for r in self.runs[variant.key]))

    def count(self, key: str) -> int:
        return int(self.runs[ENFORCED.key][0][key])

    def overhead(self, variant: Variant, baseline: Variant, key: str = "in_process_s") -> float:
        """(variant - baseline) / baseline, on medians."""
        base = self.median(baseline, key)
        return (self.median(variant, key) - base) / base

    def plugin_share(self) -> float:
        """Median over enforced runs of plugin / (total - plugin): the overhead measured inside each run."""
        return float(statistics.median(
            r["plugin_s"] / (r["in_process_s"] - r["plugin_s"]) for r in self.runs[ENFORCED.key]))


def measure(teams: Sequence[int], repeat: int, progress: bool) -> list[Point]:
    spawn(min(teams), ENFORCED)  # warm-up, not recorded: the first run pays for cold file caches
    points = []
    for n in teams:
        runs: dict[str, list[dict[str, Any]]] = {v.key: [] for v in VARIANTS}
        for r in range(repeat):
            # Interleaved, so a noisy minute hits every variant; rotated, so none always runs first.
            for variant in VARIANTS[r % len(VARIANTS):] + VARIANTS[:r % len(VARIANTS)]:
                result = spawn(n, variant)
                runs[variant.key].append(result)
                if progress:
                    print(f"  teams={n:<4} {variant.key:<17} run {r + 1}/{repeat}: "
                          f"{result['in_process_s']:.2f}s in process, {result['wall_s']:.2f}s wall",
                          file=sys.stderr, flush=True)
        counts = {(x["stacks"], x["resources"]) for rs in runs.values() for x in rs}
        if len(counts) != 1:
            raise SystemExit(f"teams={n}: variants synthesized different assemblies: {sorted(counts)}")
        points.append(Point(n, runs))
    return points


def linear_fit(xs: Sequence[float], ys: Sequence[float]) -> tuple[float, float, float]:
    """Least squares y = a + b x: (slope b, intercept a, R²)."""
    n = len(xs)
    mx, my = sum(xs) / n, sum(ys) / n
    sxx = sum((x - mx) ** 2 for x in xs)
    sxy = sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True))
    slope = sxy / sxx if sxx else math.nan
    intercept = my - slope * mx
    ss_tot = sum((y - my) ** 2 for y in ys)
    ss_res = sum((y - intercept - slope * x) ** 2 for x, y in zip(xs, ys, strict=True))
    return slope, intercept, 1 - ss_res / ss_tot if ss_tot else math.nan


HEADERS = (
    "teams", "stacks", "resources", "start-up s", "construct s", "synth s", "total s", "ms/resource",
    "enforcement", "enforcement (CPU)", "plugin in run", "CFN validator", "CFN validator (CPU)", "nag packs",
    "nag packs (CPU)",
)


def rows(points: Sequence[Point]) -> list[tuple[str, ...]]:
    out: list[tuple[str, ...]] = []
    for p in points:
        total = p.median(ENFORCED, "in_process_s")
        out.append((
            str(p.teams), str(p.count("stacks")), str(p.count("resources")),
            f"{p.median(ENFORCED, 'startup_s'):.2f}",
            f"{p.median(ENFORCED, 'construct_s'):.2f}", f"{p.median(ENFORCED, 'synth_s'):.2f}",
            f"{total:.2f}", f"{1000 * total / p.count('resources'):.2f}",
            f"{100 * p.overhead(ENFORCED, UNENFORCED):+.1f} %",
            f"{100 * p.overhead(ENFORCED, UNENFORCED, 'in_process_cpu_s'):+.1f} %",
            f"{100 * p.plugin_share():+.1f} %",
            f"{100 * p.overhead(ENFORCED, NO_VALIDATOR):+.1f} %",
            f"{100 * p.overhead(ENFORCED, NO_VALIDATOR, 'in_process_cpu_s'):+.1f} %",
            f"{100 * p.overhead(ENFORCED, NO_NAG):+.1f} %",
            f"{100 * p.overhead(ENFORCED, NO_NAG, 'in_process_cpu_s'):+.1f} %",
        ))
    return out


def fits(points: Sequence[Point]) -> list[str]:
    """Linearity of in-process seconds vs resources, fitted over every single run of a variant."""
    if len(points) < 2:
        return ["linearity: needs two or more team counts"]
    lines = []
    for variant in VARIANTS:
        xs = [float(r["resources"]) for p in points for r in p.runs[variant.key]]
        fitted = []
        for key, what in (("in_process_s", "wall"), ("in_process_cpu_s", "CPU")):
            slope, intercept, r2 = linear_fit(xs, [float(r[key]) for p in points for r in p.runs[variant.key]])
            fitted.append(f"{what} s = {intercept:.2f} + {1000 * slope:.2f} ms x resources (R² {r2:.3f})")
        lines.append(f"linear fit, {variant.key}, {len(xs)} runs: " + "; ".join(fitted))
    return lines


def notes(points: Sequence[Point], repeat: int, elapsed: float) -> list[str]:
    return [
        *fits(points),
        f"medians of {repeat} run(s) per variant; columns are of the enforced app unless named otherwise",
        "start-up = spawn to imports done (interpreter + jsii kernel); total = construct + synth, in process",
        "enforcement = (enforced - unenforced) / unenforced total; (CPU) = the same on CPU seconds of the "
        "Python process and its Node kernel; plugin in run = the plugin's own time / the rest of the total, "
        "timed inside each enforced run; CFN validator = (enforced - enforced with "
        "builtin_cloud_formation_validation=False) / the latter",
        f"benchmark wall time: {elapsed:.0f} s",
    ]


def print_markdown(points: Sequence[Point], repeat: int, elapsed: float) -> None:
    print("| " + " | ".join(HEADERS) + " |")
    print("|" + "|".join("---:" for _ in HEADERS) + "|")
    for row in rows(points):
        print("| " + " | ".join(row) + " |")
    print()
    for line in notes(points, repeat, elapsed):
        print(f"- {line}")


def print_rich(points: Sequence[Point], repeat: int, elapsed: float) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title="synth_scale: synthesis of generated configs (enforced unless stated)")
    for header in HEADERS:
        table.add_column(header, justify="right")
    for row in rows(points):
        table.add_row(*row)
    console = Console()
    if not console.is_terminal:
        console = Console(width=160)  # piped: Rich would wrap the table at 80 columns
    console.print(table)
    for line in notes(points, repeat, elapsed):
        console.print(line, highlight=False)


# --- command line ------------------------------------------------------------------------------------


STACKS_MAX_ACCOUNTS = 100  # per-account stacks beyond this take too long to measure on this machine


def rollout_study(accounts: Sequence[int], teams: int, repeat: int, markdown: bool) -> None:
    """Synth time and templates against the number of workload accounts, StackSets against per-account stacks."""
    rows = []
    for count in accounts:
        for rollout in ("stacksets", "stacks"):
            if rollout == "stacks" and count > STACKS_MAX_ACCOUNTS:
                continue
            runs = [spawn(teams, ENFORCED, count, rollout) for _ in range(repeat)]
            rows.append((count, rollout, statistics.median(r["in_process_s"] for r in runs),
                         statistics.median(r["wall_s"] for r in runs), runs[0]["stacks"], runs[0]["resources"]))
            print(f"{count} accounts, {rollout}: {rows[-1][2]:.1f} s in process", file=sys.stderr)
    base = {r[1]: r[2] for r in rows if r[0] == min(accounts)}
    header = ("accounts", "rollout", "synth s (median)", "wall s", "templates", "resources", "x smallest")
    lines = [(str(c), r, f"{s:.1f}", f"{w:.1f}", str(t), str(res), f"{s / base[r]:.2f}")
             for c, r, s, w, t, res in rows]
    if markdown:
        print("| " + " | ".join(header) + " |\n|" + "---|" * len(header))
        print("\n".join("| " + " | ".join(line) + " |" for line in lines))
    else:
        width = [max(len(x) for x in col) for col in zip(header, *lines, strict=True)]
        for line in (header, *lines):
            print("  ".join(x.ljust(w) for x, w in zip(line, width, strict=True)))


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--teams", default=",".join(map(str, DEFAULT_TEAMS)),
                        help="comma-separated team counts (default: %(default)s); one count with --one")
    parser.add_argument("--repeat", type=int, default=3,
                        help="runs per point and variant; the table shows medians (default: 3)")
    parser.add_argument("--markdown", action="store_true", help="print a Markdown table for RESULTS.md")
    parser.add_argument("--quiet", action="store_true", help="no per-run progress on stderr")
    parser.add_argument("--save", type=Path, metavar="FILE", help="also write every single run as JSON")
    child = parser.add_argument_group("one measurement (spawned by the parent)")
    child.add_argument("--one", action="store_true", help="measure once in this process, print one JSON line")
    child.add_argument("--enforce", action=argparse.BooleanOptionalAction, default=True,
                       help="build(..., enforce_tags=...)")
    child.add_argument("--security-checks", action=argparse.BooleanOptionalAction, default=True,
                       help="build(..., security_checks=...): the cdk-nag packs (AiFinOps, AwsSolutions, Serverless)")
    child.add_argument("--builtin-validation", action=argparse.BooleanOptionalAction, default=True,
                       help="cdk.App(builtin_cloud_formation_validation=...)")
    child.add_argument("--outdir", type=Path, help="cloud assembly directory")
    parser.add_argument("--accounts", help="comma-separated workload account counts: the rollout study (StackSets "
                                           "at each count, per-account stacks up to 100 accounts) instead of teams")
    child.add_argument("--rollout", choices=("stacks", "stacksets"), default="stacks",
                       help="organization.rollout of the generated config (with --accounts)")
    child.add_argument("--spawned-at", type=float, help="parent's time.time() at spawn, for start-up time")
    args = parser.parse_args(argv)
    try:
        args.team_counts = [int(t) for t in str(args.teams).split(",") if t.strip()]
    except ValueError:
        parser.error(f"--teams: expected comma-separated integers, got {args.teams!r}")
    if not args.team_counts or min(args.team_counts) < 1:
        parser.error("--teams: one or more positive integers")
    if args.repeat < 1:
        parser.error("--repeat: at least 1")
    try:
        args.account_counts = [int(a) for a in str(args.accounts).split(",") if a.strip()] if args.accounts else []
    except ValueError:
        parser.error(f"--accounts: expected comma-separated integers, got {args.accounts!r}")
    if args.one and (len(args.team_counts) != 1 or args.outdir is None):
        parser.error("--one needs exactly one --teams value and --outdir")
    return args


def main(argv: Sequence[str] | None = None) -> None:
    args = parse_args(argv)
    if args.one:
        print(json.dumps(run_one(args.team_counts[0], args.enforce, args.builtin_validation, args.outdir,
                                 args.spawned_at, args.security_checks,
                                 args.account_counts[0] if args.account_counts else None, args.rollout)))
        return
    if args.account_counts:
        rollout_study(args.account_counts, args.team_counts[0], args.repeat, args.markdown)
        return
    started = time.perf_counter()
    points = measure(args.team_counts, args.repeat, progress=not args.quiet)
    elapsed = time.perf_counter() - started
    if args.save:
        args.save.write_text(json.dumps({"elapsed_s": elapsed, "points": [p.__dict__ for p in points]}, indent=1))
    if args.markdown:
        print_markdown(points, args.repeat, elapsed)
    else:
        print_rich(points, args.repeat, elapsed)


if __name__ == "__main__":
    main()
