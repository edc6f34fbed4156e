"""IAM wildcard matching and the reduction of pattern lists (no pattern covered by another one)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from aifinops.catalog import model_catalog
from aifinops.policies.wildcards import covers, matches, reduce_patterns


def test_star_crosses_dots_slashes_and_dashes() -> None:
    assert matches("*.anthropic.claude-opus*", "us-gov.anthropic.claude-opus-4-7")
    assert matches("budget/aifinops-*", "budget/aifinops-search/action/0f1e")
    assert matches("ml.g5.?xlarge", "ml.g5.2xlarge") and not matches("ml.g5.?xlarge", "ml.g5.12xlarge")
    assert not matches("p5.*", "p5e.48xlarge") and not matches("anthropic.claude-opus*", "Anthropic.claude-opus")
    assert matches("a[b]*", "a[b]c")  # brackets are literal in IAM, unlike fnmatch


def test_catalog_reduction_drops_only_covered_patterns() -> None:
    catalog = model_catalog()
    premium = catalog.patterns_for_tiers(("premium",))
    assert reduce_patterns(premium) == ("anthropic.claude-opus*", "anthropic.claude-*-opus*", "amazon.nova-premier*",
                                        "amazon.nova-*-premier*")
    assert covers("anthropic.claude-*-opus*", "anthropic.claude-3-opus*")
    assert not covers("anthropic.claude-opus*", "anthropic.claude-*-opus*")


def test_equivalent_patterns_keep_the_first() -> None:
    assert reduce_patterns(["a**", "a*", "a*", "b?"]) == ("a**", "b?")
    assert reduce_patterns(["a?", "a*"]) == ("a*",)
    assert reduce_patterns(["a*", "a?"]) == ("a*",)


PATTERN = st.text(alphabet="ab.*?-", min_size=1, max_size=6)
VALUE = st.text(alphabet="ab.-", max_size=8)


@given(patterns=st.lists(PATTERN, min_size=1, max_size=6), values=st.lists(VALUE, min_size=1, max_size=20))
def test_reduction_matches_exactly_what_the_input_matches(patterns: list[str], values: list[str]) -> None:
    reduced = reduce_patterns(patterns)
    assert set(reduced) <= set(patterns)
    for value in values:
        assert any(matches(p, value) for p in reduced) == any(matches(p, value) for p in patterns)


@given(general=PATTERN, specific=PATTERN, value=VALUE)
def test_covers_is_sound(general: str, specific: str, value: str) -> None:
    if covers(general, specific) and matches(specific, value):
        assert matches(general, value)
