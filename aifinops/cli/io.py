"""What every `aifinops` command shares: exit codes, the two consoles, the config loader that prints
file:line problems, and how a run's summary is printed or emitted as JSON."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import typer
from rich.console import Console

from aifinops.config import ConfigError, FinOpsConfig, load
from aifinops.policies.scp import check_scp_limits

API_ERROR = 1  # the run finished, but an AWS call (or a check) failed
BAD_INPUT = 2
# Reports are read in CI logs too: do not squeeze tables to 80 columns there.
out = Console(width=None if sys.stdout.isatty() else 160)
err = Console(stderr=True, width=None if sys.stderr.isatty() else 200)


def print_config_issues(exc: ConfigError) -> None:
    """One plain line a problem, at most config.errors.MAX_SHOWN of them. Not through Rich: a value such as
    ':fire:' or '[bold]' must reach the terminal as written, never as an emoji or a style."""
    for line in exc.lines():
        print(line, file=sys.stderr)


def load_or_exit(path: Path) -> FinOpsConfig:
    """Every command that reads the config: print file:line problems and exit 2 on bad input, including
    guardrails that cannot fit the configured SCP limits."""
    try:
        config = load(path)
        check_scp_limits(config, str(path))
    except ConfigError as exc:
        print_config_issues(exc)
        raise typer.Exit(BAD_INPUT) from None
    return config


def finish(data: dict[str, Any], json_output: bool, print_summary: Callable[[dict[str, Any]], None]) -> None:
    """Emit a run's summary (JSON, or the command's table), then exit 1 when it reports API errors."""
    if json_output:
        typer.echo(json.dumps(data, indent=2))
    else:
        print_summary(data)
    if data["errors"]:
        raise typer.Exit(API_ERROR)


__all__ = ["API_ERROR", "BAD_INPUT", "err", "finish", "load_or_exit", "out", "print_config_issues"]
