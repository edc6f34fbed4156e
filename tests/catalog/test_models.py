"""Model tiers: dated and undated ids, geo prefixes, and one tier per id."""

from __future__ import annotations

import pytest

from aifinops.catalog import model_catalog, strip_geo_prefix

# Ids from REFERENCE.md: old dated style, new undated style, and other providers.
EXPECTED_TIERS = {
    "anthropic.claude-3-opus-20240229-v1:0": "premium",
    "anthropic.claude-opus-4-1-20250805-v1:0": "premium",
    "anthropic.claude-opus-4-6-v1": "premium",
    "anthropic.claude-opus-4-7": "premium",
    "anthropic.claude-sonnet-4-5-20250929-v1:0": "standard",
    "anthropic.claude-3-5-sonnet-20240620-v1:0": "standard",
    "anthropic.claude-sonnet-5": "standard",
    "anthropic.claude-haiku-4-5-20251001-v1:0": "economy",
    "anthropic.claude-3-haiku-20240307-v1:0": "economy",
    "amazon.nova-micro-v1:0": "economy",
    "amazon.nova-lite-v1:0": "economy",
    "amazon.nova-2-lite-v1:0": "economy",
    "amazon.nova-pro-v1:0": "standard",
    "amazon.nova-premier-v1:0": "premium",
    "meta.llama3-1-8b-instruct-v1:0": "economy",
    "meta.llama3-1-70b-instruct-v1:0": "standard",
    "meta.llama4-maverick-17b-instruct-v1:0": "standard",
    "mistral.mistral-large-2407-v1:0": "standard",
    "mistral.mistral-7b-instruct-v0:2": "economy",
    "cohere.command-r-plus-v1:0": "standard",
    "cohere.command-r-v1:0": "economy",
    "cohere.embed-english-v3": "economy",
}


@pytest.mark.parametrize(("model_id", "tier"), sorted(EXPECTED_TIERS.items()))
def test_tier_of_known_ids(model_id: str, tier: str) -> None:
    assert model_catalog().tier_of(model_id) == tier


@pytest.mark.parametrize("geo", ["us", "eu", "apac", "global", "jp"])
def test_system_profile_ids_keep_their_tier(geo: str) -> None:
    assert model_catalog().tier_of(f"{geo}.anthropic.claude-opus-4-7") == "premium"


def test_unknown_model_has_no_tier() -> None:
    assert model_catalog().tier_of("acme.frontier-9") is None
    assert model_catalog().tier_of("anthropic.claude-instant") is None


def test_no_known_id_matches_families_of_two_tiers() -> None:
    catalog = model_catalog()
    for model_id in EXPECTED_TIERS:
        tiers = {f.tier for f in catalog.families if f.matches(model_id)}
        assert len(tiers) == 1, (model_id, tiers)


def test_tiers_are_ordered_cheapest_first() -> None:
    catalog = model_catalog()
    assert catalog.tiers == ("economy", "standard", "premium")
    assert catalog.tiers_above("standard") == ("premium",)
    assert catalog.tiers_above("premium") == ()
    with pytest.raises(KeyError):
        catalog.tier_rank("gold")


def test_premium_patterns_cover_both_id_styles() -> None:
    patterns = model_catalog().patterns_for_tiers(("premium",))
    assert "anthropic.claude-opus*" in patterns
    assert "anthropic.claude-*-opus*" in patterns


def test_strip_geo_prefix_leaves_plain_ids() -> None:
    assert strip_geo_prefix("us.amazon.nova-lite-v1:0") == "amazon.nova-lite-v1:0"
    assert strip_geo_prefix("amazon.nova-lite-v1:0") == "amazon.nova-lite-v1:0"


@pytest.mark.parametrize(("model_id", "price"), [
    ("anthropic.claude-3-opus-20240229-v1:0", (15.0, 75.0)),
    ("anthropic.claude-opus-4-1-20250805-v1:0", (15.0, 75.0)),
    ("anthropic.claude-opus-4-7", (5.0, 25.0)),
    ("anthropic.claude-haiku-4-5-20251001-v1:0", (1.0, 5.0)),
])
def test_token_prices_follow_reference(model_id: str, price: tuple[float, float]) -> None:
    family = model_catalog().family_of(model_id)
    assert family is not None and family.price_per_mtok is not None
    assert (family.price_per_mtok.input, family.price_per_mtok.output) == price
