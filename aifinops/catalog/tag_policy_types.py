"""Resource types a tag policy may enforce or report for (data in tag_policy_types.yaml)."""

from __future__ import annotations

from functools import cache

from pydantic import BaseModel, ConfigDict, Field

from aifinops.catalog._data import read_yaml


class TagPolicyTypes(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    source: str
    as_of: str
    enforced_for: tuple[str, ...] = Field(min_length=1)
    report_required_tag_for: tuple[str, ...] = Field(min_length=1)


@cache
def tag_policy_types() -> TagPolicyTypes:
    return TagPolicyTypes.model_validate(read_yaml("tag_policy_types.yaml"))
