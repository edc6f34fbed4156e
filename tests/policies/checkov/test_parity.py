"""The cdk-nag rules and the checkov checks give the same verdict on the same CloudFormation: every resource
of every fixture template (templates.py) is judged by both, pair by pair.

The nag rules are pure functions of a resource as synthesized and its template (`ResourceView`), so they are
called here on the very templates checkov scanned, without a CDK app. COMPLIANT is PASSED, NON_COMPLIANT is
FAILED, and NOT_APPLICABLE ("not judged") is no result at all.
"""

from __future__ import annotations

from typing import Any

import pytest

from aifinops.config import FinOpsConfig
from aifinops.policies.nag.pack import RULES
from aifinops.policies.nag.rule import NagRule, Outcome, ResourceView
from aifinops.policies.resource_facts.aif_twins import TWINS
from tests.policies.checkov.harness import CheckovRun
from tests.policies.checkov.templates import TEMPLATES

PAIRS = {check: next(r for r in RULES if r.rule_id == rule) for rule, check in TWINS.items()}
STATUS = {Outcome.COMPLIANT: "PASSED", Outcome.NON_COMPLIANT: "FAILED", Outcome.NOT_APPLICABLE: None}
CASES = [(template, logical_id) for template, resources in TEMPLATES.items() for logical_id in resources]


def nag_status(rule: NagRule, resources: dict[str, Any], logical_id: str, config: FinOpsConfig) -> str | None:
    resource = resources[logical_id]
    if resource["Type"] not in rule.resource_types:
        return None
    view = ResourceView(logical_id, resource["Type"], resource.get("Properties", {}), resource.get("Metadata", {}),
                        resources)
    return STATUS[rule.check(view, config).outcome]


@pytest.mark.parametrize(("template", "logical_id"), CASES, ids=[f"{t}:{i}" for t, i in CASES])
def test_nag_and_checkov_agree(checkov_run: CheckovRun, config: FinOpsConfig, template: str,
                               logical_id: str) -> None:
    resources = TEMPLATES[template]
    for check_id, rule in PAIRS.items():
        found = checkov_run.status(check_id, logical_id)
        if found == "SKIPPED":
            continue  # skipped in the template's metadata: checkov's own mechanism, nag has acknowledgements
        assert nag_status(rule, resources, logical_id, config) == found, f"{rule.rule_id} vs {check_id}"
