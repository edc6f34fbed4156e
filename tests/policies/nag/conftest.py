"""A small app per test module, synthesized once: rules are called on its L1s as synthesized."""

from __future__ import annotations

from pathlib import Path

import aws_cdk as cdk
import pytest

from aifinops.config import FinOpsConfig
from aifinops.policies.nag.rule import NagRule, ResourceView, TemplateCache, Verdict

ACCOUNT = "222222222222"
DEV_TAGS = {"team": "search", "project": "ranker", "model": "llama-3-1-8b-custom", "environment": "dev",
            "task-type": "generation"}
PROD_TAGS = {**DEV_TAGS, "team": "assistant", "project": "support-bot", "environment": "prod"}


class Cases:
    """Build L1s in `stack(...)`, call `synth()` once, then judge nodes with `verdict(rule, node)`."""

    def __init__(self, outdir: Path, config: FinOpsConfig) -> None:
        # No built-in CloudFormation validation: these stacks are deliberately incomplete and it costs seconds.
        self.app = cdk.App(outdir=str(outdir), builtin_cloud_formation_validation=False)
        self.config = config
        self._cache = TemplateCache()

    def stack(self, name: str) -> cdk.Stack:
        return cdk.Stack(self.app, name, env=cdk.Environment(account=ACCOUNT, region="us-east-1"))

    def synth(self) -> Cases:
        self.app.synth()
        return self

    def view(self, node: cdk.CfnResource) -> ResourceView:
        view = self._cache.view_of(node)
        assert view is not None
        return view

    def verdict(self, rule: NagRule, node: cdk.CfnResource) -> Verdict:
        return rule.check(self.view(node), self.config)


def tag(node: cdk.IConstruct, tags: dict[str, str]) -> None:
    """Cost tags the way constructs apply them: Tags.of, resolved by the aspect at synth."""
    for key, value in tags.items():
        cdk.Tags.of(node).add(key, value)


@pytest.fixture(scope="module")
def cases(tmp_path_factory: pytest.TempPathFactory, config: FinOpsConfig) -> Cases:
    return Cases(tmp_path_factory.mktemp("nag"), config)
