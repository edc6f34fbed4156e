"""JSON log lines on stdout, and metrics in CloudWatch embedded metric format (EMF).

One `JsonLog` per function (its logger name and service name). The Lambda entry point calls `configure()`;
a library caller (the CLI) does not, and then INFO lines are not printed at all. Lines are raw JSON (no
runtime prefix), so CloudWatch parses the EMF ones into metrics.
"""

from __future__ import annotations

import json
import logging
import sys
import time
from collections.abc import Mapping
from typing import Any

__all__ = ["JsonLog"]


class _StdoutHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """Writes to whatever sys.stdout is at the time (tests and tools swap it)."""

    @property
    def stream(self) -> Any:
        return sys.stdout

    @stream.setter
    def stream(self, _: Any) -> None:
        pass


class JsonLog:
    """The JSON lines of one function: logger `logger_name`, each line stamped with `service`."""

    def __init__(self, logger_name: str, service: str) -> None:
        self.logger = logging.getLogger(logger_name)
        self.service = service

    def configure(self, level: int = logging.INFO) -> None:
        """Print this logger's lines on stdout, unprefixed; idempotent."""
        if not any(isinstance(h, _StdoutHandler) for h in self.logger.handlers):
            handler = _StdoutHandler()
            handler.setFormatter(logging.Formatter("%(message)s"))
            self.logger.addHandler(handler)
        self.logger.setLevel(level)
        self.logger.propagate = False

    def event(self, message: str, level: int = logging.INFO, /, **fields: Any) -> None:
        """One JSON line: level, service, message, then `fields` (which cannot replace those three)."""
        line = {"level": logging.getLevelName(level), "service": self.service, "message": message}
        line.update((k, v) for k, v in fields.items() if k not in line)
        self.logger.log(level, json.dumps(line, default=str))

    def metrics(self, message: str, namespace: str, metrics: Mapping[str, float], *,
                dimensions: Mapping[str, str] | None = None, units: Mapping[str, str] | None = None) -> None:
        """One EMF line of its own (a long summary line cannot lose it): `metrics` in `namespace`, one dimension
        set of `dimensions` (none by default), each metric's unit from `units` (default Count)."""
        dims = dict(dimensions or {})
        emf = {"Timestamp": int(time.time() * 1000), "CloudWatchMetrics": [{
            "Namespace": namespace, "Dimensions": [list(dims)],
            "Metrics": [{"Name": name, "Unit": (units or {}).get(name, "Count")} for name in metrics]}]}
        self.event(message, _aws=emf, **dims, **metrics)
