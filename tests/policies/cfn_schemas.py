"""The CloudFormation resource schemas cfn-lint ships (one per resource type), read for property paths."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

import cfnlint  # type: ignore[import-untyped]

SCHEMAS = Path(cfnlint.__file__).parent / "data" / "schemas"


@cache
def schema_paths(leaf: str, ignored: tuple[str, ...] = ()) -> dict[str, set[str]]:
    """Resource type -> every property path (`A.B[].C`) whose last name matches the regex `leaf`, except those
    ending with one of `ignored`."""
    pattern = re.compile(leaf)
    index = json.loads((SCHEMAS / "providers" / "us-east-1.json").read_text(encoding="utf-8"))
    found: dict[str, set[str]] = {}
    for resource_type, digest in index.items():
        file = SCHEMAS / "resources" / f"{digest}.json"
        if file.exists():
            schema = json.loads(file.read_text(encoding="utf-8"))
            paths = {p for p in _walk(schema, schema, pattern, "", frozenset(), 0) if not p.endswith(ignored)}
            if paths:
                found[resource_type] = paths
    return found


def _walk(schema: dict[str, Any], node: Any, pattern: re.Pattern[str], path: str, seen: frozenset[str],
          depth: int) -> Iterator[str]:
    if depth > 40 or not isinstance(node, dict):
        return
    ref = node.get("$ref")
    if isinstance(ref, str):
        if ref in seen:
            return
        target: Any = schema
        for part in ref.removeprefix("#/").split("/"):
            target = target.get(part, {}) if isinstance(target, dict) else {}
        yield from _walk(schema, target, pattern, path, seen | {ref}, depth + 1)
        return
    for name, sub in (node.get("properties") or {}).items():
        step = f"{path}.{name}" if path else name
        if pattern.search(name):
            yield step
        yield from _walk(schema, sub, pattern, step, seen, depth + 1)
    if "items" in node:
        yield from _walk(schema, node["items"], pattern, f"{path}[]", seen, depth + 1)
    for key in ("oneOf", "anyOf", "allOf"):
        for sub in node.get(key) or []:
            yield from _walk(schema, sub, pattern, path, seen, depth + 1)
