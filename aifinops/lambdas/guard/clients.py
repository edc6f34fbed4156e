"""boto3 clients for the guard: the shared `aifinops_runtime.clients.ClientFactory` (adaptive retries,
argument -> environment -> default, one client per service and region created under a lock: regions are scanned
concurrently, one thread per region), under the guard's own user agent."""

from __future__ import annotations

from aifinops_runtime import clients as runtime
from aifinops_runtime.clients import DEFAULT_MAX_ATTEMPTS, MAX_ATTEMPTS_ENV, Clients

USER_AGENT = "aifinops-gpu-guard"

__all__ = ["DEFAULT_MAX_ATTEMPTS", "MAX_ATTEMPTS_ENV", "USER_AGENT", "ClientFactory", "Clients"]


class ClientFactory(runtime.ClientFactory):
    """Creates and caches boto3 clients per (service, region), as the guard."""

    USER_AGENT = USER_AGENT
