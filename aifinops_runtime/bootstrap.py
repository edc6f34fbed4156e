"""Run a function's handler.py both as Lambda loads it and as a module of `aifinops.lambdas`.

Lambda imports ``handler.py`` as the top-level module ``handler`` from the asset directory, so its relative
imports would fail. `load_as_package` loads that directory as a package of the given name (PEP 366); the
handler then sets ``__package__`` to it, and ``from .policy import ...`` works in both cases.
"""

from __future__ import annotations

import sys
from importlib import util
from pathlib import Path

__all__ = ["load_as_package"]


def load_as_package(handler_file: str, name: str) -> str:
    """Load the directory of `handler_file` as the package `name` (its __init__.py run once); return `name`."""
    here = Path(handler_file).resolve().parent
    spec = util.spec_from_file_location(name, here / "__init__.py", submodule_search_locations=[str(here)])
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot load {here} as a package")
    package = util.module_from_spec(spec)
    sys.modules[spec.name] = package
    spec.loader.exec_module(package)
    return spec.name
