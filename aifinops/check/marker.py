"""Attach CDK validation plugins and mark every stack with their names, so `aifinops check` can tell a pack
that ran and found nothing (no entry in validation-report.json) from a pack that was never attached.

    add_marked_plugins(app, AwsSolutionsChecks(app), ServerlessChecks(app))

The mark is template metadata (`Metadata.aifinops:security-checks: ["AwsSolutions", "Serverless"]`), written on
every stack of the stage by an aspect: stacks created after this call are marked too. The CDK itself keeps no
record of the plugins in the cloud assembly (manifest.json lists none, the report omits clean plugins).
"""

from __future__ import annotations

import aws_cdk as cdk
import jsii
from constructs import Construct, IConstruct

from aifinops.check.marker_key import SECURITY_CHECKS_KEY

__all__ = ["SECURITY_CHECKS_KEY", "add_marked_plugins", "mark_stacks"]


def add_marked_plugins(scope: Construct, *plugins: cdk.IPolicyValidationPlugin) -> None:
    """`cdk.Validations.of(scope).add_plugins(*plugins)`, plus the mark on every stack under `scope`'s stage.

    Plugins apply to the whole enclosing stage (the CDK's rule), so the stage's stacks are marked. Aspects do not
    cross into nested Stages: attach the plugins to each nested Stage too."""
    cdk.Validations.of(scope).add_plugins(*plugins)
    stage = scope if isinstance(scope, cdk.Stage) else cdk.Stage.of(scope)
    mark_stacks(stage or scope, [p.name for p in plugins])


def mark_stacks(stage: Construct, names: list[str]) -> None:
    """Mark every stack of `stage` (not of Stages inside it) with the plugin `names`: for a nested Stage whose
    templates the app's plugins validate, but which the app's aspects do not reach."""
    cdk.Aspects.of(stage).add(_SecurityChecksMark(tuple(names)))


@jsii.implements(cdk.IAspect)
class _SecurityChecksMark:
    """Adds the plugin names to each stack's template metadata, merged with any earlier mark."""

    def __init__(self, names: tuple[str, ...]) -> None:
        self._names = names

    def visit(self, node: IConstruct) -> None:
        if not isinstance(node, cdk.Stack):
            return
        earlier = (node.template_options.metadata or {}).get(SECURITY_CHECKS_KEY) or []
        node.add_metadata(SECURITY_CHECKS_KEY, sorted({*earlier, *self._names}))
