"""What every AiFinOps rule is made of, and the jsii adapter that hands a rule to cdk-nag v3.

A rule is data (`NagRule`: id, level, info, explanation, resource types) plus one pure function
``check(resource, config) -> Verdict``. The function reads the resource as it was synthesized
(`ResourceView`: the resolved template entry, its siblings in the same template), not the L1's Python
attributes: property overrides and escape hatches (`add_property_override`) and aspect-applied tags
only exist in the rendered template, and the pack runs after the templates are written.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import jsii
from cdk_nag import IApplyRule, NagMessageLevel, NagRuleCompliance

from aifinops.config import FinOpsConfig

PACK_NAME = "AiFinOps"


class Outcome(Enum):
    COMPLIANT = "compliant"
    NON_COMPLIANT = "non-compliant"
    NOT_APPLICABLE = "not-applicable"


@dataclass(frozen=True)
class Verdict:
    """A rule's answer for one resource, with the reason in words (tests and reports read it)."""

    outcome: Outcome
    reason: str

    @classmethod
    def ok(cls, reason: str) -> Verdict:
        return cls(Outcome.COMPLIANT, reason)

    @classmethod
    def fail(cls, reason: str) -> Verdict:
        return cls(Outcome.NON_COMPLIANT, reason)

    @classmethod
    def skip(cls, reason: str) -> Verdict:
        return cls(Outcome.NOT_APPLICABLE, reason)


@dataclass(frozen=True)
class ResourceView:
    """One resource as synthesized: intrinsic functions stand where tokens were (``{"Ref": ...}``)."""

    logical_id: str
    type: str
    properties: Mapping[str, Any]
    metadata: Mapping[str, Any] = field(default_factory=dict)
    siblings: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)  # the template's Resources

    def others(self, resource_type: str) -> list[tuple[str, Mapping[str, Any]]]:
        """(logical id, properties) of the other resources of `resource_type` in the same template."""
        return [(lid, r.get("Properties", {})) for lid, r in self.siblings.items()
                if r.get("Type") == resource_type and lid != self.logical_id]


Check = Callable[[ResourceView, FinOpsConfig], Verdict]


@dataclass(frozen=True)
class NagRule:
    """A rule of the pack. `rule_id` is the id the validation report shows (``AiFinOps-TAG1``);
    acknowledge a finding with ``cdk.Acknowledgment(id="AiFinOps::AiFinOps-TAG1", reason=...)``."""

    rule_id: str
    level: NagMessageLevel
    info: str
    explanation: str
    resource_types: frozenset[str]
    check: Check

    @property
    def suffix(self) -> str:
        return self.rule_id.removeprefix(f"{PACK_NAME}-")


class TemplateNotSynthesized(RuntimeError):
    """The pack read a template that was not written: it must run as a validation plugin of a synth."""


class TemplateCache:
    """Synthesized templates read once each; keyed by path and modification time so a second synth of
    the same app (tests) is read afresh."""

    def __init__(self) -> None:
        self._templates: dict[tuple[str, int], dict[str, Any]] = {}

    def view_of(self, node: cdk.CfnResource) -> ResourceView | None:
        """The synthesized entry of `node`; None when the template has no such resource (a condition
        or an override removed it)."""
        stack = node.stack
        path = Path(cdk.Stage.of(stack).outdir) / stack.template_file  # type: ignore[union-attr]
        try:
            key = (str(path), os.stat(path).st_mtime_ns)
        except FileNotFoundError:
            raise TemplateNotSynthesized(
                f"{path} does not exist: attach AiFinOpsChecks with cdk.Validations.of(app).add_plugins(...) "
                "and synthesize; the rules read the synthesized templates") from None
        if key not in self._templates:
            self._templates[key] = json.loads(path.read_text(encoding="utf-8"))
        resources = self._templates[key].get("Resources", {})
        logical_id = stack.resolve(node.logical_id)
        resource = resources.get(logical_id)
        if resource is None:
            return None
        return ResourceView(logical_id=logical_id, type=resource.get("Type", ""),
                            properties=resource.get("Properties", {}), metadata=resource.get("Metadata", {}),
                            siblings=resources)


_COMPLIANCE = {Outcome.COMPLIANT: NagRuleCompliance.COMPLIANT,
               Outcome.NON_COMPLIANT: NagRuleCompliance.NON_COMPLIANT,
               Outcome.NOT_APPLICABLE: NagRuleCompliance.NOT_APPLICABLE}


@jsii.implements(IApplyRule)
class AppliedRule:
    """One rule bound to one resource, in the shape cdk-nag's ``applyRule`` reads. Every member is a
    property: jsii cannot see plain attributes. A rule that raises becomes cdk-nag's "Rule threw an
    error" finding, so the rules themselves never raise on unresolved values."""

    def __init__(self, rule: NagRule, node: cdk.CfnResource, view: ResourceView | Exception | None,
                 config: FinOpsConfig, reasons: dict[tuple[str, str], str] | None = None) -> None:
        self._rule, self._node, self._view, self._config = rule, node, view, config
        self._reasons = reasons  # (rule id, construct path) -> the verdict's reason, for the finding's message

    @property
    def rule_suffix_override(self) -> str | None:
        return self._rule.suffix

    @property
    def info(self) -> str:
        return self._rule.info

    @property
    def explanation(self) -> str:
        return self._rule.explanation

    @property
    def level(self) -> NagMessageLevel:
        return self._rule.level

    @property
    def node(self) -> cdk.CfnResource:
        return self._node

    def rule(self, node: cdk.CfnResource) -> NagRuleCompliance:
        if isinstance(self._view, Exception):
            raise self._view
        if self._view is None:
            return NagRuleCompliance.NOT_APPLICABLE
        verdict = self._rule.check(self._view, self._config)
        if self._reasons is not None:
            self._reasons[(self._rule.rule_id, self._node.node.path)] = verdict.reason
        return _COMPLIANCE[verdict.outcome]
