"""Lambda entry point of the GPU guard: ``handler.handler``.

Events:
- the EventBridge schedule (or any other event): scan the regions of ``{"regions": [...]}`` in the event, else
  AIFINOPS_GUARD_REGIONS (comma-separated), else AWS_REGION (a GuardStack per account and region);
- an EventBridge rule on a CloudTrail create event (RunInstances, CreateEndpoint, CreateNotebookInstance,
  CreateTrainingJob): scan the event's region, restricted to the new resource(s). A new endpoint is still
  Creating (not InService) and a new training job may not be InProgress yet: those are found by the next
  scheduled scan; a new untagged instance is marked at once.

Environment: AIFINOPS_GUARD_POLICY (optional; else the bundled aifinops_guard_policy.json),
AIFINOPS_GUARD_ENFORCE ("true" by default: the environments' guard modes already keep production notify-only;
set "false" for a first, dry-run deployment), AIFINOPS_GUARD_TOPIC_ARN (optional: one digest per scan),
AIFINOPS_MAX_ATTEMPTS (boto3 retries, default 8). The time budget is the remaining Lambda time minus
SAFETY_MARGIN_SECONDS. DescribeInstanceTypes' answer is cached per region while the container is warm.
A missing or invalid policy raises: a misconfigured guard must fail loudly.

Returns the summary it logs (see report.py). Lambda imports this file as the top-level module ``handler`` from
the asset directory; the CLI and tests import ``aifinops.lambdas.guard.handler``. For the first case the
directory is loaded as the package ``guard`` and ``__package__`` set (PEP 366), like the budget enforcer's.
"""

from __future__ import annotations

if not __package__:  # pragma: no cover - exercised by tests/e2e in a subprocess, the way Lambda loads it
    from aifinops_runtime.bootstrap import load_as_package

    __package__ = load_as_package(__file__, "guard")

import logging
import os
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from .clients import ClientFactory, Clients
from .policy import load_policy
from .report import configure_logging, digest, log_event
from .scan import scan

ENFORCE_ENV = "AIFINOPS_GUARD_ENFORCE"
TOPIC_ENV = "AIFINOPS_GUARD_TOPIC_ARN"
REGIONS_ENV = "AIFINOPS_GUARD_REGIONS"
ENVIRONMENT_ENV = "AIFINOPS_GUARD_ENVIRONMENT"  # the environment of this account when the policy's map lacks it
SAFETY_MARGIN_SECONDS = 20.0
_TYPES: dict[str, frozenset[str]] = {}  # region -> accelerated type names, kept while the container is warm
CREATE_EVENTS = ("RunInstances", "CreateEndpoint", "CreateNotebookInstance", "CreateTrainingJob")

__all__ = ["CREATE_EVENTS", "ENFORCE_ENV", "ENVIRONMENT_ENV", "TOPIC_ENV", "created_resources", "enforce_from_env",
           "handler", "utcnow"]


def utcnow() -> datetime:
    """The scan's clock: a module function, so an end-to-end test can run the deployed code at a later time."""
    return datetime.now(UTC)


def handler(event: Any, context: Any, *, clients: Clients | None = None,
            environ: Mapping[str, str] | None = None) -> dict[str, Any]:
    configure_logging()
    env = os.environ if environ is None else environ
    policy = load_policy(env).with_home_environment(env.get(ENVIRONMENT_ENV, "").strip() or None)
    factory = clients or ClientFactory()
    created = created_resources(event)
    if created is not None:
        regions, only, trigger = [created[0]], created[1], "create-event"
    else:
        regions, only, trigger = _regions(event, env), None, "schedule"
    budget = None
    if context is not None and hasattr(context, "get_remaining_time_in_millis"):
        budget = max(1.0, context.get_remaining_time_in_millis() / 1000 - SAFETY_MARGIN_SECONDS)
    summary = scan(policy, factory, regions, now=utcnow(), enforce=enforce_from_env(env),
                   time_budget_seconds=budget, only=only, trigger=trigger, type_cache=_TYPES)
    topic = env.get(TOPIC_ENV, "").strip()
    message = digest(summary.to_dict()) if topic else None
    if message is not None:
        summary.api_calls["sns:Publish"] = summary.api_calls.get("sns:Publish", 0) + 1
        try:
            sns = factory.client("sns", topic.split(":")[3] or regions[0])
            sns.publish(TopicArn=topic, Subject=message[0], Message=message[1])
        except (ClientError, BotoCoreError, IndexError) as exc:
            code = exc.response.get("Error", {}).get("Code", "Unknown") if isinstance(exc, ClientError) else \
                type(exc).__name__
            summary.add_error({"resource": topic, "kind": "sns-topic", "region": regions[0], "operation": "Publish",
                               "code": str(code), "message": str(exc)[:500]})
            log_event("digest not sent", logging.ERROR, topic=topic, error=str(exc))
    return summary.log()


def enforce_from_env(env: Mapping[str, str]) -> bool:
    """AIFINOPS_GUARD_ENFORCE: true (default) / false; anything else raises."""
    raw = env.get(ENFORCE_ENV, "true").strip().lower()
    if raw in ("true", "1", "yes", ""):
        return True
    if raw in ("false", "0", "no"):
        return False
    raise ValueError(f"{ENFORCE_ENV}={raw!r}: expected true or false")


def created_resources(event: Any) -> tuple[str, list[str]] | None:
    """(region, new resource ids) of a CloudTrail create event delivered by EventBridge, else None."""
    if not isinstance(event, dict) or not isinstance(event.get("detail"), dict):
        return None
    detail = event["detail"]
    name = detail.get("eventName")
    if name not in CREATE_EVENTS:
        return None
    region = str(event.get("region") or detail.get("awsRegion") or "")
    request = detail.get("requestParameters") or {}
    response = detail.get("responseElements") or {}
    if name == "RunInstances":
        items = (response.get("instancesSet") or {}).get("items") or []
        ids = [str(i["instanceId"]) for i in items if isinstance(i, dict) and i.get("instanceId")]
    else:
        key = {"CreateEndpoint": "endpointName", "CreateNotebookInstance": "notebookInstanceName",
               "CreateTrainingJob": "trainingJobName"}[name]
        ids = [str(request[key])] if request.get(key) else []
    return (region, ids) if region and ids else None


def _regions(event: Any, env: Mapping[str, str]) -> list[str]:
    if isinstance(event, dict) and isinstance(event.get("regions"), list) and event["regions"]:
        return list(dict.fromkeys(str(r) for r in event["regions"]))
    listed = [r.strip() for r in env.get(REGIONS_ENV, "").split(",") if r.strip()]
    if listed:
        return list(dict.fromkeys(listed))
    region = env.get("AWS_REGION") or env.get("AWS_DEFAULT_REGION")
    if not region:
        raise ValueError(f"no region: set {REGIONS_ENV} or AWS_REGION")
    return [region]
