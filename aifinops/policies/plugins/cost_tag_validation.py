"""Fail synthesis when a resource of a cost-tagged stack lacks a required tag or has a wrong value.

A policy validation plugin, not an aspect: it fails both `python app.py` and `cdk synth`, reads the
synthesized templates (what really deploys, escape hatches included) and lands its findings in
`cdk.out/validation-report.json`. Stacks opt in with `enforce_cost_tags(stack)`.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path

import aws_cdk as cdk
import jsii
from constructs import IConstruct

from aifinops.config import FinOpsConfig
from aifinops.policies.cost_tags import RULES, TagProblem, check_tags, read_template_tags
from aifinops.template_metadata import COST_TAGS as METADATA_KEY

PLUGIN_NAME = "AiFinOpsCostTags"


def enforce_cost_tags(stack: cdk.Stack, required: Sequence[str]) -> None:
    """Mark a stack so the plugin checks every taggable resource in it; the template records the keys."""
    stack.add_metadata(METADATA_KEY, {"required": list(required)})


@jsii.implements(cdk.IPolicyValidationPlugin)
class CostTagValidation:
    """Checks required cost tags on every taggable resource of the marked stacks."""

    def __init__(self, config: FinOpsConfig) -> None:
        self._config = config

    @property
    def name(self) -> str:
        return PLUGIN_NAME

    @property
    def version(self) -> str:
        return "1.0.0"

    @property
    def rule_ids(self) -> list[str]:
        return list(RULES)

    def validate(self, context: cdk.IPolicyValidationContext) -> cdk.PolicyValidationPluginReport:
        templates = {}
        for template_path in context.template_paths:
            template = json.loads(Path(template_path).read_text(encoding="utf-8"))
            if METADATA_KEY in template.get("Metadata", {}):
                templates[template_path] = template
        names = {Path(p).name for p in templates}
        taggable = _taggable_resources(context.app_construct, names) if context.app_construct and names else {}
        # One violation per rule and set of problems: a resource missing five keys is one finding, and
        # resources with the same problems share it.
        grouped: dict[tuple[TagProblem, ...], list[cdk.PolicyViolatingResource]] = defaultdict(list)
        for template_path, template in templates.items():
            for logical_id, resource in template.get("Resources", {}).items():
                found = taggable.get((Path(template_path).name, logical_id))
                if found is None:
                    continue
                node, tag_property = found
                tags = read_template_tags(resource.get("Properties", {}).get(tag_property))
                problems = sorted(check_tags(tags, self._config))
                for rule in dict.fromkeys(p.rule for p in problems):
                    grouped[tuple(p for p in problems if p.rule == rule)].append(cdk.PolicyViolatingResource(
                        construct_path=node.node.path, resource_logical_id=logical_id, template_path=template_path,
                        locations=[f"Properties/{tag_property}"]))
        violations = [
            cdk.PolicyViolation(rule_name=problems[0].rule, description="; ".join(p.message for p in problems),
                                fix="; ".join(dict.fromkeys(p.fix for p in problems)), severity="error",
                                violating_resources=resources)
            for problems, resources in sorted(grouped.items())
        ]
        return cdk.PolicyValidationPluginReport(success=not violations, violations=violations,
                                                plugin_version=self.version)


def _taggable_resources(root: IConstruct, templates: set[str]) -> dict[tuple[str, str], tuple[cdk.CfnResource, str]]:
    """(template file, logical id) -> (L1 resource, tags property) of every taggable resource whose stack
    writes one of `templates`. Built from the tree, not from aws:cdk:path metadata, which `python app.py`
    does not write. Each jsii call costs a round trip to Node, so taggability is cached per L1 class and
    the construct path is read only for resources that fail (bench/RESULTS.md: 3.5x fewer calls)."""
    found: dict[tuple[str, str], tuple[cdk.CfnResource, str]] = {}
    tag_property: dict[type, str | None] = {}
    stacks: dict[int, tuple[cdk.Stack, str]] = {}  # keeps each stack alive so its id() stays unique
    for node in root.node.find_all():
        if not isinstance(node, cdk.CfnResource):
            continue
        stack = node.stack
        if id(stack) not in stacks:
            stacks[id(stack)] = (stack, stack.template_file)
        template = stacks[id(stack)][1]
        if template not in templates:
            continue
        cls = type(node)
        if cls not in tag_property or cls is cdk.CfnResource:  # a raw CfnResource decides per instance
            tag_property[cls] = _tag_property(node)
        name = tag_property[cls]
        if name is not None:
            found[(template, stack.resolve(node.logical_id))] = (node, name)
    return found


def _tag_property(node: cdk.CfnResource) -> str | None:
    if cdk.TagManager.is_taggable_v2(node):
        manager = node.cdk_tag_manager  # type: ignore[attr-defined]
    elif cdk.TagManager.is_taggable(node):
        manager = node.tags  # type: ignore[attr-defined]
    else:
        return None
    # The manager names the property as in the CDK (camelCase); templates use PascalCase.
    name: str = manager.tag_property_name
    return name[:1].upper() + name[1:]
