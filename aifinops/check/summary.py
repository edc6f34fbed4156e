"""What a person reads: the per-tool table and every unacknowledged finding, named."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table

from aifinops.check.findings import Status, ToolResult

NOT_REPORTED = "n/r"


def summary_table(results: list[ToolResult]) -> Table:
    """tool, what ran (packs, check sets), results (checks evaluated on resources), passed, failed, acknowledged."""
    table = Table(title="aifinops check", title_justify="left", caption_justify="left",
                  caption=f"results: checks evaluated on resources. {NOT_REPORTED}: not reported; the tool lists "
                          "findings only, not the checks that passed")
    baselined = any(r.count(Status.BASELINED) for r in results)
    columns = ("tool", "ran", "results", "passed", "failed", "acknowledged", *(("baselined",) if baselined else ()))
    for column in columns:
        table.add_column(column, justify="left" if column in ("tool", "ran") else "right")
    for r in results:
        count = r.result_count
        table.add_row(f"{r.tool} {r.version}", ", ".join(r.ran) or "-", NOT_REPORTED if count is None else str(count),
                      str(r.count(Status.PASSED)) if r.reports_passes else NOT_REPORTED,
                      str(r.count(Status.FAILED)), str(r.count(Status.ACKNOWLEDGED)),
                      *((str(r.count(Status.BASELINED)),) if baselined else ()))
    return table


def failure_lines(results: list[ToolResult]) -> list[str]:
    """One line per unacknowledged finding, never wrapped: readable in CI logs, greppable.

    FAILED <tool> <rule> <construct path, else stack/logical id> (<template>:<line>): <message>
    """
    blocking = sorted((f for r in results for f in r.blocking),
                      key=lambda f: (f.tool, f.stack or "", f.rule_id, f.logical_id or ""))
    lines = []
    for f in blocking:
        resource = f.construct_path or "/".join(p for p in (f.stack, f.logical_id) if p) or "-"
        at = f"{f.template}:{f.line}" if f.template and f.line else str(f.template or "no template")
        message = " ".join(f.message.split())
        lines.append(f"FAILED {f.tool} {f.rule_id} [{f.level}] {resource} ({at}): {message}")
    return lines


def print_summary(console: Console, results: list[ToolResult]) -> None:
    for r in results:
        for note in r.notes:
            console.print(f"{r.tool}: {note}", markup=False, highlight=False)
        for warning in r.warnings:
            console.print(f"WARNING {r.tool}: {warning}", markup=False, highlight=False, soft_wrap=True)
    for line in failure_lines(results):
        console.print(line, markup=False, highlight=False, soft_wrap=True)
    console.print(summary_table(results))
    blocking = sum(len(r.blocking) for r in results)
    acknowledged = sum(r.count(Status.ACKNOWLEDGED) for r in results)
    baselined = sum(r.count(Status.BASELINED) for r in results)
    verdict = f"FAILED: {blocking} unacknowledged finding(s)" if blocking else "PASSED: no unacknowledged finding"
    weakened = sum(len(r.warnings) for r in results)
    caveat = f" (with {weakened} warning(s) above: some input was ignored or did not run)" if weakened else ""
    in_baseline = f", {baselined} in the baseline" if baselined else ""
    console.print(f"{verdict}{caveat}; {acknowledged} acknowledged{in_baseline}, each with its reason and where it is "
                  "declared in the SARIF and JUnit reports", markup=False, highlight=False)
