"""Report: the scan summary (returned by the Lambda and printed by `aifinops guard scan --json`), its log lines
and the SNS digest.

Summary shape (snake_case keys):
  {"service", "scanned_at", "dry_run", "regions", "trigger",
   "counts": {"resources", "by_action", "by_reason", "by_result", "errors", "warnings", "not_reached",
              "stopped", "marked", "hourly_usd_saved", "unpriced"},
   "decisions": [{"id", "arn", "kind", "account", "region", "environment", "instance_type", "reasons", "action",
                  "result", "hourly_usd", "price_estimate", "price_source", "unpriced_types", "detail",
                  "stop_after", "team", "managed_by", "tags_not_written"}],
   "unpriced_types": [...], "errors": [{"resource", "kind", "region", "operation", "code", "message"}],
   "warnings": [same shape: what degraded without failing, e.g. the Price List unavailable],
   "not_reached": [{"region", "stage", "resources"}], "api_calls": {"ec2:DescribeInstances": n, ...},
   "duration_ms"}
`decisions` lists every resource except the compliant ones with nothing to do (counted in `counts.resources`); result is
done | planned (dry run) | skipped | failed | not-reached | "" (nothing to do: NONE and NOTIFY).
`hourly_usd` is the resource's price per hour (every billed instance), None when a type is unpriced
(`unpriced_types`; never counted as $0); `counts.hourly_usd_saved` is the sum over the resources stopped (result
done), `counts.unpriced` the listed resources without a price.

Logging (JSON lines on stdout, logger `aifinops.gpu_guard`, printed only after `configure_logging()`): one line
per stopped resource, one EMF metrics line (namespace aifinops/GpuGuard, no dimensions: ResourcesStopped,
HourlyDollarsSaved, ResourcesMarked, Errors), one per team with stopped resources (dimension Team:
ResourcesStopped, HourlyDollarsSaved), then the summary as one line (when longer than LOG_LINE_MAX, the
summary without decisions, then the decisions in several lines: CloudWatch Logs caps an event at 256 KB).
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from aifinops_runtime.logs import JsonLog

from .act import DONE, ActError
from .decide import format_utc
from .model import Action, Decision, Reason

LOGGER_NAME = "aifinops.gpu_guard"
SERVICE = "aifinops-gpu-guard"
METRIC_NAMESPACE = "aifinops/GpuGuard"
TEAM_UNTAGGED = "untagged"  # the Team dimension of stopped resources without a team tag
LOG_LINE_MAX = 200_000
SNS_MESSAGE_MAX = 250_000  # SNS allows 256 KB

__all__ = ["LOGGER_NAME", "METRIC_NAMESPACE", "TEAM_UNTAGGED", "Summary", "configure_logging", "digest", "log_event"]

_log = JsonLog(LOGGER_NAME, SERVICE)
configure_logging = _log.configure
log_event = _log.event


@dataclass
class Summary:
    scanned_at: str
    dry_run: bool
    regions: list[str]
    trigger: str = "schedule"
    decisions: list[tuple[Decision, str]] = field(default_factory=list)  # (decision, result)
    errors: list[dict[str, Any]] = field(default_factory=list)
    warnings: list[dict[str, Any]] = field(default_factory=list)
    unwritten: dict[str, tuple[str, ...]] = field(default_factory=dict)  # ARN -> guard tags a write was refused
    not_reached: list[dict[str, Any]] = field(default_factory=list)
    api_calls: dict[str, int] = field(default_factory=dict)
    duration_ms: int = 0

    def add_error(self, error: ActError | Mapping[str, Any]) -> None:
        """Any of the stages' error records (resource or resources, operation, code, message)."""
        record = dict(vars(error)) if isinstance(error, ActError) else dict(error)
        if "resources" in record:
            record["resources"] = list(record["resources"])
        self.errors.append(record)

    def to_dict(self) -> dict[str, Any]:
        listed = [(d, r) for d, r in self.decisions if d.reasons != (Reason.COMPLIANT,) or d.action is not Action.NONE]
        stopped = [d for d, r in self.decisions if d.action is Action.STOP and r == DONE]
        unpriced = [d for d, _ in listed if d.hourly_usd is None]
        return {
            "service": SERVICE, "scanned_at": self.scanned_at, "dry_run": self.dry_run, "regions": self.regions,
            "trigger": self.trigger,
            "counts": {
                "resources": len(self.decisions),
                "by_action": dict(sorted(Counter(d.action.value for d, _ in self.decisions).items())),
                "by_reason": dict(sorted(Counter(x.value for d, _ in self.decisions for x in d.reasons).items())),
                "by_result": dict(sorted(Counter(r for _, r in self.decisions if r).items())),
                "errors": len(self.errors),
                "warnings": len(self.warnings),
                "not_reached": sum(len(n["resources"]) for n in self.not_reached),
                "stopped": len(stopped),
                "marked": sum(1 for d, r in self.decisions if d.action is Action.MARK and r == DONE),
                "hourly_usd_saved": round(sum(d.hourly_usd for d in stopped if d.hourly_usd is not None), 4),
                "unpriced": len(unpriced),
            },
            "decisions": [_decision(d, r, self.unwritten.get(d.resource.arn, ())) for d, r in listed],
            "unpriced_types": sorted({t for d in unpriced for t in d.unpriced_types}),
            "errors": self.errors, "warnings": self.warnings, "not_reached": self.not_reached,
            "api_calls": dict(sorted(self.api_calls.items())), "duration_ms": self.duration_ms,
        }

    def log(self) -> dict[str, Any]:
        """Log each stop, the EMF metrics, then the summary; return the summary."""
        summary = self.to_dict()
        for d in summary["decisions"]:
            if d["action"] == Action.STOP and d["result"] == DONE:
                log_event("resource stopped", stopped=d)
        counts = summary["counts"]
        metrics = {"ResourcesStopped": counts["stopped"], "HourlyDollarsSaved": counts["hourly_usd_saved"],
                   "ResourcesMarked": counts["marked"], "Errors": counts["errors"]}
        _log.metrics("scan metrics", METRIC_NAMESPACE, metrics, units={"HourlyDollarsSaved": "None"})
        # Per team, for the weekly team reports: what the guard stopped of each team (no team tag: TEAM_UNTAGGED).
        stopped_by_team: dict[str, list[float]] = {}
        for d in summary["decisions"]:
            if d["action"] == Action.STOP and d["result"] == DONE:
                row = stopped_by_team.setdefault(d["team"] or TEAM_UNTAGGED, [0, 0.0])
                row[0] += 1
                row[1] += d["hourly_usd"] or 0.0
        for team, (stopped, saved) in sorted(stopped_by_team.items()):
            _log.metrics("team scan metrics", METRIC_NAMESPACE, {"ResourcesStopped": stopped,
                                                                 "HourlyDollarsSaved": round(saved, 4)},
                         dimensions={"Team": team}, units={"HourlyDollarsSaved": "None"})
        line = json.dumps(summary, default=str)
        if len(line) <= LOG_LINE_MAX:
            log_event("scan summary", summary=summary)
        else:
            log_event("scan summary", summary={**summary, "decisions": f"{len(summary['decisions'])} in the "
                                                                       f"following lines"})
            step = 200
            for start in range(0, len(summary["decisions"]), step):
                log_event("scan decisions", decisions=summary["decisions"][start:start + step])
        return summary


