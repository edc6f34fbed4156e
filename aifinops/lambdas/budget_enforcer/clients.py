"""boto3 clients, one per service and region, with adaptive retries.

Settings resolve argument -> environment -> default. The endpoint URL needs no variable of ours: boto3 itself
honours AWS_ENDPOINT_URL (and AWS_ENDPOINT_URL_<SERVICE>), which is how tests point everything at moto;
`endpoint_url` exists for the CLI's --endpoint-url. Tests inject their own `Clients` (botocore Stubber).
"""

from __future__ import annotations

import os
from typing import Any, Protocol

import boto3
from botocore.config import Config

MAX_ATTEMPTS_ENV = "AIFINOPS_MAX_ATTEMPTS"
DEFAULT_MAX_ATTEMPTS = 8  # throttling on a large fleet is the usual error; adaptive mode also rate-limits
USER_AGENT = "aifinops-budget-enforcer"

__all__ = ["DEFAULT_MAX_ATTEMPTS", "MAX_ATTEMPTS_ENV", "ClientFactory", "Clients", "home_region"]


class Clients(Protocol):
    def client(self, service: str, region: str) -> Any: ...


class ClientFactory:
    """Creates and caches boto3 clients (thread-unsafe, like the Lambda that uses it)."""

    def __init__(self, *, max_attempts: int | None = None, endpoint_url: str | None = None,
                 session: Any = None) -> None:
        if max_attempts is None:
            max_attempts = int(os.environ.get(MAX_ATTEMPTS_ENV) or DEFAULT_MAX_ATTEMPTS)
        if max_attempts < 1:
            raise ValueError(f"max_attempts must be at least 1, got {max_attempts}")
        self.max_attempts = max_attempts
        self.endpoint_url = endpoint_url
        self._session = session or boto3.session.Session()
        self._config = Config(retries={"mode": "adaptive", "max_attempts": max_attempts},
                              user_agent_extra=USER_AGENT)
        self._clients: dict[tuple[str, str], Any] = {}

    def client(self, service: str, region: str) -> Any:
        key = (service, region)
        if key not in self._clients:
            kwargs: dict[str, Any] = {"region_name": region, "config": self._config}
            if self.endpoint_url:
                kwargs["endpoint_url"] = self.endpoint_url
            self._clients[key] = self._session.client(service, **kwargs)
        return self._clients[key]


def home_region(regions: tuple[str, ...] | list[str]) -> str:
    """Where the global Budgets and STS calls go: the Lambda's own region, else the first policy region."""
    return os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or regions[0]
