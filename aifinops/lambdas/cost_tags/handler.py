"""Lambda entry point of the cost allocation tag activator: ``handler.handler``.

Runs on its schedule (every few hours) and once at each deployment that changes the keys. Each run: one
activation pass (`activation.run_pass`), then
- every key active: the schedule is disabled (nothing left to do; a deployment that adds a key enables it again);
- otherwise the schedule stays enabled, and a key still inactive `AIFINOPS_COST_TAG_OVERDUE_DAYS` after its first
  pass counts as overdue: the metric `OverdueKeys` (namespace `aifinops/CostAllocationTags`) feeds an alarm.
The first pass of each key is kept in the SSM parameter `AIFINOPS_COST_TAG_STATE` (JSON: key -> ISO time).

Environment: AIFINOPS_COST_TAG_KEYS (comma-separated), AIFINOPS_COST_TAG_STATE, AIFINOPS_COST_TAG_RULE (the
schedule's EventBridge rule name), AIFINOPS_COST_TAG_OVERDUE_DAYS. Returns the summary it logs
(`activation.Pass.to_dict` plus `schedule`). Never raises on an AWS error: it reports it and the next run retries.
"""

from __future__ import annotations

if not __package__:  # pragma: no cover - exercised by tests in a subprocess, the way Lambda loads it
    from aifinops_runtime.bootstrap import load_as_package

    __package__ = load_as_package(__file__, "cost_tags")

import json
import logging
import os
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from aifinops_runtime import clients as runtime
from aifinops_runtime.clients import API_ERRORS, describe_error
from aifinops_runtime.logs import JsonLog

from .activation import run_pass

KEYS_ENV = "AIFINOPS_COST_TAG_KEYS"
STATE_ENV = "AIFINOPS_COST_TAG_STATE"
RULE_ENV = "AIFINOPS_COST_TAG_RULE"
OVERDUE_ENV = "AIFINOPS_COST_TAG_OVERDUE_DAYS"
NAMESPACE = "aifinops/CostAllocationTags"
COST_EXPLORER_REGION = "us-east-1"  # Cost Explorer's API lives in us-east-1
LOG = JsonLog("aifinops.cost_tags", "aifinops-cost-tags")

__all__ = ["KEYS_ENV", "NAMESPACE", "OVERDUE_ENV", "RULE_ENV", "STATE_ENV", "ClientFactory", "handler", "utcnow"]


class ClientFactory(runtime.ClientFactory):
    USER_AGENT = "aifinops-cost-tags"


def utcnow() -> datetime:
    return datetime.now(UTC)


def handler(event: Any, context: Any, *, clients: runtime.Clients | None = None,
            environ: Mapping[str, str] | None = None) -> dict[str, Any]:
    LOG.configure()
    env = os.environ if environ is None else environ
    keys = [k.strip() for k in env.get(KEYS_ENV, "").split(",") if k.strip()]
    if not keys:
        raise ValueError(f"{KEYS_ENV} names no tag key")
    factory = clients or ClientFactory()
    region = env.get("AWS_REGION") or COST_EXPLORER_REGION
    now = utcnow()
    state = env.get(STATE_ENV, "")
    kept, state_error = _read_state(factory.client("ssm", region), state) if state else ({}, None)
    result = run_pass(factory.client("ce", COST_EXPLORER_REGION), keys, now=now, first_attempts=kept,
                      overdue_days=int(env.get(OVERDUE_ENV, "3")))
    if state_error:
        result.failures.append(state_error)
    if state and result.first_attempts != kept:
        _write_state(factory.client("ssm", region), state, result.first_attempts, result.failures)
    summary = result.to_dict()
    summary["schedule"] = _schedule(factory.client("events", region), env.get(RULE_ENV, ""), result.done,
                                    result.failures)
    LOG.metrics("cost allocation tags", NAMESPACE, {"InactiveKeys": len(result.inactive),
                                                   "OverdueKeys": len(result.overdue),
                                                   "Failures": len(result.failures)})
    level = logging.INFO if result.done else logging.WARNING
    LOG.event("cost allocation tags " + ("all active" if result.done else "not all active"), level, **summary)
    return summary


def _read_state(ssm: Any, name: str) -> tuple[dict[str, str], dict[str, str] | None]:
    try:
        value = ssm.get_parameter(Name=name)["Parameter"]["Value"]
    except API_ERRORS as exc:
        code, message = describe_error(exc)
        if code == "ParameterNotFound":
            return {}, None
        return {}, {"operation": "GetParameter", "code": code, "message": message[:500]}
    try:
        data = json.loads(value)
    except ValueError:
        data = None
    if not isinstance(data, dict):  # unreadable: start again rather than never raise the alarm
        return {}, {"operation": "GetParameter", "code": "InvalidState", "message": f"{name} is not a JSON object"}
    return {str(k): str(v) for k, v in data.items()}, None


def _write_state(ssm: Any, name: str, first: Mapping[str, str], failures: list[dict[str, str]]) -> None:
    try:
        ssm.put_parameter(Name=name, Value=json.dumps(dict(first), sort_keys=True), Type="String", Overwrite=True)
    except API_ERRORS as exc:
        code, message = describe_error(exc)
        failures.append({"operation": "PutParameter", "code": code, "message": message[:500]})


def _schedule(events: Any, rule: str, done: bool, failures: list[dict[str, str]]) -> str:
    """Disable the schedule once every key is active, enable it otherwise; what it is now."""
    if not rule:
        return "unmanaged"
    try:
        if done:
            events.disable_rule(Name=rule)
            return "disabled"
        events.enable_rule(Name=rule)
        return "enabled"
    except API_ERRORS as exc:
        code, message = describe_error(exc)
        failures.append({"operation": "DisableRule" if done else "EnableRule", "code": code,
                         "message": message[:500]})
        return "unknown"
