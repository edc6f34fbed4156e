"""aifinops/lambdas imports nothing from the rest of aifinops, never aws_cdk, pydantic or yaml: only the
standard library, boto3/botocore, the shared runtime package `aifinops_runtime` (bundled into each asset) and
modules of its own package (relative imports). `aifinops_runtime` itself: the standard library and
boto3/botocore only, so the copy in an asset needs nothing that is not there."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
LAMBDAS = ROOT / "aifinops" / "lambdas"
RUNTIME = ROOT / "aifinops_runtime"
ALLOWED = set(sys.stdlib_module_names) | {"boto3", "botocore"}


def absolute_imports(module: Path) -> set[str]:
    """The top-level names `module` imports absolutely (relative imports stay inside its package)."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(module.read_text(), str(module))):
        if isinstance(node, ast.Import):
            names |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0:
            names.add((node.module or "").split(".")[0])
    return names


@pytest.mark.parametrize("module", sorted(LAMBDAS.rglob("*.py")), ids=lambda p: str(p.relative_to(LAMBDAS)))
def test_only_stdlib_boto3_runtime_and_relative_imports(module: Path) -> None:
    bad = absolute_imports(module) - ALLOWED - {"aifinops_runtime"}
    assert bad == set(), f"{module.name} imports {sorted(bad)}"


@pytest.mark.parametrize("module", sorted(RUNTIME.rglob("*.py")), ids=lambda p: str(p.relative_to(RUNTIME)))
def test_runtime_imports_only_stdlib_and_boto3(module: Path) -> None:
    bad = absolute_imports(module) - ALLOWED
    assert bad == set(), f"aifinops_runtime/{module.name} imports {sorted(bad)}"


def test_the_rule_covers_every_lambda_package() -> None:
    """The parametrized tests above walk aifinops/lambdas and aifinops_runtime recursively: the guard engine and
    the budget enforcer are both under the first, decide and its policy parser included."""
    modules = {p.relative_to(LAMBDAS).as_posix() for p in LAMBDAS.rglob("*.py")}
    assert {"guard/model.py", "guard/policy.py", "guard/decide.py", "budget_enforcer/policy.py"} <= modules
    assert {"clients.py", "policy.py", "logs.py"} <= {p.name for p in RUNTIME.rglob("*.py")}


def test_the_scan_catches_a_forbidden_import(tmp_path: Path) -> None:
    module = tmp_path / "m.py"
    module.write_text("import os\nfrom aifinops.config import load\nimport yaml.loader\nfrom . import x\n")
    assert absolute_imports(module) - ALLOWED == {"aifinops", "yaml"}
