"""`AiFinOpsChecks`: the AiFinOps cdk-nag v3 pack. It only lists the rules; each lives in `rules/`."""

from __future__ import annotations

from collections import defaultdict
from typing import cast

import aws_cdk as cdk
from cdk_nag import IApplyRule, NagPack
from constructs import IConstruct

from aifinops.config import FinOpsConfig
from aifinops.policies.nag.rule import PACK_NAME, AppliedRule, NagRule, ResourceView, TemplateCache
from aifinops.policies.nag.rules import (
    accelerator_types,
    alert_topics,
    bedrock_profiles,
    cost_tags,
    endpoint_scaling,
    guard_functions,
    imds,
    job_time_limit,
    model_tiers,
    pack_topics,
)
from aifinops.template_metadata import GOVERNANCE

RULES: tuple[NagRule, ...] = (
    cost_tags.RULE,
    accelerator_types.RULE,
    endpoint_scaling.RULE,
    job_time_limit.RULE,
    bedrock_profiles.RULE,
    guard_functions.RULE,
    alert_topics.RULE,
    imds.RULE,
    pack_topics.RULE,
    model_tiers.RULE,
)


class AiFinOpsChecks(NagPack):
    """The AiFinOps rules as a cdk-nag v3 validation plugin; findings land in ``cdk.out/validation-report.json``.

    Example::

        import aws_cdk as cdk
        from aifinops.config import load
        from aifinops.infra import build
        from aifinops.policies.nag import AiFinOpsChecks

        app = cdk.App()
        config = load("finops.yaml")
        build(app, config)
        cdk.Validations.of(app).add_plugins(AiFinOpsChecks(app, config=config))
        app.synth()  # fails on any unacknowledged finding

    Acknowledge a finding on a construct (and everything below it) with its ``Plugin::Rule`` id, which
    keeps it in the report under ``suppressedViolations``::

        cdk.Validations.of(endpoint).acknowledge(
            cdk.Acknowledgment(id="AiFinOps::AiFinOps-SM1", reason="fixed capacity: steady production traffic"))
    """

    def __init__(self, scope: IConstruct | None = None, *, config: FinOpsConfig, verbose: bool = False) -> None:
        """
        :param scope: the app; Default: none (the pack needs no scope of its own).
        :param config: finops.yaml: tag keys and values, environments, accelerators, training-time caps.
        :param verbose: add each rule's explanation (the fix) to its findings. Default: False.
        """
        super().__init__(scope, verbose=verbose)
        self._pack_name = PACK_NAME
        self._config = config
        self._templates = TemplateCache()
        self._reasons: dict[tuple[str, str], str] = {}
        self._by_type: dict[str, list[NagRule]] = defaultdict(list)
        for rule in RULES:
            for resource_type in rule.resource_types:
                self._by_type[resource_type].append(rule)

    @property
    def name(self) -> str:
        return PACK_NAME

    @property
    def version(self) -> str:
        return "1.0.0"

    @property
    def rule_ids(self) -> list[str]:
        return [rule.rule_id for rule in RULES]

    def _check_resource(self, node: cdk.CfnResource) -> None:
        rules = self._by_type.get(node.cfn_resource_type)
        if not rules:
            return  # one jsii round trip per resource of a type no rule reads
        if _exempt(node.stack):
            return  # aifinops.exempt(stack, reason): the reason is in the stack's template
        view: ResourceView | Exception | None
        try:
            view = self._templates.view_of(node)
        except Exception as exc:  # reported by cdk-nag as the rule's error, not a crashed synth
            view = exc
        for rule in rules:
            # cast: the Protocol declares setters jsii never calls; the read-only properties are what it reads.
            self._apply_rule(cast(IApplyRule, AppliedRule(rule, node, view, self._config,
                                                                 self._reasons)))

    def validate(self, context: cdk.IPolicyValidationContext) -> cdk.PolicyValidationPluginReport:
        """cdk-nag's report, with one violation per resource whose message starts with that resource's own
        verdict (``p5.48xlarge not allowed in dev (allowed: g5, g6)``): cdk-nag groups a rule's resources
        under the first one's text, which names no value."""
        report = super().validate(context)
        violations: list[cdk.PolicyViolation] = []
        for violation in report.violations:
            for resource in violation.violating_resources:
                reason = self._reasons.get((violation.rule_name, (resource.construct_path or "").lstrip("/")))
                description = f"{reason}. {violation.description}" if reason else violation.description
                violations.append(cdk.PolicyViolation(
                    rule_name=violation.rule_name, description=description, severity=violation.severity,
                    fix=violation.fix, rule_metadata=violation.rule_metadata, violating_resources=[resource]))
        return cdk.PolicyValidationPluginReport(success=report.success, violations=violations,
                                                metadata=report.metadata, plugin_version=report.plugin_version)


def _exempt(stack: cdk.Stack) -> bool:
    found = (stack.template_options.metadata or {}).get(GOVERNANCE)
    return isinstance(found, dict) and found.get("exempt") is True
