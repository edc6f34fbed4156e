"""Why AiFinOps-TAG1 reports one finding per resource, not one per tag key (``AiFinOps-TAG1[team]``).

cdk-nag 3 names a rule's findings ``<rule>[<finding>]`` when the rule returns finding ids, and the CDK then
matches an acknowledgement against that whole name: ``AiFinOps::AiFinOps-TAG1`` would no longer suppress
them, breaking every acknowledgement users already wrote. This pins that behaviour of the pinned versions
(cdk-nag 3.0.2, aws-cdk-lib 2.275): when it changes, per-key finding ids become possible.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, cast

import aws_cdk as cdk
import jsii
import pytest
from aws_cdk import aws_sqs as sqs
from cdk_nag import IApplyRule, NagMessageLevel, NagPack, NagRuleCompliance


@jsii.implements(IApplyRule)
class _TwoFindings:
    def __init__(self, node: cdk.CfnResource) -> None:
        self._node = node

    @property
    def rule_suffix_override(self) -> str:
        return "TAG1"

    @property
    def info(self) -> str:
        return "two missing tags"

    @property
    def explanation(self) -> str:
        return "test"

    @property
    def level(self) -> NagMessageLevel:
        return NagMessageLevel.ERROR

    @property
    def node(self) -> cdk.CfnResource:
        return self._node

    def rule(self, node: cdk.CfnResource) -> list[str] | NagRuleCompliance:
        return ["team", "project"]


class _Pack(NagPack):
    def __init__(self, scope: cdk.App) -> None:
        super().__init__(scope)
        self._pack_name = "AiFinOps"

    @property
    def name(self) -> str:
        return "AiFinOps"

    def _check_resource(self, node: cdk.CfnResource) -> None:
        self._apply_rule(cast(IApplyRule, _TwoFindings(node)))


def _report(outdir: Path, acknowledgement: str) -> dict[str, Any]:
    app = cdk.App(outdir=str(outdir), builtin_cloud_formation_validation=False)
    queue = sqs.CfnQueue(cdk.Stack(app, "S"), "Q")
    cdk.Validations.of(queue).acknowledge(cdk.Acknowledgment(id=acknowledgement, reason="test"))
    cdk.Validations.of(app).add_plugins(_Pack(app))
    with pytest.raises(RuntimeError):
        app.synth()
    report: dict[str, Any] = json.loads((outdir / "validation-report.json").read_text())["pluginReports"][0]
    return report


def test_a_rule_acknowledgement_does_not_suppress_findings_with_ids(tmp_path: Path) -> None:
    report = _report(tmp_path / "rule", "AiFinOps::AiFinOps-TAG1")
    assert [v["ruleName"] for v in report["violations"]] == ["AiFinOps-TAG1[team]", "AiFinOps-TAG1[project]"]
    report = _report(tmp_path / "finding", "AiFinOps::AiFinOps-TAG1[team]")
    assert [v["ruleName"] for v in report["suppressedViolations"]] == ["AiFinOps-TAG1[team]"]
