"""aifinops/lambdas imports nothing from the rest of aifinops, never aws_cdk, pydantic or yaml: only the
standard library, boto3/botocore and modules of its own package (relative imports)."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

LAMBDAS = Path(__file__).resolve().parents[2] / "aifinops" / "lambdas"
ALLOWED = set(sys.stdlib_module_names) | {"boto3", "botocore"}


@pytest.mark.parametrize("module", sorted(LAMBDAS.rglob("*.py")), ids=lambda p: str(p.relative_to(LAMBDAS)))
def test_only_stdlib_boto3_and_relative_imports(module: Path) -> None:
    bad = []
    for node in ast.walk(ast.parse(module.read_text(), str(module))):
        if isinstance(node, ast.Import):
            bad += [a.name for a in node.names if a.name.split(".")[0] not in ALLOWED]
        elif (isinstance(node, ast.ImportFrom) and node.level == 0
              and (node.module or "").split(".")[0] not in ALLOWED):
            bad.append(node.module or "")
    assert bad == [], f"{module.name} imports {bad}"


def test_the_rule_covers_every_lambda_package() -> None:
    """The parametrized test above walks aifinops/lambdas recursively: the guard engine and the budget
    enforcer are both under it, decide and its policy parser included."""
    modules = {p.relative_to(LAMBDAS).as_posix() for p in LAMBDAS.rglob("*.py")}
    assert {"guard/model.py", "guard/policy.py", "guard/decide.py", "budget_enforcer/policy.py"} <= modules
