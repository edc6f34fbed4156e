"""The house's import rules, read from the source: the config package has no import cycle and reaches
nothing above it; no cdk-nag rule imports the checkov package (their shared facts live below both)."""

from __future__ import annotations

import ast
from graphlib import CycleError, TopologicalSorter
from pathlib import Path

from tests.conftest import ROOT

PACKAGE = ROOT / "aifinops"


def _imports(path: Path) -> set[str]:
    """Modules `path` imports at module level (TYPE_CHECKING blocks and function bodies excluded)."""
    found: set[str] = set()
    for node in ast.parse(path.read_text(encoding="utf-8")).body:
        if isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return found


def test_the_config_package_has_no_import_cycle() -> None:
    modules = {p.stem: p for p in (PACKAGE / "config").glob("*.py")}
    graph = {name: {m.split(".")[2] for m in _imports(path) if m.startswith("aifinops.config.") and
                    m.split(".")[2] in modules} - {name}
             for name, path in modules.items()}
    try:
        list(TopologicalSorter(graph).static_order())
    except CycleError as exc:  # pragma: no cover - the failure message is the point
        raise AssertionError(f"import cycle in aifinops/config: {exc.args[1]}") from None


def test_the_config_package_reaches_nothing_above_it() -> None:
    above = ("aifinops.constructs", "aifinops.infra", "aifinops.policies", "aifinops.check", "aifinops.cli",
             "aifinops.synth_checks", "aws_cdk")
    for path in (PACKAGE / "config").glob("*.py"):
        assert not [m for m in _imports(path) if m.startswith(above)], path.name


def test_no_nag_rule_imports_the_checkov_package() -> None:
    for path in (PACKAGE / "policies" / "nag").rglob("*.py"):
        assert not [m for m in _imports(path) if m.startswith("aifinops.policies.checkov")], path.name
