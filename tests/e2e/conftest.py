"""End-to-end fixtures: a moto server on a free loopback port, the enforcer's code as synthesized by the real
`TeamBudgetsStack`, and a way to run it the way Lambda does: in a subprocess whose import path holds only the
asset directory and boto3 (with its dependencies) — aifinops, aws_cdk, pydantic and yaml are not importable.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import urllib.request
from dataclasses import dataclass
from datetime import datetime
from importlib import metadata
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.assets import FunctionAsset, function_asset

ENFORCER_STACK = "aifinops-team-budgets"
PAUSE_HANDLER = "handler.handler"
RESUME_HANDLER = "handler.resume_handler"
REGION = "us-east-1"
FAKE_CREDENTIALS = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                    "AWS_SESSION_TOKEN": "testing"}
NOT_IMPORTABLE = ("aifinops", "aws_cdk", "pydantic", "yaml")

# Runs inside the subprocess; sys.argv: handler ("handler.handler"), result file, optional ISO time at which the
# handler module's `utcnow` clock is frozen (the guard's; time travel without touching the deployed code). Event on
# stdin.
LAMBDA_BOOTSTRAP = f"""
import importlib, json, sys
from datetime import datetime
for name in {NOT_IMPORTABLE!r}:
    try:
        importlib.import_module(name)
    except ImportError:
        continue
    raise SystemExit(f"{{name}} must not be importable in the Lambda environment")
module_name, function_name = sys.argv[1].rsplit(".", 1)
module = importlib.import_module(module_name)
if len(sys.argv) > 3:
    frozen = datetime.fromisoformat(sys.argv[3])
    assert callable(module.utcnow), "the handler module has no utcnow clock"
    module.utcnow = lambda: frozen
function = getattr(module, function_name)
result = function(json.loads(sys.stdin.read()), None)
with open(sys.argv[2], "w") as out:
    json.dump(result, out)
"""


@dataclass(frozen=True)
class EnforcerAssets:
    pause: FunctionAsset
    resume: FunctionAsset


@dataclass(frozen=True)
class LambdaRun:
    result: dict[str, Any]
    log: list[dict[str, Any]]  # the JSON lines the function printed


@pytest.fixture(scope="session")
def enforcer_assets(tmp_path_factory: pytest.TempPathFactory, config: Any) -> EnforcerAssets:
    """Synthesize the real TeamBudgetsStack from the reference finops.yaml once per session."""
    import aws_cdk as cdk

    from aifinops.infra.context import cdk_json_context
    from aifinops.infra.team_budgets_stack import TeamBudgetsStack

    outdir = tmp_path_factory.mktemp("enforcer-cdk.out")
    app = cdk.App(outdir=str(outdir), context=cdk_json_context())
    TeamBudgetsStack(app, ENFORCER_STACK, config=config,
                     env=cdk.Environment(account=config.organization.management_account, region=REGION))
    app.synth()
    return EnforcerAssets(pause=function_asset(outdir, ENFORCER_STACK, PAUSE_HANDLER),
                          resume=function_asset(outdir, ENFORCER_STACK, RESUME_HANDLER))


@pytest.fixture(scope="session")
def boto3_only_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A directory holding only boto3 and what it needs (links into this venv), like the Lambda runtime."""
    site = tmp_path_factory.mktemp("boto3-only")
    names = _distribution_closure("boto3")
    for top_level, distributions in metadata.packages_distributions().items():
        if not any(d.lower().replace("_", "-") in names for d in distributions):
            continue
        for candidate in (top_level, f"{top_level}.py"):
            spec_path = _find_on_sys_path(candidate)
            if spec_path is not None:
                (site / candidate).symlink_to(spec_path)
    assert (site / "boto3").exists() and (site / "botocore").exists()
    return site



@pytest.fixture
def moto(moto_server: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> str:
    """A clean moto (POST /moto-api/reset) and fake credentials for boto3 in this process."""
    urllib.request.urlopen(urllib.request.Request(f"{moto_server}/moto-api/reset", method="POST"), timeout=10)
    for key, value in {**FAKE_CREDENTIALS, "AWS_DEFAULT_REGION": REGION, "AWS_REGION": REGION,
                       "AWS_CONFIG_FILE": str(tmp_path / "none"),
                       "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "none"), "AIFINOPS_MAX_ATTEMPTS": "2"}.items():
        monkeypatch.setenv(key, value)
    for key in ("AWS_PROFILE", "AWS_ENDPOINT_URL"):
        monkeypatch.delenv(key, raising=False)
    return moto_server


def run_lambda(asset: FunctionAsset, event: Any, *, endpoint_url: str, boto3_path: Path, workdir: Path,
               extra_env: dict[str, str] | None = None, now: datetime | None = None) -> LambdaRun:
    """Invoke `asset.handler` like Lambda: import path = asset directory + boto3 only (`-S`: no site
    packages, so the editable aifinops install is invisible), the function's environment from the template,
    AWS_ENDPOINT_URL pointing boto3 at moto. `now`: the time the handler module's `utcnow` returns."""
    workdir.mkdir(parents=True, exist_ok=True)
    result_file = workdir / "result.json"
    env = {**FAKE_CREDENTIALS, **asset.environment, "AWS_REGION": REGION, "AWS_DEFAULT_REGION": REGION,
           "AWS_ENDPOINT_URL": endpoint_url, "AIFINOPS_MAX_ATTEMPTS": "2", "AWS_EC2_METADATA_DISABLED": "true",
           "AWS_CONFIG_FILE": str(workdir / "none"), "AWS_SHARED_CREDENTIALS_FILE": str(workdir / "none"),
           "HOME": str(workdir), "PYTHONPATH": os.pathsep.join([str(asset.directory), str(boto3_path)]),
           **({"AWS_LAMBDA_FUNCTION_NAME": asset.function_name} if asset.function_name else {}),
           **(extra_env or {})}
    clock = [now.isoformat()] if now is not None else []
    process = subprocess.run([sys.executable, "-S", "-c", LAMBDA_BOOTSTRAP, asset.handler, str(result_file), *clock],
                             input=json.dumps(event), env=env, cwd=workdir, capture_output=True, text=True,
                             timeout=60, check=False)
    assert process.returncode == 0, f"exit {process.returncode}\n{process.stderr}\n{process.stdout}"
    log = [json.loads(line) for line in process.stdout.splitlines() if line.startswith("{")]
    return LambdaRun(result=json.loads(result_file.read_text()), log=log)


def _distribution_closure(name: str) -> set[str]:
    seen: set[str] = set()
    todo = [name]
    while todo:
        current = todo.pop().lower().replace("_", "-")
        if current in seen:
            continue
        seen.add(current)
        for requirement in metadata.requires(current) or []:
            if "extra ==" in requirement:
                continue
            match = re.match(r"[A-Za-z0-9._-]+", requirement)
            if match:
                todo.append(match.group(0))
    return seen


def _find_on_sys_path(entry: str) -> Path | None:
    for directory in sys.path:
        candidate = Path(directory) / entry
        if directory and candidate.exists() and "site-packages" in directory:
            return candidate
    return None
