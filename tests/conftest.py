"""Shared fixtures: Node 22 on PATH for jsii, the reference config, one synthesis per session."""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]
# jsii (and the CDK CLI) must run on the pinned Node 22, not the machine's Node 20.
os.environ["PATH"] = f"{ROOT / 'node_modules' / '.bin'}{os.pathsep}{os.environ['PATH']}"

REFERENCE_CONFIG = ROOT / "finops.yaml"
# The guard's end-to-end fixtures live next to its fleet; a plugin, because tests/e2e/conftest.py is imported by them.
pytest_plugins = ["tests.e2e.guard_fleet"]


@pytest.fixture(scope="session")
def config() -> Any:
    from aifinops.config import load

    return load(REFERENCE_CONFIG)


@dataclass(frozen=True)
class Assembly:
    """A synthesized cloud assembly on disk."""

    outdir: Path

    def template(self, stack: str) -> dict[str, Any]:
        return json.loads((self.outdir / f"{stack}.template.json").read_text())

    def stacks(self) -> list[str]:
        return sorted(p.name.removesuffix(".template.json") for p in self.outdir.glob("*.template.json"))

    def validation_report(self) -> dict[str, Any]:
        path = self.outdir / "validation-report.json"
        return json.loads(path.read_text()) if path.exists() else {"pluginReports": []}


@pytest.fixture(scope="session")
def reference_assembly(tmp_path_factory: pytest.TempPathFactory, config: Any) -> Assembly:
    """The reference deployment, synthesized once per test session exactly as app.py does."""
    import aws_cdk as cdk

    from aifinops.infra import build
    from aifinops.infra.context import cdk_json_context

    outdir = tmp_path_factory.mktemp("cdk.out")
    app = cdk.App(context=cdk_json_context(), outdir=str(outdir))
    build(app, config)
    app.synth()
    return Assembly(outdir)


@pytest.fixture(scope="module")
def moto_server() -> Iterator[str]:
    """One moto server per test module on 127.0.0.1, port chosen by the OS: the code under test speaks
    real HTTP to it. Tests reset it with POST /moto-api/reset."""
    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # one access-log line per request otherwise
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    try:
        yield f"http://{host}:{port}"
    finally:
        server.stop()
