"""boto3 clients, one per service and region, with adaptive retries.

Settings resolve argument -> environment -> default. The endpoint URL needs no variable of ours: boto3 itself
honours AWS_ENDPOINT_URL (and AWS_ENDPOINT_URL_<SERVICE>), which is how tests point everything at moto;
`endpoint_url` exists for the CLI's --endpoint-url. Tests inject their own `Clients` (botocore Stubber) or a
factory built on a session whose event hooks count calls.

Each function subclasses `ClientFactory` only to name itself: `USER_AGENT` (sent as user_agent_extra, so
CloudTrail tells the functions apart). Clients are created under a lock (boto3's session.client() is not
thread-safe; the guard scans regions in threads) and then used by one thread each.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterator, Mapping
from typing import Any, Protocol

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

MAX_ATTEMPTS_ENV = "AIFINOPS_MAX_ATTEMPTS"
DEFAULT_MAX_ATTEMPTS = 8  # throttling on a large fleet is the usual error; adaptive mode also rate-limits

__all__ = ["API_ERRORS", "DEFAULT_MAX_ATTEMPTS", "MAX_ATTEMPTS_ENV", "ClientFactory", "Clients", "describe_error",
           "pages"]

API_ERRORS = (ClientError, BotoCoreError)  # what an AWS call raises: an error answer, or no answer at all


def describe_error(exc: ClientError | BotoCoreError) -> tuple[str, str]:
    """(error code, message) of a failed call: the service's code and message, or the botocore exception's name
    (EndpointConnectionError, ReadTimeoutError ...) and text."""
    if isinstance(exc, ClientError):
        err = exc.response.get("Error", {})
        return str(err.get("Code", "Unknown")), str(err.get("Message", exc))
    return type(exc).__name__, str(exc)


class Clients(Protocol):
    def client(self, service: str, region: str) -> Any: ...


class ClientFactory:
    """Creates and caches boto3 clients per (service, region)."""

    USER_AGENT = "aifinops"  # each function's subclass names itself

    def __init__(self, *, max_attempts: int | None = None, endpoint_url: str | None = None,
                 session: Any = None, credentials: Mapping[str, str] | None = None) -> None:
        if max_attempts is None:
            max_attempts = int(os.environ.get(MAX_ATTEMPTS_ENV) or DEFAULT_MAX_ATTEMPTS)
        if max_attempts < 1:
            raise ValueError(f"max_attempts must be at least 1, got {max_attempts}")
        self.max_attempts = max_attempts
        self.endpoint_url = endpoint_url
        self._session = session or boto3.session.Session()
        self._config = Config(retries={"mode": "adaptive", "max_attempts": max_attempts},
                              user_agent_extra=self.USER_AGENT)
        self._credentials = dict(credentials or {})  # aws_access_key_id, aws_secret_access_key, aws_session_token
        self._clients: dict[tuple[str, str], Any] = {}
        self._lock = threading.Lock()

    def client(self, service: str, region: str) -> Any:
        key = (service, region)
        with self._lock:
            if key not in self._clients:
                kwargs: dict[str, Any] = {"region_name": region, "config": self._config, **self._credentials}
                if self.endpoint_url:
                    kwargs["endpoint_url"] = self.endpoint_url
                self._clients[key] = self._session.client(service, **kwargs)
            return self._clients[key]

    def with_credentials(self, credentials: Mapping[str, str]) -> ClientFactory:
        """The same class, settings and session (its event hooks included), other credentials: another account."""
        return type(self)(max_attempts=self.max_attempts, endpoint_url=self.endpoint_url, session=self._session,
                          credentials=credentials)


def pages(call: Callable[..., dict[str, Any]], token: str, **kwargs: Any) -> Iterator[dict[str, Any]]:
    """Every page of a paginated call: `token` names the request and response field (NextToken, ...)."""
    while True:
        page = call(**kwargs)
        yield page
        next_token = page.get(token)
        if not next_token:
            return
        kwargs[token] = next_token
