"""Which CDK validation packs ran on which stack, and a refusal to pass a stack that none ran on.

A plugin that found nothing is absent from validation-report.json, and an app without plugins writes no report
at all, so "no findings" alone proves nothing. A stack counts as checked when its template carries the marker
of `aifinops.check.marker` (written by `aifinops.infra.attach_security_checks`) or the report names it.
"""

from __future__ import annotations

from collections.abc import Mapping, Set

from aifinops.check.assembly import CheckInputError, CloudAssembly
from aifinops.check.findings import ToolResult
from aifinops.check.marker_key import SECURITY_CHECKS_KEY

HOW_TO_ATTACH = (
    "attach the packs with aifinops.infra.attach_security_checks(app, config); for packs of your own, replace "
    "cdk.Validations.of(app).add_plugins(...) with aifinops.check.marker.add_marked_plugins(app, ...), which also "
    "marks the stacks where a pack finds nothing; then synthesize again. Or pass --allow-missing-validation to "
    "check without them (the summary and the SARIF say so)")


def record_coverage(result: ToolResult, assembly: CloudAssembly, reported: Mapping[str, Set[str]], *,
                    report_present: bool, allow_missing: bool) -> None:
    """Fill `result.ran` with the packs that ran; CheckInputError naming the stacks no pack ran on, unless
    `allow_missing`, then a warning. `reported`: stack name -> plugins with an entry for it in the report."""
    ran: set[str] = set()
    unchecked = []
    for stack in assembly.stacks:
        packs = set(stack.security_checks or ()) | set(reported.get(stack.name, ()))
        ran |= packs
        if not report_present or not packs:
            unchecked.append(stack.name)
    result.ran = sorted(ran) if report_present else []
    unmarked = [s.name for s in assembly.stacks if s.security_checks is None and s.name not in unchecked]
    if unmarked:
        result.notes.append(f"{len(unmarked)} stack(s) without the {SECURITY_CHECKS_KEY} marker: only the packs "
                            "with findings there are known to have run (attach packs with "
                            "aifinops.check.marker.add_marked_plugins to name them all)")
    if not unchecked:
        return
    why = (f"{assembly.root}/validation-report.json is absent: no validation plugin ran on this assembly"
           if not report_present else
           f"validation-report.json has no entry for {len(unchecked)} stack(s) and their templates carry no "
           f"{SECURITY_CHECKS_KEY} marker, so no evidence that a pack ran on them")
    stacks = ", ".join(unchecked)
    if not allow_missing:
        raise CheckInputError(f"{why}: {stacks}. To fix: {HOW_TO_ATTACH}.")
    result.warnings.append(f"--allow-missing-validation: the CDK validation packs (cdk-nag) were NOT verified "
                           f"on {stacks} ({why})")
