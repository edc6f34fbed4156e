"""`aifinops.govern(app, config)`: one call that governs every stack of a CDK app.

It attaches to the app the cost tag validation (every taggable resource of every
stack must carry the cost tags finops.yaml requires, with allowed values), the AiFinOps cdk-nag pack (accelerated
types per environment, tags, endpoint scaling, time limits, Bedrock through profiles, IMDSv2, encrypted topics:
raw L1s and property overrides included, since the rules read the synthesized templates) and, by default,
cdk-nag's AwsSolutions and Serverless packs, which validate the templates of the Stages inside the app too, and
marks every stack, Stages included, for the cost tag check and `aifinops check`; the pack constructs' accepted
checkov findings (`aifinops.infra.checkov_skips`) are written into their templates with their reasons, so
they pass `aifinops check` in any app. A stack opts out of the cost
tag and AiFinOps checks only with `exempt(stack, reason)`, which records the reason in its template for
reviewers and `aifinops report`.

CDK aspects do not cross into nested Stages, so the stages are found when `govern` is called: call it once
every stage exists (just before `app.synth()`). A Stage created later is not silently left out: synthesis
fails, naming it.
"""

from __future__ import annotations

import aws_cdk as cdk
import jsii
from cdk_nag import AwsSolutionsChecks, ServerlessChecks
from constructs import Construct, IConstruct, IValidation

from aifinops.check.marker import add_marked_plugins, mark_stacks
from aifinops.config import FinOpsConfig
from aifinops.infra.checkov_skips import add_checkov_skips
from aifinops.policies.nag import AiFinOpsChecks
from aifinops.policies.plugins.cost_tag_validation import CostTagValidation, enforce_cost_tags
from aifinops.template_metadata import GOVERNANCE

__all__ = ["GovernanceError", "exempt", "govern", "is_exempt"]

MARKER_ID = "AiFinOpsGovernance"  # an empty child construct of each governed stage: it renders nothing
MIN_REASON_CHARS = 15


class GovernanceError(ValueError):
    """A governance call that cannot be honoured (an empty exemption reason, govern called twice)."""


def govern(app: cdk.Stage, config: FinOpsConfig, *, aws_solutions: bool = True, serverless: bool = True) -> None:
    """Govern every stack of `app` (a cdk.App or Stage) and of every Stage inside it.

    :param aws_solutions: attach cdk-nag's AwsSolutions pack too. Default: True.
    :param serverless: attach cdk-nag's Serverless pack too. Default: True.

    Example::

        import aws_cdk as cdk
        import aifinops
        from aifinops.config import load

        app = cdk.App()
        ...  # your stacks and stages
        aifinops.govern(app, load("finops.yaml"))
        app.synth()  # fails on a missing cost tag, a forbidden GPU type, ... naming the construct
    """
    if not isinstance(app, cdk.Stage):
        raise GovernanceError(f"govern() takes a cdk.App or cdk.Stage, not {type(app).__name__}")
    stages = [app, *(c for c in app.node.find_all() if isinstance(c, cdk.Stage) and c is not app)]
    if any(_governed(stage) for stage in stages):
        raise GovernanceError(f"{app.node.path or 'the app'} is governed already: call govern() once")
    # The plugins of the outermost stage validate the templates of the Stages inside it too (attaching them
    # again would report each finding twice); aspects stop at a Stage, so each stage gets its own.
    packs: list[cdk.IPolicyValidationPlugin] = [CostTagValidation(config), AiFinOpsChecks(app, config=config,
                                                                                         verbose=True)]
    if aws_solutions:
        packs.append(AwsSolutionsChecks(app, verbose=True))
    if serverless:
        packs.append(ServerlessChecks(app, verbose=True))
    add_marked_plugins(app, *packs)
    for stage in stages:
        if stage is not app:
            mark_stacks(stage, [p.name for p in packs])
        cdk.Aspects.of(stage).add(_EnforceCostTags(config))
        add_checkov_skips(stage)  # the pack constructs' accepted checkov findings travel with them, with reasons
        Construct(stage, MARKER_ID)
    app.node.add_validation(_EveryStageGoverned(app))


def exempt(stack: cdk.Stack, reason: str) -> None:
    """Take `stack` out of the cost tag and AiFinOps checks, for `reason` (at least 15 characters: who decided
    and why), which its template records (`aifinops:governance` metadata) for `aifinops check` and `report`."""
    text = (reason or "").strip()
    if len(text) < MIN_REASON_CHARS:
        raise GovernanceError(f"{stack.node.path}: an exemption needs a reason of at least {MIN_REASON_CHARS} "
                              f"characters (who decided and why), got {text!r}")
    stack.add_metadata(GOVERNANCE, {"exempt": True, "reason": text})


def is_exempt(stack: cdk.Stack) -> bool:
    found = (stack.template_options.metadata or {}).get(GOVERNANCE)
    return isinstance(found, dict) and found.get("exempt") is True


def _governed(stage: cdk.Stage) -> bool:
    return stage.node.try_find_child(MARKER_ID) is not None


@jsii.implements(cdk.IAspect)
class _EnforceCostTags:
    """Marks every stack of the stage for the cost tag validation, unless it is exempt."""

    def __init__(self, config: FinOpsConfig) -> None:
        self._required = list(config.tags.required)

    def visit(self, node: IConstruct) -> None:
        if isinstance(node, cdk.Stack) and not is_exempt(node):
            enforce_cost_tags(node, self._required)


@jsii.implements(IValidation)
class _EveryStageGoverned:
    """Fails synthesis when a Stage was created after govern(): its stacks would be checked by nothing."""

    def __init__(self, app: cdk.Stage) -> None:
        self._app = app

    def validate(self) -> list[str]:
        return [f"Stage {stage.node.path} was created after aifinops.govern(): call govern() once every stage "
                "exists, just before app.synth()"
                for stage in self._app.node.find_all()
                if isinstance(stage, cdk.Stage) and not _governed(stage)]
