"""The stand-in AWS of the guard benchmarks: a moto server in a child process behind a counting HTTP proxy.

- `MotoChild`: `python bench/guard_stand_in.py --serve` in a child process (the scan's memory is then measured
  alone). moto 5.2.5 is changed only where it costs time or falls short of AWS in ways the benchmarks would
  otherwise measure instead of the scan:
  - GetMetricData compares every stored datapoint with every query and period; the child indexes datapoints by
    (metric name, dimensions) and hands moto's own code the matching ones per query (same answers, linear cost);
  - GetResources with a ResourceARNList pages by 100 tags in moto; AWS answers an ARN list (at most 100 ARNs) in
    one response, which the child does too;
  - SageMaker accepts only an old list of `ml.*` types for endpoint configs and notebooks (any here), completes
    training jobs at once (InProgress here) and lacks StopTrainingJob (added): tests/moto_gaps.py.
  With `clock_file`, the child runs under libfaketime (Debian package `faketime`) reading its clock offset from
  that file at every call: resources are created "hours ago" (`set_clock("-3h")`), then the scan runs at real time.
- `CountingProxy`: a threaded forwarder on 127.0.0.1 counting every request per `service:Operation`
  (`X-Amz-Target`, the rpc-v2-cbor `/operation/NAME` path, or `Action=`; the service from the SigV4 credential
  scope). moto has no Price List API: the proxy answers `pricing:GetProducts` itself from a price table
  (`price_list`), counted like every other call.
"""

from __future__ import annotations

import http.client
import json
import os
import re
import subprocess
import sys
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Mapping
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

RESET_PATH = "/__bench/reset"
LIBFAKETIME = Path("/usr/lib/x86_64-linux-gnu/faketime/libfaketimeMT.so.1")
_SCOPE = re.compile(r"Credential=[^/]+/\d+/[^/]+/([^/]+)/")

__all__ = ["LIBFAKETIME", "RESET_PATH", "CountingProxy", "MotoChild", "operation_of", "use_fake_credentials"]


