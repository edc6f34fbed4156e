"""Cost Explorer with a bound on billed requests.

Every Cost Explorer request costs USD 0.01 (GetCostAndUsage, GetCostForecast, GetAnomalies,
GetAnomalyMonitors alike; each page is a request). `CostExplorer` counts them and refuses the request that
would pass the run's bound (`RequestBoundReached`), so a run never costs more than the bound says, whatever the
data returns; callers skip what they cannot ask and report it.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from aifinops_runtime.clients import API_ERRORS, describe_error

METRIC = "UnblendedCost"
MESSAGE_MAX = 300


class CostExplorerError(Exception):
    """Cost Explorer refused or could not be reached: the message names the call, the code and the reason."""

    def __init__(self, call: str, code: str, message: str) -> None:
        if len(message) > MESSAGE_MAX:  # an HTML error page of a proxy or emulator says little after its start
            message = message[:MESSAGE_MAX] + "..."
        super().__init__(f"Cost Explorer {call}: {code}: {message}")
        self.call, self.code = call, code


class RequestBoundReached(Exception):
    """The run's bound on billed Cost Explorer requests is reached; the request was not sent."""


class CostExplorer:
    def __init__(self, client: Any, max_requests: int) -> None:
        self._client, self.max_requests, self.requests = client, max_requests, 0
        self._monitors: list[dict[str, Any]] | None = None

    def _call(self, name: str, **request: Any) -> dict[str, Any]:
        if self.requests >= self.max_requests:
            raise RequestBoundReached(f"{name}: the bound of {self.max_requests} Cost Explorer requests is reached")
        self.requests += 1
        try:
            return dict(getattr(self._client, _snake(name))(**request))
        except API_ERRORS as exc:
            code, message = describe_error(exc)
            raise CostExplorerError(name, code, message) from None

    def cost_and_usage(self, **request: Any) -> Iterator[dict[str, Any]]:
        """Each ResultsByTime entry of every page."""
        request = dict(request)
        while True:
            page = self._call("GetCostAndUsage", **request)
            yield from page.get("ResultsByTime", [])
            token = page.get("NextPageToken")
            if not token:
                return
            request["NextPageToken"] = token

    def forecast(self, **request: Any) -> float:
        """The forecast's total mean value, USD."""
        return float(self._call("GetCostForecast", **request).get("Total", {}).get("Amount", 0) or 0)

    def anomaly_monitors(self) -> list[dict[str, Any]]:
        """Every anomaly monitor of the account, listed once a run (every team's report looks its own up)."""
        if self._monitors is None:
            monitors: list[dict[str, Any]] = []
            request: dict[str, Any] = {}
            while True:
                page = self._call("GetAnomalyMonitors", **request)
                monitors += page.get("AnomalyMonitors", [])
                if not page.get("NextPageToken"):
                    break
                request["NextPageToken"] = page["NextPageToken"]
            self._monitors = monitors
        return self._monitors

    def anomalies(self, **request: Any) -> Iterator[dict[str, Any]]:
        request = dict(request)
        while True:
            page = self._call("GetAnomalies", **request)
            yield from page.get("Anomalies", [])
            if not page.get("NextPageToken"):
                return
            request["NextPageToken"] = page["NextPageToken"]


def tag_value(key: str) -> str:
    """Cost Explorer writes a tag group as `key$value` (`key$` when the resource has no such tag)."""
    return key.split("$", 1)[1] if "$" in key else key


def amount(group_or_total: dict[str, Any]) -> float:
    """The UnblendedCost of a group (`Metrics`) or of a period's `Total`."""
    metrics = group_or_total.get("Metrics", group_or_total)
    return float(metrics.get(METRIC, {}).get("Amount", 0) or 0)


def _snake(name: str) -> str:
    return "".join(f"_{c.lower()}" if c.isupper() else c for c in name).lstrip("_")
