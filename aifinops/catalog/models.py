"""Bedrock model families and their cost tiers (data in models.yaml)."""

from __future__ import annotations

import fnmatch
from functools import cache

from pydantic import BaseModel, ConfigDict, Field

from aifinops.catalog._data import read_yaml

# Geographic prefixes of system inference profiles ("us.anthropic.claude-...").
GEO_PREFIXES = ("us", "eu", "apac", "jp", "au", "ca", "global", "us-gov")


class TokenPrice(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    input: float = Field(ge=0)
    output: float = Field(ge=0)


class ModelFamily(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    name: str
    provider: str
    tier: str
    patterns: tuple[str, ...] = Field(min_length=1)
    price_per_mtok: TokenPrice | None = None

    def matches(self, model_id: str) -> bool:
        return any(fnmatch.fnmatchcase(model_id, p) for p in self.patterns)


class ModelCatalog(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    source: str
    as_of: str
    tiers: tuple[str, ...] = Field(min_length=1)
    families: tuple[ModelFamily, ...]

    def family_of(self, model_id: str) -> ModelFamily | None:
        """The family of a model id; a system-profile geo prefix ("us.") is ignored."""
        base = strip_geo_prefix(model_id)
        return next((f for f in self.families if f.matches(base)), None)

    def tier_of(self, model_id: str) -> str | None:
        family = self.family_of(model_id)
        return family.tier if family else None

    def tier_rank(self, tier: str) -> int:
        """Position of a tier, cheapest first; raises KeyError for an unknown tier."""
        try:
            return self.tiers.index(tier)
        except ValueError:
            raise KeyError(tier) from None

    def tiers_above(self, tier: str) -> tuple[str, ...]:
        return self.tiers[self.tier_rank(tier) + 1 :]

    def patterns_for_tiers(self, tiers: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(p for f in self.families if f.tier in tiers for p in f.patterns)


def strip_geo_prefix(model_id: str) -> str:
    head, _, rest = model_id.partition(".")
    return rest if rest and head in GEO_PREFIXES else model_id


@cache
def model_catalog() -> ModelCatalog:
    catalog = ModelCatalog.model_validate(read_yaml("models.yaml"))
    unknown = {f.tier for f in catalog.families} - set(catalog.tiers)
    if unknown:
        raise ValueError(f"models.yaml: families use undeclared tiers {sorted(unknown)}")
    return catalog
