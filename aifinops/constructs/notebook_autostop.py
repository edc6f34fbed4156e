"""Stop this SageMaker notebook instance once every Jupyter kernel and terminal has been quiet long enough.

Runs ON the notebook instance, not in CDK: `GpuNotebook` embeds this file's text in its on-start
lifecycle script, and cron runs it every 5 minutes as `python <file> --idle-seconds N`. It follows AWS's
sample auto-stop-idle (aws-samples/amazon-sagemaker-notebook-instance-lifecycle-config-samples): read the
local Jupyter server's sessions, stop when no kernel is busy and none was active for N seconds. It
differs where the sample cannot work without internet or misjudges: standard library and boto3 only (no
download, no `requests`), region from the instance metadata file, times compared in UTC, terminals count
as activity, and an unreadable Jupyter answer never stops anything. Python 3.9 compatible.
"""
# ruff: noqa: UP017 - datetime.UTC needs Python 3.11; the notebook's Python may be 3.9

from __future__ import annotations

import argparse
import json
import ssl
import sys
import urllib.error
import urllib.request
from collections.abc import Sequence
from datetime import datetime, timezone
from typing import Any

JUPYTER = "https://localhost:8443"  # the notebook's Jupyter server (self-signed certificate)
METADATA = "/opt/ml/metadata/resource-metadata.json"  # ResourceName, ResourceArn of this instance
QUIET_STATES = ("idle", "dead")  # any other kernel state (busy, starting, ...) counts as working


def parse_time(value: object) -> datetime | None:
    """A Jupyter timestamp such as 2026-09-24T12:00:00.123456Z as an aware UTC datetime, or None."""
    if not isinstance(value, str) or not value:
        return None
    text = value[:-1] + "+00:00" if value[-1] in "Zz" else value
    try:
        when = datetime.fromisoformat(text)
    except ValueError:
        return None
    return when if when.tzinfo else when.replace(tzinfo=timezone.utc)


def idle_decision(sessions: Sequence[Any], terminals: Sequence[Any], now: datetime, idle_seconds: int,
                  started: datetime | None = None) -> tuple[bool, str]:
    """(stop?, why). Stop only when no kernel is working and the latest kernel or terminal activity (or,
    with neither, the instance start `started`) is at least `idle_seconds` before `now`."""
    latest = started
    for session in sessions:
        kernel = session.get("kernel") or {}
        label = kernel.get("name") or session.get("path") or "?"
        state = kernel.get("execution_state")
        if state not in QUIET_STATES:
            return False, f"kernel {label} is {state}"
        when = parse_time(kernel.get("last_activity"))
        if when is None:
            return False, f"kernel {label} has no readable last_activity ({kernel.get('last_activity')!r})"
        latest = when if latest is None or when > latest else latest
    for terminal in terminals:
        when = parse_time(terminal.get("last_activity"))
        if when is None:
            return False, f"terminal {terminal.get('name')} has no readable last_activity"
        latest = when if latest is None or when > latest else latest
    if latest is None:
        return False, "no kernel, no terminal and no start time: cannot tell how long it has been idle"
    quiet = int((now - latest).total_seconds())
    if quiet < idle_seconds:
        return False, f"last activity {quiet}s ago, below the {idle_seconds}s idle limit"
    return True, f"idle for {quiet}s (limit {idle_seconds}s)"


def jupyter_get(path: str, missing_ok: bool = False) -> Any:
    """GET a Jupyter REST path on this instance; [] for a missing endpoint when `missing_ok`."""
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE  # localhost only; the server's certificate is self-signed
    try:
        with urllib.request.urlopen(JUPYTER + path, timeout=30, context=context) as response:
            return json.load(response)
    except urllib.error.HTTPError as error:
        if missing_ok and error.code == 404:
            return []
        raise


def log(message: str) -> None:
    stamp = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    print(f"{stamp} aifinops-autostop: {message}", flush=True)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Stop this notebook instance when Jupyter is idle.")
    parser.add_argument("--idle-seconds", type=int, required=True)
    args = parser.parse_args(argv)
    with open(METADATA, encoding="utf-8") as handle:
        metadata = json.load(handle)
    name = metadata["ResourceName"]
    region = metadata["ResourceArn"].split(":")[3]
    try:
        sessions = jupyter_get("/api/sessions")
        terminals = jupyter_get("/api/terminals", missing_ok=True)
    except (OSError, ValueError) as error:
        log(f"cannot read the Jupyter server ({error}); not stopping")
        return 1
    import boto3  # the notebook's own Python has it; imported late so tests need no AWS SDK

    client = boto3.client("sagemaker", region_name=region)
    started = None
    if not sessions and not terminals:
        started = client.describe_notebook_instance(NotebookInstanceName=name)["LastModifiedTime"]
    stop, reason = idle_decision(sessions, terminals, datetime.now(timezone.utc), args.idle_seconds, started)
    log(reason)
    if stop:
        log(f"stopping notebook instance {name}")
        client.stop_notebook_instance(NotebookInstanceName=name)
    return 0


if __name__ == "__main__":
    sys.exit(main())
