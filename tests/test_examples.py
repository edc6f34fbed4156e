"""Every Python example in the README and in the constructs' docstrings runs as written."""

from __future__ import annotations

import inspect
import json
import re
import textwrap
from pathlib import Path

import pytest

import aifinops.constructs as constructs_pkg
from tests.conftest import ROOT

FENCED = re.compile(r"```python\n(.*?)```", re.S)


def readme_examples() -> list[str]:
    return FENCED.findall((ROOT / "README.md").read_text())


def docstring_examples() -> dict[str, str]:
    found = {}
    for name in constructs_pkg.__all__:
        doc = inspect.getdoc(getattr(constructs_pkg, name)) or ""
        if "Example::" in doc:
            block = doc.split("Example::", 1)[1]
            lines = []
            for line in block.splitlines()[1:]:
                if line and not line.startswith("    "):
                    break
                lines.append(line)
            found[name] = textwrap.dedent("\n".join(lines))
    return found


@pytest.mark.parametrize("code", readme_examples(), ids=lambda c: c.splitlines()[0][:40])
def test_readme_example_runs(code: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(ROOT)
    monkeypatch.setenv("CDK_OUTDIR", str(tmp_path))
    exec(compile(code, "README.md", "exec"), {"__name__": "readme_example"})
    # `cdk synth` would have to resolve a missing context value (AZ or VPC lookups) with AWS credentials
    for manifest in tmp_path.rglob("manifest.json"):
        assert not json.loads(manifest.read_text()).get("missing"), f"{manifest}: needs a context lookup"


@pytest.mark.parametrize(("name", "code"), sorted(docstring_examples().items()))
def test_docstring_example_runs(name: str, code: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(ROOT)
    monkeypatch.setenv("CDK_OUTDIR", str(tmp_path))
    exec(compile(code, f"{name} docstring", "exec"), {"__name__": "docstring_example"})


def test_every_construct_documents_an_example() -> None:
    constructs = [n for n in constructs_pkg.__all__ if n not in ("ConstructPropError",)]
    assert sorted(docstring_examples()) == sorted(constructs)
