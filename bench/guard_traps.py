#!/usr/bin/env python3
"""The GPU guard against a fleet of traps (issue 11): one enforced scan with `guard.untagged.grace_minutes: 0` and
dev in stop mode must stop every violator and nothing else, price every stopped dollar, and stay within 1.2x the
calls the design needs (bench/guard_bound.py).

    python bench/guard_traps.py                 # about 1,100 resources: Rich tables
    python bench/guard_traps.py --scale 2 --markdown

The fleet (bench/trap_fleet.py; counts at --scale 1) mirrors an independent review's: p2, p3, g4dn, g5, g6, inf2,
trn1 instances (plus p4d and p5e, which dev does not allow) and ml.* endpoints, notebooks and training jobs;
untagged, partly tagged (missing or blank keys), busy by GPU, CPU or network, idle, idle after busy, spiky,
valid exemptions in every ISO 8601 form, expired and broken ones, near-miss keys, an unknown or another
environment's tag, 50 tags, Auto Scaling group members, zero-invocation endpoints, resources created three hours
before the scan (moto under libfaketime) and a few 30 minutes before, CPU instances and stopped ones.

Truth is the fleet's own label per resource; what was stopped is read back from moto afterwards (instance states,
endpoints gone, notebooks and jobs stopped), so a false stop cannot hide behind the scan's own summary. Prices:
the catalog's for EC2 (AWS's), the stand-in Price List's for ml.* and the types the catalog lacks (synthetic,
bench/trap_fleet.py: a real scan asks AWS); the claimed savings must be within 0.5 % of the truth.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections import Counter
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.guard_bound import lower_bound  # noqa: E402
from bench.guard_stand_in import RESET_PATH, CountingProxy, MotoChild, use_fake_credentials  # noqa: E402
from bench.trap_fleet import REGION, Fleet, bench_policy, price_list, seed, stopped_now  # noqa: E402

TARGET_RATIO = 1.2
SAVINGS_TOLERANCE = 0.005


def scan_child(proxy_url: str, now: datetime) -> dict[str, Any]:
    """In a fresh interpreter: one enforced scan at the fleet's `now`, the summary back on stdout."""
    from aifinops.lambdas.guard.clients import ClientFactory
    from aifinops.lambdas.guard.scan import scan

    clients = ClientFactory(endpoint_url=proxy_url, max_attempts=3)
    urllib.request.urlopen(urllib.request.Request(proxy_url + RESET_PATH, method="POST"), timeout=60)
    types: dict[str, frozenset[str]] = {}
    started = time.perf_counter()
    summary = scan(bench_policy(), clients, [REGION], now=now, enforce=True, type_cache=types)
    result = summary.to_dict()
    result["wall_s"] = time.perf_counter() - started
    result["accelerated_names"] = len(types.get(REGION, frozenset()) | set(bench_policy().accelerated_types))
    return result


def run(scale: float) -> dict[str, Any]:
    from aifinops.lambdas.guard.clients import ClientFactory

    with tempfile.TemporaryDirectory() as tmp:
        moto = MotoChild(clock_file=Path(tmp) / "clock")
        proxy = CountingProxy(int(urlsplit(moto.url).port or 0), price_list=price_list)
        try:
            clients = ClientFactory(endpoint_url=moto.url, max_attempts=1)
            t0 = time.perf_counter()
            fleet = seed(clients, moto.set_clock, scale)
            seed_s = time.perf_counter() - t0
            done = subprocess.run([sys.executable, __file__, "--scan-child", proxy.url, fleet.now.isoformat()],
                                  capture_output=True, text=True, env=os.environ.copy())
            if done.returncode:
                raise SystemExit(done.stderr)
            summary = json.loads(done.stdout.splitlines()[-1])
            proxied = dict(proxy.calls)
            after = stopped_now(clients, fleet)
        finally:
            proxy.close()
            moto.close()
    return score(fleet, summary, proxied, after, seed_s, scale)


def score(fleet: Fleet, summary: dict[str, Any], proxied: dict[str, int], stopped: set[str], seed_s: float,
          scale: float) -> dict[str, Any]:
    truth = fleet.truth
    expected_stop = {k for k, v in truth.items() if v.action == "stop"}
    expected_notify = {k for k, v in truth.items() if v.action == "notify"}
    decided = {d["id"]: d for d in summary["decisions"]}
    notified = {k for k, d in decided.items() if d["action"] == "notify"}
    false_stops = sorted(stopped - expected_stop)
    missed = sorted(expected_stop - stopped)
    true_usd = sum(truth[k].hourly_usd for k in expected_stop)
    claimed = summary["counts"]["hourly_usd_saved"]
    bound = lower_bound(types=fleet.instance_types, names=summary["accelerated_names"], instances=fleet.ec2_running,
                        endpoints=fleet.endpoints, configs=fleet.endpoints, notebooks=fleet.notebooks,
                        jobs=fleet.jobs, sagemaker_accelerated=fleet.sagemaker_accelerated,
                        measured_queries=fleet.measured_queries, decisions=summary["decisions"],
                        gpu_streams=fleet.gpu_streams)
    hook = summary["api_calls"]
    without_types = {k: v for k, v in proxied.items() if k != "ec2:DescribeInstanceTypes"}
    bound_without_types = {k: v for k, v in bound.items() if k != "ec2:DescribeInstanceTypes"}
    return {
        "scale": scale, "resources": len(truth), "seed_s": seed_s, "wall_s": summary["wall_s"],
        "measured_resources": sum(1 for t in truth.values() if t.measured_queries),
        "measured_queries": fleet.measured_queries,
        "kinds": dict(Counter(v.kind for v in truth.values())),
        "categories": dict(Counter(v.category for v in truth.values())),
        "expected_stop": len(expected_stop), "stopped": len(stopped), "false_stops": false_stops, "missed": missed,
        "recall": len(expected_stop & stopped) / len(expected_stop) if expected_stop else 1.0,
        "notify_expected": len(expected_notify), "notify_missed": sorted(expected_notify - notified),
        "notify_extra": sorted(notified - expected_notify),
        "true_usd": round(true_usd, 4), "claimed_usd": claimed,
        "savings_error": (claimed - true_usd) / true_usd if true_usd else 0.0,
        "unpriced": summary["counts"]["unpriced"], "errors": summary["errors"], "warnings": summary["warnings"],
        "hook": hook, "proxy": proxied, "bound": bound,
        "ratio": sum(proxied.values()) / sum(bound.values()),
        "ratio_without_types": sum(without_types.values()) / sum(bound_without_types.values()),
        "mismatch": sorted(set(hook.items()) ^ set(proxied.items())),
    }


