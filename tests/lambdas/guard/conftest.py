"""A moto server per test module (the approach of tests/e2e/conftest.py) and clients pointed at it."""

from __future__ import annotations

import urllib.request
from pathlib import Path
from typing import Any

import pytest

from aifinops.lambdas.guard.clients import ClientFactory

REGION = "us-east-1"
FAKE_CREDENTIALS = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                    "AWS_SESSION_TOKEN": "testing"}



@pytest.fixture
def clients(moto_server: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> ClientFactory:
    """A clean moto (POST /moto-api/reset), fake credentials, and the guard's client factory (one attempt:
    moto's unimplemented calls answer 500 and would otherwise be retried)."""
    urllib.request.urlopen(urllib.request.Request(f"{moto_server}/moto-api/reset", method="POST"), timeout=10)
    for key, value in {**FAKE_CREDENTIALS, "AWS_DEFAULT_REGION": REGION, "AWS_CONFIG_FILE": str(tmp_path / "none"),
                       "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "none")}.items():
        monkeypatch.setenv(key, value)
    for key in ("AWS_PROFILE", "AWS_ENDPOINT_URL"):
        monkeypatch.delenv(key, raising=False)
    return ClientFactory(endpoint_url=moto_server, max_attempts=1)


def count_calls(client: Any, operation: str) -> list[int]:
    """A one-element counter incremented on every `operation` request the client sends (botocore event hook)."""
    counter = [0]

    def bump(**_: object) -> None:
        counter[0] += 1

    client.meta.events.register(f"before-call.{client.meta.service_model.service_id.hyphenize()}.{operation}", bump)
    return counter