def use_fake_credentials(region: str) -> None:
    """This process and its children talk to the stand-in only: fake keys, no profile, no config files."""
    os.environ.update({"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                       "AWS_SESSION_TOKEN": "testing", "AWS_DEFAULT_REGION": region})
    for key in ("AWS_PROFILE", "AWS_ENDPOINT_URL"):
        os.environ.pop(key, None)
    os.environ["AWS_CONFIG_FILE"] = os.environ["AWS_SHARED_CREDENTIALS_FILE"] = os.devnull


# --- the moto child ---------------------------------------------------------------------------------------

def serve() -> None:
    """Run a moto server with the changes above; print its port; serve until stdin closes."""
    import logging

    from moto.cloudwatch.models import CloudWatchBackend
    from moto.resourcegroupstaggingapi.models import ResourceGroupsTaggingAPIBackend
    from moto.server import ThreadedMotoServer

    from tests.moto_gaps import accept_every_ml_type, training_jobs_in_progress

    original = CloudWatchBackend.get_metric_data
    lock = threading.Lock()

    def indexed(self: Any, queries: list[dict[str, Any]], start_time: datetime, end_time: datetime,
                scan_by: str = "TimestampAscending") -> list[dict[str, Any]]:
        index: dict[tuple[str, tuple[tuple[str, str], ...]], list[Any]] = defaultdict(list)
        for md in self.get_all_metrics():
            index[(md.name, tuple(sorted((d.name, d.value) for d in md.dimensions)))].append(md)
        out: list[dict[str, Any]] = []
        with lock:
            for query in queries:
                if "MetricStat" not in query:
                    out += original(self, [query], start_time, end_time, scan_by)
                    continue
                metric = query["MetricStat"]["Metric"]
                key = (metric["MetricName"],
                       tuple(sorted((d["Name"], d["Value"]) for d in metric.get("Dimensions", []))))
                self.get_all_metrics = lambda key=key: index.get(key, [])
                try:
                    out += original(self, [query], start_time, end_time, scan_by)
                finally:
                    del self.get_all_metrics
        return out

    get_resources = ResourceGroupsTaggingAPIBackend.get_resources

    def one_answer_per_arn_list(self: Any, *args: Any, **kwargs: Any) -> Any:
        if kwargs.get("resource_arn_list"):
            kwargs.update(resources_per_page=100, tags_per_page=10**6)
        return get_resources(self, *args, **kwargs)

    CloudWatchBackend.get_metric_data = indexed  # type: ignore[method-assign]
    ResourceGroupsTaggingAPIBackend.get_resources = one_answer_per_arn_list  # type: ignore[method-assign]
    logging.getLogger("werkzeug").setLevel(logging.CRITICAL)
    with accept_every_ml_type(), training_jobs_in_progress():
        server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
        server.start()
        print(server.get_host_and_port()[1], flush=True)
        sys.stdin.read()
        server.stop()


class MotoChild:
    """The moto server process; `clock_file` runs it under libfaketime with an offset read from that file."""

    def __init__(self, clock_file: Path | None = None) -> None:
        env = os.environ.copy()
        self.clock_file = clock_file
        if clock_file is not None:
            if not LIBFAKETIME.exists():
                raise SystemExit(f"{LIBFAKETIME} is missing: install the Debian package faketime "
                                 f"(apt-get install faketime)")
            clock_file.write_text("+0\n")
            env.update(LD_PRELOAD=str(LIBFAKETIME), FAKETIME_TIMESTAMP_FILE=str(clock_file), FAKETIME_NO_CACHE="1",
                       FAKETIME_DONT_FAKE_MONOTONIC="1")
        self.process = subprocess.Popen([sys.executable, __file__, "--serve"], stdin=subprocess.PIPE,
                                        stdout=subprocess.PIPE, text=True, env=env)
        assert self.process.stdout is not None
        self.url = f"http://127.0.0.1:{int(self.process.stdout.readline())}"

    def set_clock(self, offset: str) -> None:
        """The moto server's clock from now on: e.g. "-3h", "-30m", "+0" (libfaketime's relative format)."""
        assert self.clock_file is not None, "started without a clock file"
        self.clock_file.write_text(f"{offset}\n")

    def close(self) -> None:
        assert self.process.stdin is not None
        self.process.stdin.close()
        self.process.wait(timeout=30)


# --- the counting proxy -----------------------------------------------------------------------------------

class CountingProxy:
    """A threaded HTTP forwarder on 127.0.0.1 counting requests per `service:Operation`; it answers the Price
    List API itself from `price_list` ((service code, filters as a dict) -> USD per hour, or None)."""

    def __init__(self, upstream_port: int, price_list: Any = None) -> None:
        self.calls: Counter[str] = Counter()
        self.seconds: defaultdict[str, float] = defaultdict(float)
        lock = threading.Lock()
        local = threading.local()
        calls, seconds = self.calls, self.seconds
        prices = price_list or (lambda _service, _filters: None)

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True  # headers and body go in two writes: no 40 ms delayed-ACK stall

            def log_message(self, *_: Any) -> None:
                pass

            def _reply(self, status: int, body: bytes, content_type: str = "application/x-amz-json-1.1") -> None:
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def _forward(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                if self.path == RESET_PATH:  # the scan child: "count from here"
                    with lock:
                        calls.clear()
                        seconds.clear()
                    self._reply(204, b"")
                    return
                operation = "" if self.path.startswith("/moto-api") else operation_of(self.headers, self.path, body)
                if operation:
                    with lock:
                        calls[operation] += 1
                if operation == "pricing:GetProducts":
                    self._reply(200, _price_list_answer(prices, json.loads(body or b"{}")))
                    return
                started = time.perf_counter()
                conn = getattr(local, "conn", None)
                if conn is None:
                    conn = local.conn = http.client.HTTPConnection("127.0.0.1", upstream_port, timeout=600)
                headers = {k: v for k, v in self.headers.items() if k.lower() not in ("connection", "host")}
                headers["Host"] = f"127.0.0.1:{upstream_port}"
                try:
                    conn.request(self.command, self.path, body=body, headers=headers)
                    response = conn.getresponse()
                except (OSError, http.client.HTTPException):
                    conn.close()
                    conn = local.conn = http.client.HTTPConnection("127.0.0.1", upstream_port, timeout=600)
                    conn.request(self.command, self.path, body=body, headers=headers)
                    response = conn.getresponse()
                data = response.read()
                if operation:
                    with lock:
                        seconds[operation] += time.perf_counter() - started
                self.send_response(response.status)
                for key, value in response.getheaders():
                    if key.lower() not in ("transfer-encoding", "connection", "content-length"):
                        self.send_header(key, value)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = _forward

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def _price_list_answer(prices: Any, request: Mapping[str, Any]) -> bytes:
    """A GetProducts answer in the Price List's shape: one product with its on-demand hourly price, or none."""
    filters = {f["Field"]: f["Value"] for f in request.get("Filters", [])}
    usd = prices(request.get("ServiceCode"), filters)
    items = []
    if usd is not None:
        dimension = {"unit": "Hrs", "pricePerUnit": {"USD": f"{usd:.10f}"}}
        items.append(json.dumps({"product": {"attributes": filters}, "terms": {"OnDemand": {"SKU.JRTCKXETXF": {
            "priceDimensions": {"SKU.JRTCKXETXF.6YS6EN2CT7": dimension}}}}}))
    return json.dumps({"FormatVersion": "aws_v1", "PriceList": items}).encode()


def operation_of(headers: Any, path: str, body: bytes) -> str:
    match = _SCOPE.search(headers.get("Authorization", ""))
    service = match.group(1) if match else "?"
    service = {"monitoring": "cloudwatch", "tagging": "resourcegroupstaggingapi"}.get(
        service, service)  # the signing name -> the hook's name
    target = headers.get("X-Amz-Target")
    if target:
        return f"{service}:{target.rsplit('.', 1)[-1]}"
    if "/operation/" in path:
        return f"{service}:{urlsplit(path).path.rsplit('/', 1)[-1]}"
    action = parse_qs(body.decode("utf-8", "replace")).get("Action") or parse_qs(urlsplit(path).query).get("Action")
    return f"{service}:{action[0] if action else '?'}"


if __name__ == "__main__":
    if sys.argv[1:] == ["--serve"]:
        serve()
