"""The shared runtime package `aifinops_runtime`: bundled into both Lambda assets (and nothing else is added),
importable there from the asset itself while `aifinops` is not, and each function still names itself."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from aifinops.constructs.budget_enforcer import enforcer_code
from aifinops.constructs.gpu_guard import guard_code
from aifinops.constructs.policy_asset import RUNTIME_PACKAGE
from aifinops.lambdas.budget_enforcer import clients as enforcer_clients
from aifinops.lambdas.budget_enforcer import policy as enforcer_policy
from aifinops.lambdas.guard import clients as guard_clients
from aifinops.lambdas.guard import policy as guard_policy
from tests.e2e.assets import asset_dir_of_function

STACK = "runtime-assets"
POLICY = '{"version": 1}'
ASSET_MAX_BYTES = 400_000  # today about a tenth of it: a guard against bundling a tree, not a size budget


@pytest.fixture(scope="module")
def assets(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Path]]:
    """The staged asset directories of a guard and an enforcer function, synthesized once, while the runtime
    package holds a byte-code cache as a local run leaves it (this test run may write none)."""
    import aws_cdk as cdk
    from aws_cdk import aws_lambda as lambda_

    cache = RUNTIME_PACKAGE / "__pycache__"
    created = not cache.exists()
    probe = cache / "test_runtime_package_probe.cpython-311.pyc"
    cache.mkdir(exist_ok=True)
    probe.write_bytes(b"")
    try:
        outdir = tmp_path_factory.mktemp("runtime-cdk.out")
        app = cdk.App(outdir=str(outdir))
        stack = cdk.Stack(app, STACK)
        for name, code in (("Guard", guard_code(POLICY)), ("Enforcer", enforcer_code(POLICY))):
            lambda_.Function(stack, name, runtime=lambda_.Runtime.PYTHON_3_13, handler=f"{name.lower()}.handler",
                             code=code)
        app.synth()
    finally:
        probe.unlink()
        if created:
            cache.rmdir()
    yield {name: asset_dir_of_function(outdir, STACK, name.lower() + ".handler") for name in ("Guard", "Enforcer")}


def _files(directory: Path) -> set[str]:
    return {p.relative_to(directory).as_posix() for p in directory.rglob("*") if p.is_file()}


@pytest.mark.synth
@pytest.mark.parametrize("function", ["Guard", "Enforcer"])
def test_each_asset_bundles_the_runtime_package_and_nothing_more(assets: dict[str, Path], function: str) -> None:
    asset = assets[function]
    runtime = {f"aifinops_runtime/{p.relative_to(RUNTIME_PACKAGE).as_posix()}" for p in RUNTIME_PACKAGE.rglob("*")
               if p.is_file() and "__pycache__" not in p.parts}
    files = _files(asset)
    assert "aifinops_runtime/clients.py" in runtime
    assert runtime <= files
    assert "handler.py" in files
    assert not [f for f in files if "__pycache__" in f or f.endswith(".pyc")]
    assert {f.split("/")[0] for f in files if "/" in f} == {"aifinops_runtime"}  # no other directory is added
    assert sum((asset / f).stat().st_size for f in files) < ASSET_MAX_BYTES


@pytest.mark.synth
@pytest.mark.parametrize("function", ["Guard", "Enforcer"])
def test_the_runtime_package_is_imported_from_the_asset_and_aifinops_is_not_importable(
        assets: dict[str, Path], function: str, tmp_path: Path) -> None:
    """As Lambda imports it: the asset directory on the path, no site packages (`-S`)."""
    probe = ("import importlib.util, aifinops_runtime.policy, aifinops_runtime.bootstrap\n"
             "print(aifinops_runtime.__file__)\n"
             "print(importlib.util.find_spec('aifinops'))\n")
    env = {"PATH": os.environ.get("PATH", ""), "PYTHONPATH": str(assets[function])}
    process = subprocess.run([sys.executable, "-S", "-c", probe], env=env, cwd=tmp_path, capture_output=True,
                             text=True, timeout=30, check=False)
    assert process.returncode == 0, process.stderr
    location, aifinops = process.stdout.splitlines()
    assert Path(location).resolve().is_relative_to(assets[function].resolve())
    assert aifinops == "None"


def test_each_function_keeps_its_own_user_agent_also_in_other_accounts() -> None:
    """CloudTrail tells the functions apart by user agent; an assumed-role factory (another account) keeps it."""
    credentials = {"aws_access_key_id": "a", "aws_secret_access_key": "b", "aws_session_token": "c"}
    for module, agent in ((guard_clients, "aifinops-gpu-guard"), (enforcer_clients, "aifinops-budget-enforcer")):
        home = module.ClientFactory(max_attempts=1)
        other = home.with_credentials(credentials)
        assert isinstance(other, module.ClientFactory)
        for factory in (home, other):
            assert factory.client("sts", "us-east-1").meta.config.user_agent_extra == agent


@pytest.mark.parametrize(("module", "subject"), [(guard_policy, "invalid guard policy: "),
                                                 (enforcer_policy, "invalid budget enforcer policy: ")])
def test_each_function_names_its_own_policy_in_errors(module: Any, subject: str, tmp_path: Path) -> None:
    """The shared loader raises the function's own error type, whose message says which policy is wrong."""
    with pytest.raises(module.PolicyError) as missing:
        module.load_policy({}, tmp_path)
    assert str(missing.value).startswith(subject)
    assert module.ENV_VAR in missing.value.problems[0]
    with pytest.raises(module.PolicyError, match=f"^{subject}not JSON"):
        module.parse_policy("{")
