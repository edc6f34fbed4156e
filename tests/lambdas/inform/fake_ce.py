"""A small, independent model of Cost Explorer over seeded line items: GetCostAndUsage groups by up to two of
SERVICE and tag keys (`key$value`, `key$` when untagged) per MONTHLY or DAILY period, pages of `page_size`
groups; GetCostForecast answers a configured amount per filter. Every call is recorded."""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from botocore.exceptions import ClientError


@dataclass(frozen=True)
class Item:
    day: date
    service: str
    usd: float
    tags: dict[str, str] = field(default_factory=dict)


def _error(code: str, message: str, operation: str) -> ClientError:
    return ClientError({"Error": {"Code": code, "Message": message}}, operation)


class FakeCostExplorer:
    def __init__(self, items: list[Item], *, forecasts: dict[str, float] | None = None, page_size: int = 1000,
                 refuse: set[str] | None = None, anomalies: dict[str, list[dict[str, Any]]] | None = None) -> None:
        self.items, self.forecasts, self.page_size = items, forecasts or {}, page_size
        self.anomalies_by_monitor = anomalies or {}  # monitor name -> its anomalies
        self.refuse = refuse or set()  # operation names answered AccessDeniedException
        self.calls: list[tuple[str, dict[str, Any]]] = []

    def _periods(self, start: date, end: date, granularity: str) -> list[tuple[date, date]]:
        out, cursor = [], start
        while cursor < end:
            if granularity == "DAILY":
                nxt = cursor + timedelta(days=1)
            else:
                nxt = (cursor.replace(day=1) + timedelta(days=32)).replace(day=1)
            out.append((cursor, min(nxt, end)))
            cursor = nxt
        return out

    def get_cost_and_usage(self, **request: Any) -> dict[str, Any]:
        self.calls.append(("GetCostAndUsage", request))
        if "GetCostAndUsage" in self.refuse:
            raise _error("AccessDeniedException", "not authorized to perform ce:GetCostAndUsage", "GetCostAndUsage")
        start = date.fromisoformat(request["TimePeriod"]["Start"])
        end = date.fromisoformat(request["TimePeriod"]["End"])
        tag_filter = request.get("Filter", {}).get("Tags")
        results = []
        for p_start, p_end in self._periods(start, end, request["Granularity"]):
            groups: dict[tuple[str, ...], float] = defaultdict(float)
            for item in self.items:
                if not p_start <= item.day < p_end:
                    continue
                if tag_filter and item.tags.get(tag_filter["Key"]) not in tag_filter["Values"]:
                    continue
                keys = tuple(item.service if g["Type"] == "DIMENSION" else f"{g['Key']}${item.tags.get(g['Key'], '')}"
                             for g in request.get("GroupBy", []))
                groups[keys] += item.usd
            results.append({"TimePeriod": {"Start": p_start.isoformat(), "End": p_end.isoformat()},
                            "Groups": [{"Keys": list(k), "Metrics": {"UnblendedCost": {"Amount": f"{v:.4f}",
                                                                                        "Unit": "USD"}}}
                                       for k, v in sorted(groups.items())]})
        # page over the groups of all periods, as Cost Explorer pages large answers
        flat = [(i, g) for i, r in enumerate(results) for g in r["Groups"]]
        offset = int(request.get("NextPageToken", "0"))
        page = flat[offset:offset + self.page_size]
        out = [{**r, "Groups": [g for i, g in page if i == n]} for n, r in enumerate(results)]
        response: dict[str, Any] = {"ResultsByTime": out}
        if offset + self.page_size < len(flat):
            response["NextPageToken"] = str(offset + self.page_size)
        return response

    def get_cost_forecast(self, **request: Any) -> dict[str, Any]:
        self.calls.append(("GetCostForecast", request))
        key = json.dumps(request.get("Filter", {}), sort_keys=True)
        for name, amount in self.forecasts.items():
            if (name == "*" and "Or" in key) or f'"Values": ["{name}"]' in key:
                return {"Total": {"Amount": str(amount), "Unit": "USD"}}
        raise _error("DataUnavailableException", "Insufficient amount of historical data", "GetCostForecast")

    def get_anomaly_monitors(self, **request: Any) -> dict[str, Any]:
        self.calls.append(("GetAnomalyMonitors", request))
        arn = "arn:aws:ce::111111111111:anomalymonitor/"
        return {"AnomalyMonitors": [{"MonitorName": name, "MonitorArn": f"{arn}{name}"}
                                    for name in sorted(self.anomalies_by_monitor)]}

    def get_anomalies(self, **request: Any) -> dict[str, Any]:
        self.calls.append(("GetAnomalies", request))
        name = request["MonitorArn"].rsplit("/", 1)[1]
        start, end = request["DateInterval"]["StartDate"], request["DateInterval"]["EndDate"]
        return {"Anomalies": [a for a in self.anomalies_by_monitor.get(name, [])
                              if start <= a["AnomalyStartDate"][:10] <= end]}
