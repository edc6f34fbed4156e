"""The `aifinops` command line: `main.py` holds the Typer application (`app`) and the entry point
(`aifinops.cli.main:main`), one module per command group (budget, guard, org), and `io.py` exit codes, consoles
and output. `app` loads on first use: commands elsewhere (aifinops.check) import `aifinops.cli.io` without the
whole CLI."""

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from aifinops.cli.main import app

__all__ = ["app"]


def __getattr__(name: str) -> Any:
    if name == "app":
        return import_module("aifinops.cli.main").app
    raise AttributeError(f"module 'aifinops.cli' has no attribute {name!r}")
