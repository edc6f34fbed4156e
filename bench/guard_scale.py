#!/usr/bin/env python3
"""The GPU guard's scan on fleets of 100, 1,000 and 5,000 accelerated EC2 instances (plus endpoints and
notebooks): API calls per operation against the lower bound, wall seconds, peak memory, and the decisions'
precision and recall against the fleet's ground truth (issue 6, "Efficiency").

    python bench/guard_scale.py                       # 100, 1,000, 5,000: Rich table
    python bench/guard_scale.py --sizes 100,1000 --markdown

Set-up (bench/guard_stand_in.py): a moto server in a child process (so the scan's memory is measured alone)
behind a small threaded counting HTTP proxy on 127.0.0.1 that counts every request per service and operation and
forwards it to moto. The scan also counts its logical calls with its botocore `before-call` hook
(`Summary.api_calls`); both counts are reported and must agree when nothing is retried. The changes to moto
(an indexed GetMetricData, one answer per GetResources ARN list) are listed there.

Fleet per size N (ground truth recorded per resource):
- EC2 g5.xlarge, launched in reservations of 100 (moto pages by reservation): 10 % untagged and busy
  (mark), 30 % fully tagged and idle (stop: dev account, guard mode stop), 60 % fully tagged and busy (none).
- Endpoints, N/50 (one ml.g4dn.xlarge variant): half idle in dev (stop), a quarter idle tagged prod (notify),
  a quarter busy (none). Notebooks, N/50 (ml.p3.2xlarge, which dev is given leave to run here): half untagged
  (mark), half tagged (none).
- Datapoints kept few: CPU 1 % one minute into the window and ten minutes before its end plus NetworkIn 100 B
  at the start for idle instances (covered, CPU and network below thresholds: idle); CPU 60 % one minute into
  the window for busy and untagged ones (covered, CPU above threshold: busy); Invocations 10 for busy endpoints.
- moto launches everything now: the scan runs at now + 3 h (tests/lambdas/guard/fleet.py).

Each size gets a fresh moto (POST /moto-api/reset), is seeded (timed apart), scanned once dry-run under
tracemalloc (peak memory) and once enforced without it (wall seconds, calls, decisions).
`GUARD_SCALE_TRACEMALLOC=0` skips tracemalloc, so that maxrss excludes tracemalloc's own bookkeeping.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import resource
import subprocess
import sys
import time
import tracemalloc
import urllib.request
from collections import Counter, defaultdict
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.guard_bound import lower_bound  # noqa: E402
from bench.guard_stand_in import RESET_PATH, CountingProxy, MotoChild, use_fake_credentials  # noqa: E402
from bench.trap_fleet import price_list  # noqa: E402

REGION = "us-east-1"
ACCOUNT = "123456789012"
AMI = "ami-12c6146b"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/sagemaker"
FUTURE = timedelta(hours=3)
PERIOD = 300
DEFAULT_SIZES = (100, 1000, 5000)
RESERVATION = 100
TAGS = {"team": "search", "project": "ranker", "model": "llama", "environment": "dev", "task-type": "training"}


# --- fleet --------------------------------------------------------------------------------------------------

def _tag_list(tags: dict[str, str]) -> list[dict[str, str]]:
    return [{"Key": k, "Value": v} for k, v in tags.items()]


def seed(clients: Any, n: int, now: datetime, window_minutes: int, reservation: int = RESERVATION) -> dict[str, str]:
    """Create the fleet; return resource id -> expected action (stop, mark, notify, none)."""
    ec2, cw, sm = (clients.client(s, REGION) for s in ("ec2", "cloudwatch", "sagemaker"))
    ids: list[str] = []
    for offset in range(0, n, reservation):
        count = min(reservation, n - offset)
        response = ec2.run_instances(ImageId=AMI, MinCount=count, MaxCount=count, InstanceType="g5.xlarge")
        ids += [i["InstanceId"] for i in response["Instances"]]
    untagged, idle = ids[: n // 10], ids[n // 10: n // 10 + n * 3 // 10]
    busy = ids[n // 10 + n * 3 // 10:]
    truth = {i: "mark" for i in untagged} | {i: "stop" for i in idle} | {i: "none" for i in busy}
    tagged = idle + busy
    for offset in range(0, len(tagged), 1000):
        ec2.create_tags(Resources=tagged[offset:offset + 1000], Tags=_tag_list(TAGS))

    epoch = math.ceil((now - timedelta(minutes=window_minutes)).timestamp())
    start = datetime.fromtimestamp(epoch + (-epoch % PERIOD), UTC)  # as the scan aligns its window
    first, last = start + timedelta(minutes=1), now - timedelta(minutes=10)
    datums: list[dict[str, Any]] = []

    def point(name: str, dims: dict[str, str], ts: datetime, value: float) -> dict[str, Any]:
        return {"MetricName": name, "Dimensions": [{"Name": k, "Value": v} for k, v in dims.items()],
                "Timestamp": ts, "Value": value}

    for i in idle:
        dims = {"InstanceId": i}
        datums += [point("CPUUtilization", dims, first, 1.0), point("CPUUtilization", dims, last, 1.0),
                   point("NetworkIn", dims, first, 100.0)]
    for i in untagged + busy:
        datums.append(point("CPUUtilization", {"InstanceId": i}, first, 60.0))

    endpoints = max(2, n // 50)
    sm.create_model(ModelName="m", ExecutionRoleArn=ROLE, PrimaryContainer={"Image": "img"})
    for k in range(endpoints):
        name = f"ep-{k:05d}"
        sm.create_endpoint_config(EndpointConfigName=f"cfg-{k:05d}", ProductionVariants=[
            {"VariantName": "a", "ModelName": "m", "InstanceType": "ml.g4dn.xlarge", "InitialInstanceCount": 1}])
        share = k / endpoints
        env = "prod" if 0.5 <= share < 0.75 else "dev"
        sm.create_endpoint(EndpointName=name, EndpointConfigName=f"cfg-{k:05d}",
                           Tags=_tag_list({**TAGS, "environment": env}))
        if share >= 0.75:
            truth[name] = "none"
            datums.append(point("Invocations", {"EndpointName": name, "VariantName": "a"}, first, 10.0))
        else:
            truth[name] = "notify" if env == "prod" else "stop"
    notebooks = max(2, n // 50)
    for k in range(notebooks):
        name = f"nb-{k:05d}"
        tags = {} if k % 2 == 0 else {"Tags": _tag_list(TAGS)}
        sm.create_notebook_instance(NotebookInstanceName=name, InstanceType="ml.p3.2xlarge", RoleArn=ROLE, **tags)
        truth[name] = "mark" if k % 2 == 0 else "none"
    for offset in range(0, len(datums), 1000):
        namespace_groups: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for d in datums[offset:offset + 1000]:
            ns = "AWS/SageMaker" if d["MetricName"] == "Invocations" else "AWS/EC2"
            namespace_groups[ns].append(d)
        for ns, group in namespace_groups.items():
            cw.put_metric_data(Namespace=ns, MetricData=group)
    return truth


# --- bound and scoring --------------------------------------------------------------------------------------

def score(truth: dict[str, str], decided: dict[str, str]) -> dict[str, tuple[float, float, int, int]]:
    """Per action: (precision, recall, predicted, expected)."""
    out = {}
    for action in ("stop", "mark", "notify"):
        expected = {k for k, v in truth.items() if v == action}
        predicted = {k for k, v in decided.items() if v == action}
        hit = len(expected & predicted)
        out[action] = (hit / len(predicted) if predicted else 1.0, hit / len(expected) if expected else 1.0,
                       len(predicted), len(expected))
    return out


# --- one size -----------------------------------------------------------------------------------------------

def _policy() -> Any:
    from aifinops.config import load
    from aifinops.lambdas.guard.policy import parse_policy
    from aifinops.policies.guard_policy import guard_policy_json

    doc = json.loads(guard_policy_json(load(ROOT / "finops.yaml")))
    doc["accounts"] = {ACCOUNT: "dev"}
    doc["environments"]["dev"]["accounts"].append(ACCOUNT)
    doc["environments"]["dev"]["accelerators"].append("ml.p3")  # the notebooks' type
    return parse_policy(json.dumps(doc))


def scan_one(proxy_url: str, now: datetime) -> dict[str, Any]:
    """In a fresh interpreter (its maxrss is the scan's): a dry run under tracemalloc, then an enforced run."""
    from aifinops.lambdas.guard.clients import ClientFactory
    from aifinops.lambdas.guard.scan import scan

    policy = _policy()
    clients = ClientFactory(endpoint_url=proxy_url, max_attempts=3)
    for service in ("ec2", "sagemaker", "cloudwatch"):
        clients.client(service, REGION)  # created before measuring (a warm Lambda has them)
    base_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    if os.environ.get("GUARD_SCALE_TRACEMALLOC", "1") != "0":  # 0: maxrss without tracemalloc's own overhead
        tracemalloc.start()
    dry = scan(policy, clients, [REGION], now=now, enforce=False, type_cache={})
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    urllib.request.urlopen(urllib.request.Request(proxy_url + RESET_PATH, method="POST"), timeout=60)
    types: dict[str, frozenset[str]] = {}
    stages: dict[str, float] = {}
    cpu0, t0 = time.process_time(), time.perf_counter()
    summary = scan(policy, clients, [REGION], now=now, enforce=True, type_cache=types,
                   progress=lambda _r, stage: stages.setdefault(stage, time.perf_counter() - t0)).to_dict()
    wall, cpu = time.perf_counter() - t0, time.process_time() - cpu0
    return {"wall_s": wall, "cpu_s": cpu, "stages": stages, "peak_mb": peak / 2**20, "base_rss_mb": base_rss,
            "maxrss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
            "hook": summary["api_calls"],
            "accelerated": len(types.get(REGION, frozenset()) | set(policy.accelerated_types)),
            "decisions": summary["decisions"],
            "errors": summary["errors"] + dry.errors}


def run_size(n: int, moto_url: str, reservation: int = RESERVATION) -> dict[str, Any]:
    from aifinops.lambdas.guard.clients import ClientFactory

    policy = _policy()
    urllib.request.urlopen(urllib.request.Request(f"{moto_url}/moto-api/reset", method="POST"), timeout=60)
    proxy = CountingProxy(int(urlsplit(moto_url).port or 0), price_list=price_list)
    try:
        now = datetime.now(UTC).replace(microsecond=0) + FUTURE
        seeding = ClientFactory(endpoint_url=moto_url, max_attempts=1)
        t0 = time.perf_counter()
        truth = seed(seeding, n, now, policy.idle_window_minutes, reservation)
        seed_s = time.perf_counter() - t0
        done = subprocess.run([sys.executable, __file__, "--scan-one", proxy.url, now.isoformat()],
                              capture_output=True, text=True, check=True, env=os.environ.copy())
        child = json.loads(done.stdout.splitlines()[-1])
        proxied, seconds = Counter(proxy.calls), dict(proxy.seconds)
    finally:
        proxy.close()
    all_types = len(seeding.client("ec2", REGION).describe_instance_types()["InstanceTypes"])
    decisions = child.pop("decisions")
    decided = {d["id"]: d["action"] for d in decisions}
    endpoints = sum(1 for k in truth if k.startswith("ep-"))
    notebooks = sum(1 for k in truth if k.startswith("nb-"))
    # every instance and endpoint is measured: at grace 60 an untagged one is marked, and signals can still stop it
    bound = lower_bound(types=all_types, names=child["accelerated"], instances=n, endpoints=endpoints,
                        configs=endpoints, notebooks=notebooks, jobs=0, sagemaker_accelerated=endpoints + notebooks,
                        measured_queries=4 * n + 2 * endpoints, decisions=decisions)
    return {**child, "n": n, "endpoints": endpoints, "notebooks": notebooks, "seed_s": seed_s,
            "proxy": dict(proxied), "proxy_seconds": seconds, "bound": bound, "types": all_types,
            "score": score(truth, decided), "by_action": dict(Counter(decided.values()))}


# --- output -------------------------------------------------------------------------------------------------

TYPES_OP = "ec2:DescribeInstanceTypes"


def _totals(row: dict[str, Any]) -> tuple[int, int, int]:
    return sum(row["hook"].values()), sum(row["proxy"].values()), sum(row["bound"].values())


def _ratio_without_types(row: dict[str, Any]) -> float:
    """moto ignores DescribeInstanceTypes' MaxResults (one call for all T types, the bound says ceil(T/100)), and a
    warm container caches the answer: the ratio on everything else is the one that says something."""
    proxy = sum(v for k, v in row["proxy"].items() if k != TYPES_OP)
    return proxy / sum(v for k, v in row["bound"].items() if k != TYPES_OP)


def summary_rows(rows: Sequence[dict[str, Any]]) -> tuple[list[str], list[list[str]]]:
    head = ["instances", "endpoints / notebooks", "calls (hook)", "calls (proxy)", "lower bound", "ratio",
            "ratio w/o types", "scan wall s", "in moto s", "scan CPU s", "peak MB (tracemalloc)", "maxrss MB",
            "seed s", "stop P/R (n)", "mark P/R (n)", "notify P/R (n)"]
    out = []
    for r in rows:
        hook, proxy, bound = _totals(r)
        pr = [f"{r['score'][a][0]:.2f}/{r['score'][a][1]:.2f} ({r['score'][a][3]})" for a in ("stop", "mark", "notify")]
        out.append([f"{r['n']:,}", f"{r['endpoints']} / {r['notebooks']}", str(hook), str(proxy), str(bound),
                    f"{proxy / bound:.2f}", f"{_ratio_without_types(r):.2f}", f"{r['wall_s']:.1f}",
                    f"{sum(r['proxy_seconds'].values()):.1f}", f"{r['cpu_s']:.1f}", f"{r['peak_mb']:.1f}",
                    f"{r['maxrss_mb']:.0f}", f"{r['seed_s']:.1f}", *pr])
    return head, out


def operation_rows(rows: Sequence[dict[str, Any]]) -> tuple[list[str], list[list[str]]]:
    ops = sorted({op for r in rows for op in (*r["hook"], *r["proxy"], *r["bound"])})
    head = ["operation"] + [f"{r['n']:,}: proxy / hook / bound" for r in rows]
    body = [[op] + [f"{r['proxy'].get(op, 0)} / {r['hook'].get(op, 0)} / {r['bound'].get(op, 0)}" for r in rows]
            for op in ops]
    return head, body


def markdown(head: list[str], body: list[list[str]]) -> str:
    lines = ["| " + " | ".join(head) + " |", "|" + "|".join("---:" if i else "---" for i in range(len(head))) + "|"]
    return "\n".join([*lines, *("| " + " | ".join(r) + " |" for r in body)])


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default=",".join(map(str, DEFAULT_SIZES)))
    parser.add_argument("--markdown", action="store_true")
    parser.add_argument("--json", type=Path, help="also write the raw results here")
    parser.add_argument("--reservation-size", type=int, default=RESERVATION,
                        help="instances per RunInstances call; 1 makes moto page DescribeInstances by 1,000 "
                             "instances as AWS does (moto pages by reservation), at the price of slow seeding")
    parser.add_argument("--scan-one", nargs=2, metavar=("PROXY_URL", "NOW"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.scan_one:
        print(json.dumps(scan_one(args.scan_one[0], datetime.fromisoformat(args.scan_one[1])), default=str))
        return 0
    use_fake_credentials(REGION)
    sizes = [int(s) for s in args.sizes.split(",") if s]
    moto = MotoChild()
    rows = []
    started = time.perf_counter()
    try:
        for n in sizes:
            rows.append(run_size(n, moto.url, args.reservation_size))
            print(f"# {n}: done in {time.perf_counter() - started:.0f} s", file=sys.stderr, flush=True)
    finally:
        moto.close()
    if args.json:
        args.json.write_text(json.dumps(rows, indent=2, default=str))
    tables = [summary_rows(rows), operation_rows(rows)]
    if args.markdown:
        for head, body in tables:
            print(markdown(head, body) + "\n")
    else:
        from rich.console import Console
        from rich.table import Table

        console = Console(width=None if sys.stdout.isatty() else 240)
        for head, body in tables:
            table = Table(*head)
            for row in body:
                table.add_row(*row)
            console.print(table)
    for r in rows:
        if r["errors"]:
            print(f"# {r['n']}: errors {r['errors']}", file=sys.stderr)
        print(f"# {r['n']}: stage start times (s): "
              + ", ".join(f"{k} {v:.1f}" for k, v in r["stages"].items()), file=sys.stderr)
        slow = sorted(r["proxy_seconds"].items(), key=lambda kv: -kv[1])[:4]
        print(f"# {r['n']}: seconds in moto per operation (proxy): "
              + ", ".join(f"{k} {v:.1f}" for k, v in slow), file=sys.stderr)
    print(f"# benchmark wall time: {time.perf_counter() - started:.0f} s", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
