"""Record where the app created each construct, so that `aifinops check` can put a finding on the user's code.

The CDK records a stack trace per construct with its debug setting, but in a Python app it holds only the
JavaScript frames of jsii, never the app's file. So, when `AIFINOPS_SOURCE_LOCATIONS=1` (which `aifinops check`
sets when it synthesizes) or `CDK_DEBUG=true`, importing `aifinops` wraps `jsii.create`, through which every
construct a Python app makes passes: the first frame outside installed libraries (the CDK, jsii, and aifinops
itself when installed as one) is recorded as construct metadata `aifinops:source` ("path:line", relative to the
working directory when inside it). An L1
that an L2 creates inside JavaScript inherits its L2's location (`CloudAssembly.source_of`). Off by default:
walking the stack for every construct costs time.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

from aifinops.check.marker_key import SOURCE_KEY

ENV_VAR = "AIFINOPS_SOURCE_LOCATIONS"
_HERE = str(Path(__file__).resolve())
_LIBRARY_MARKERS = ("site-packages", "dist-packages", f"{os.sep}lib{os.sep}python", "<frozen", "<string>")
_enabled = False

__all__ = ["ENV_VAR", "enable", "enabled_by_environment"]


def enabled_by_environment() -> bool:
    return os.environ.get(ENV_VAR) == "1" or os.environ.get("CDK_DEBUG", "").lower() in ("1", "true")


def enable() -> None:
    """Wrap `jsii.create` once; each construct created from Python afterwards records its source location."""
    global _enabled
    if _enabled:
        return
    import jsii

    original = jsii.create
    cwd = Path.cwd().resolve()

    def create(klass: Any, obj: Any, args: Any = None, *rest: Any, **kwargs: Any) -> Any:
        created = original(klass, obj, args, *rest, **kwargs)
        node = getattr(obj, "node", None)
        if node is not None and hasattr(node, "add_metadata"):
            where = _caller(cwd)
            if where:
                node.add_metadata(SOURCE_KEY, where)
        return created

    jsii.create = create
    _enabled = True


def _caller(cwd: Path) -> str | None:
    frame = sys._getframe(2)
    while frame is not None:
        file = frame.f_code.co_filename
        if file != _HERE and not any(m in file for m in _LIBRARY_MARKERS):
            path = Path(file)
            try:
                shown = path.resolve().relative_to(cwd).as_posix()
            except ValueError:
                shown = path.as_posix()
            return f"{shown}:{frame.f_lineno}"
        frame = frame.f_back  # type: ignore[assignment]
    return None
