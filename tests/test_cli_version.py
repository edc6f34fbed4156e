"""`aifinops --version` prints the package version, and the CLI starts without the CDK (no jsii, no Node):
commands that do not synthesize stay quick and print nothing from Node."""

from __future__ import annotations

import subprocess
import sys
from importlib.metadata import version
from pathlib import Path

from typer.testing import CliRunner

from aifinops.cli import app


def test_version_prints_the_package_version() -> None:
    result = CliRunner().invoke(app, ["--version"])
    assert result.exit_code == 0
    assert result.stdout.strip() == f"aifinops {version('aifinops')}"


def test_the_cli_does_not_load_the_cdk() -> None:
    probe = "import sys, aifinops.cli; print(sorted(m for m in ('aws_cdk', 'jsii', 'cdk_nag') if m in sys.modules))"
    completed = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=120)
    assert completed.stdout.strip() == "[]"
    assert completed.stderr == ""


def test_the_changelog_describes_this_version() -> None:
    changelog = (Path(__file__).resolve().parents[1] / "CHANGELOG.md").read_text(encoding="utf-8")
    assert f"## [{version('aifinops')}] - " in changelog
