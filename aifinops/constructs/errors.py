"""Prop validation errors of the aifinops constructs: collected, then raised once with the construct path.

No aws_cdk import: `aifinops validate` runs the constructs' prop rules on finops.yaml without starting jsii."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from constructs import Construct


@dataclass(frozen=True)
class PropProblem:
    code: str  # stable, e.g. AIF_MODEL_TIER
    prop: str
    received: object
    allowed: str
    index: int | None = None  # which item of a list prop; where `aifinops validate` points in the file

    @property
    def message(self) -> str:
        """The problem without the construct path: what `aifinops validate` prints at the finops.yaml field."""
        return f"[{self.code}] {self._detail()}"

    def render(self, path: str) -> str:
        return f"[{self.code}] {path}: {self._detail()}"

    def _detail(self) -> str:
        return f"prop '{self.prop}': received {self.received!r}; allowed: {self.allowed}"


class ConstructPropError(ValueError):
    """Raised at construction when props break a rule; names the construct path and every bad prop."""

    def __init__(self, path: str, problems: list[PropProblem]) -> None:
        self.path = path
        self.problems = problems
        super().__init__("\n".join(p.render(path) for p in problems))


def raise_if_any(scope: Construct, problems: list[PropProblem]) -> None:
    if problems:
        raise ConstructPropError(scope.node.path, problems)
