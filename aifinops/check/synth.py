"""Synthesize the project's CDK app the way `make synth` does, and tell a failed validation (templates and
validation-report.json are written, `cdk synth` exits 1: collect them) from a failed synthesis (exit 2)."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

from aifinops.check.assembly import CheckInputError
from aifinops.check.nag import REPORT_FILE
from aifinops.check.source_locations import ENV_VAR as SOURCE_ENV


class SynthError(Exception):
    """Synthesis failed for a reason other than validation findings (bad config, app error)."""


def synthesize(cdk_out: Path, config: Path, project: Path | None = None) -> bool:
    """Run `cdk synth --quiet` in `project` (default: the working directory) into `cdk_out`.

    Returns True when synthesis succeeded, False when only the validation plugins failed it (their report
    and the templates are in `cdk_out`). Raises SynthError with the CLI's own message otherwise.
    """
    project = project or Path.cwd()
    if not (project / "cdk.json").is_file():
        raise CheckInputError(f"{project}: no cdk.json here; run from the project root or pass --cdk-out DIR")
    env = {**os.environ, SOURCE_ENV: "1"}  # findings on the app's own lines (`source_locations`)
    local_bin = project / "node_modules" / ".bin"
    if local_bin.is_dir():  # the pinned CDK CLI and Node 22, as the Makefile puts them first on PATH
        env["PATH"] = f"{local_bin}{os.pathsep}{env.get('PATH', '')}"
    cdk = shutil.which("cdk", path=env["PATH"])
    if cdk is None:
        raise CheckInputError("the CDK CLI (cdk) is not installed: run `npm ci` (or `make deps`), or pass --cdk-out")
    report = cdk_out / REPORT_FILE
    before = report.stat().st_mtime_ns if report.is_file() else None
    # --no-validation drops only the CDK's built-in CloudFormation validator (the nag packs and our plugins
    # still run): cfn-lint runs right after on the same templates, and the validator roughly doubled the synth
    # of the reference deployment (bench/RESULTS.md). `make test` still synthesizes with it on.
    completed = subprocess.run(
        [cdk, "synth", "--quiet", "--no-validation", "--output", str(cdk_out), "-c", f"aifinops:config={config}"],
        cwd=project, env=env, capture_output=True, text=True, check=False)
    if completed.returncode == 0:
        return True
    written = report.is_file() and report.stat().st_mtime_ns != before
    if written and (cdk_out / "manifest.json").is_file():
        return False
    message = (completed.stderr.strip() or completed.stdout.strip()).splitlines()
    raise SynthError("cdk synth failed (exit {}):\n{}".format(completed.returncode, "\n".join(message[-30:])))
