"""`CostTags`: the mandatory cost tags of an AI workload, applied to a whole construct subtree."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import aws_cdk as cdk
from constructs import IConstruct

from aifinops.config import ENVIRONMENT, MODEL, PROJECT, TASK_TYPE, TEAM


@dataclass(frozen=True, kw_only=True)
class CostTags:
    """The five cost tags, plus any extra keys your finops.yaml requires.

    Example::

        import aws_cdk as cdk
        from aifinops.constructs import CostTags

        stack = cdk.Stack(cdk.App(), "SearchAi")
        tags = CostTags(team="search", project="ranker", model="anthropic.claude-haiku-4-5-20251001-v1:0",
                        environment="dev", task_type="generation")
        tags.apply(stack)   # every taggable resource below `stack` gets all five

    Values are checked at synthesis by the AiFinOpsCostTags validation plugin against finops.yaml.
    """

    team: str
    project: str
    model: str
    environment: str
    task_type: str
    extra: Mapping[str, str] = field(default_factory=dict)

    def as_dict(self) -> dict[str, str]:
        return {TEAM: self.team, PROJECT: self.project, MODEL: self.model, ENVIRONMENT: self.environment,
                TASK_TYPE: self.task_type, **self.extra}

    def apply(self, scope: IConstruct) -> None:
        """Tag every taggable resource in `scope` (Tags.of, applied at the mutating aspect priority)."""
        for key, value in self.as_dict().items():
            cdk.Tags.of(scope).add(key, value)

    def replace(self, **changes: str) -> CostTags:
        """A copy with some values changed, e.g. a different model for one child construct."""
        values: dict[str, object] = {**self.__dict__, **changes}
        return CostTags(**values)  # type: ignore[arg-type]
