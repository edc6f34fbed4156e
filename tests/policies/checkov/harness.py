"""checkov's JSON report, indexed by check id and logical id."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

GRAPH_REASON_KEY = "aifinops_details"  # ckv_aif_3_endpoint_scaling.REASON_KEY (that module needs checkov)


@dataclass(frozen=True)
class Result:
    status: str  # PASSED, FAILED or SKIPPED
    details: tuple[str, ...]
    comment: str | None


class CheckovRun:
    """Results by (check id, logical id); a check that does not apply to a resource has no result."""

    def __init__(self, output: dict[str, Any]) -> None:
        self.results: dict[tuple[str, str], Result] = {}
        for key, status in (("passed_checks", "PASSED"), ("failed_checks", "FAILED"), ("skipped_checks", "SKIPPED")):
            for record in output.get("results", {}).get(key, []):
                logical_id = record["resource"].split(".", 1)[1]
                outcome = record["check_result"]
                # resource checks keep their reasons in details; the graph check CKV_AIF_3 in its entity
                details = outcome.get("details") or (outcome.get("entity") or {}).get(GRAPH_REASON_KEY) or ()
                self.results[(record["check_id"], logical_id)] = Result(
                    status, tuple(details), outcome.get("suppress_comment"))

    def result(self, check_id: str, logical_id: str) -> Result | None:
        return self.results.get((check_id, logical_id))

    def status(self, check_id: str, logical_id: str) -> str | None:
        found = self.result(check_id, logical_id)
        return found.status if found else None
