"""The type of a declared IAM permission: each function lists, next to its code, every action that code needs
(its own table and its own `condition` vocabulary), and its CDK construct grants exactly those."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

__all__ = ["Permission", "actions_in"]


@dataclass(frozen=True)
class Permission:
    action: str  # IAM action
    operations: tuple[str, ...]  # boto3 service name:API operation
    resources: tuple[str, ...]  # ARN resource types, or "*"
    condition: str  # how the action is narrowed; the values are each function's own


def actions_in(permissions: Iterable[Permission], operation: str) -> list[str]:
    """The IAM actions declared in `permissions` for a `service:Operation` call ([] when undeclared)."""
    return [p.action for p in permissions if operation in p.operations]