def _decision(d: Decision, result: str, refused: tuple[str, ...]) -> dict[str, Any]:
    r = d.resource
    return {"id": r.id, "arn": r.arn, "kind": r.kind.value, "account": r.account, "region": r.region,
            "environment": d.environment, "instance_type": r.instance_type, "reasons": [x.value for x in d.reasons],
            "action": d.action.value, "result": result, "hourly_usd": d.hourly_usd, "price_estimate": d.price_estimate,
            "price_source": d.price_source, "unpriced_types": list(d.unpriced_types),
            "detail": d.detail, "stop_after": format_utc(d.stop_after) if d.stop_after else None,
            "team": d.team, "managed_by": d.managed_by,
            "tags_not_written": list(dict.fromkeys((*d.unwritable_tags, *refused)))}


def digest(summary: dict[str, Any]) -> tuple[str, str] | None:
    """(subject, message) of the owner digest: findings (stop, mark, unmark, notify) grouped by team; None when
    there is nothing to tell."""
    findings = [d for d in summary["decisions"] if d["action"] != Action.NONE.value]
    if not findings and not summary["errors"]:
        return None
    dry = " (dry run: nothing was changed)" if summary["dry_run"] else ""
    lines = [f"GPU guard scan at {summary['scanned_at']} in {', '.join(summary['regions'])}{dry}", ""]
    by_team: dict[str, list[dict[str, Any]]] = {}
    for d in findings:
        by_team.setdefault(d["team"] or "(no team tag)", []).append(d)
    for team in sorted(by_team):
        lines.append(f"Team {team}:")
        for d in by_team[team]:
            cost = (f"${d['hourly_usd']:.2f}/h" if d["hourly_usd"] is not None
                    else f"unpriced: {', '.join(d['unpriced_types'])}")
            outcome = f" [{d['result']}]" if d["result"] else ""
            unwritten = (f" Tags not written (50-tag limit): {', '.join(d['tags_not_written'])}."
                         if d["tags_not_written"] else "")
            lines.append(f"  - {d['action'].upper()}{outcome} {d['kind']} {d['id']} ({d['region']}, "
                         f"{d['instance_type']}, {cost}): {', '.join(d['reasons'])}. {d['detail']}{unwritten}")
        lines.append("")
    if summary["errors"]:
        lines.append(f"{len(summary['errors'])} API error(s): see the scan summary in the logs.")
    message = "\n".join(lines)
    if len(message) > SNS_MESSAGE_MAX:
        message = message[:SNS_MESSAGE_MAX] + "\n... (truncated: see the scan summary in the logs)"
    counts = summary["counts"]
    subject = (f"AiFinOps GPU guard: {counts['stopped']} stopped, {counts['marked']} marked, "
               f"{len(findings)} findings{' (dry run)' if summary['dry_run'] else ''}")[:100]
    return subject, message