def verdict(row: dict[str, Any]) -> list[str]:
    problems = []
    if row["false_stops"]:
        problems.append(f"{len(row['false_stops'])} false stops: {row['false_stops'][:10]}")
    if row["missed"]:
        problems.append(f"recall {row['recall']:.3f}: missed {row['missed'][:10]}")
    if abs(row["savings_error"]) > SAVINGS_TOLERANCE:
        problems.append(f"claimed savings off by {row['savings_error']:+.2%}")
    if row["ratio_without_types"] > TARGET_RATIO:
        problems.append(f"calls {row['ratio_without_types']:.2f}x the bound")
    if row["notify_missed"] or row["notify_extra"]:
        problems.append(f"notify: missed {row['notify_missed'][:5]}, extra {row['notify_extra'][:5]}")
    if row["errors"]:
        problems.append(f"errors: {row['errors'][:3]}")
    return problems


def tables(row: dict[str, Any]) -> list[tuple[list[str], list[list[str]]]]:
    head = ["resources", "expected stops", "stopped", "false stops", "recall", "notify expected / missed / extra",
            "true $/h", "claimed $/h", "error", "unpriced", "calls (proxy)", "bound", "ratio", "ratio w/o types",
            "scan s", "seed s"]
    body = [[f"{row['resources']:,}", str(row["expected_stop"]), str(row["stopped"]), str(len(row["false_stops"])),
             f"{row['recall']:.2f}",
             f"{row['notify_expected']} / {len(row['notify_missed'])} / {len(row['notify_extra'])}",
             f"{row['true_usd']:,.2f}", f"{row['claimed_usd']:,.2f}", f"{row['savings_error']:+.3%}",
             str(row["unpriced"]), str(sum(row["proxy"].values())), str(sum(row["bound"].values())),
             f"{row['ratio']:.2f}", f"{row['ratio_without_types']:.2f}", f"{row['wall_s']:.1f}",
             f"{row['seed_s']:.1f}"]]
    ops = sorted({*row["proxy"], *row["bound"]})
    per_op = (["operation", "proxy", "hook", "bound"],
              [[op, str(row["proxy"].get(op, 0)), str(row["hook"].get(op, 0)), str(row["bound"].get(op, 0))]
               for op in ops])
    cats = (["category", "resources"], [[c, str(n)] for c, n in sorted(row["categories"].items())])
    return [(head, body), per_op, cats]


def markdown(head: list[str], body: list[list[str]]) -> str:
    lines = ["| " + " | ".join(head) + " |", "|" + "|".join("---:" if i else "---" for i in range(len(head))) + "|"]
    return "\n".join([*lines, *("| " + " | ".join(r) + " |" for r in body)])


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--scale", type=float, default=1.0, help="fleet size factor (1: about 1,100 resources)")
    parser.add_argument("--markdown", action="store_true")
    parser.add_argument("--json", type=Path, help="also write the raw result here")
    parser.add_argument("--scan-child", nargs=2, metavar=("PROXY_URL", "NOW"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.scan_child:
        print(json.dumps(scan_child(args.scan_child[0], datetime.fromisoformat(args.scan_child[1])), default=str))
        return 0
    use_fake_credentials(REGION)
    started = time.perf_counter()
    row = run(args.scale)
    if args.json:
        args.json.write_text(json.dumps(row, indent=2, default=str))
    if args.markdown:
        for head, body in tables(row):
            print(markdown(head, body) + "\n")
    else:
        from rich.console import Console
        from rich.table import Table

        console = Console(width=None if sys.stdout.isatty() else 240)
        for head, body in tables(row):
            table = Table(*head)
            for line in body:
                table.add_row(*line)
            console.print(table)
    problems = verdict(row)
    for w in row["warnings"]:
        print(f"# warning: {w}", file=sys.stderr)
    if row["mismatch"]:
        print(f"# hook and proxy disagree: {row['mismatch']}", file=sys.stderr)
    print(f"# benchmark wall time: {time.perf_counter() - started:.0f} s", file=sys.stderr)
    for p in problems:
        print(f"FAIL: {p}", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
