"""Why each failed AiFinOps finding failed, in words. cdk-nag reports a rule's one-line summary only; the rules
are pure functions of the synthesized template entry and the config, so running the rule again on the same
resource gives the same verdict, now with its reason ("required cost tag 'team' is missing"). The rules load
aws-cdk-lib (jsii start-up: seconds), so they are imported only when an AiFinOps finding failed."""

from __future__ import annotations

import dataclasses
from typing import Any

from aifinops.check.assembly import read_json
from aifinops.check.findings import Status, ToolResult
from aifinops.config import FinOpsConfig

PREFIX = "AiFinOps::AiFinOps-"


def explain_aifinops_findings(result: ToolResult, config: FinOpsConfig | None) -> None:
    """Append the rule's reason to the message of every failed AiFinOps finding that names a resource."""
    todo = [i for i, f in enumerate(result.findings)
            if f.rule_id.startswith(PREFIX) and f.status is Status.FAILED and f.template and f.logical_id]
    if not todo or config is None:
        return
    from aifinops.policies.nag.pack import RULES
    from aifinops.policies.nag.rule import PACK_NAME, Outcome, ResourceView

    rules = {f"{PACK_NAME}::{rule.rule_id}": rule for rule in RULES}
    templates: dict[str, dict[str, Any]] = {}
    for index in todo:
        finding = result.findings[index]
        rule = rules.get(finding.rule_id)
        assert finding.template is not None and finding.logical_id is not None
        key = str(finding.template)
        if key not in templates:
            templates[key] = read_json(finding.template).get("Resources", {})
        resources = templates[key]
        resource = resources.get(finding.logical_id)
        if rule is None or not isinstance(resource, dict):
            continue
        view = ResourceView(logical_id=finding.logical_id, type=str(resource.get("Type", "")),
                            properties=resource.get("Properties", {}), metadata=resource.get("Metadata", {}),
                            siblings=resources)
        verdict = rule.check(view, config)
        if verdict.outcome is Outcome.NON_COMPLIANT:
            result.findings[index] = dataclasses.replace(finding, message=f"{finding.message} Here: {verdict.reason}")


__all__ = ["explain_aifinops_findings"]
