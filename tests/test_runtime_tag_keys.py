"""`aifinops_runtime.tag_keys`: the one near-miss comparison of the guard, the budget enforcer and the report."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from aifinops.lambdas.guard import exemption
from aifinops_runtime.tag_keys import near_misses, normalized_key, one_edit_apart

KEYS = ("aifinops:critical", "aifinops:paused-by", "team", "project", "model", "environment", "task-type")


@pytest.mark.parametrize(("tag", "key"), [
    ("aifinops:Critical", "aifinops:critical"), ("AIFINOPS_CRITICAL", "aifinops:critical"),
    ("aifinops:critcal", "aifinops:critical"),  # a letter missing
    ("aifinops:crtiical", "aifinops:critical"),  # two neighbours swapped
    ("aifinops:criticall", "aifinops:critical"), ("aifinops:crItixal", "aifinops:critical"),
    ("aifinops:Paused_By", "aifinops:paused-by"), ("Team", "team"), (" team", "team"), ("TEAM", "team"),
    ("Project", "project"), ("projekt", "project"), ("enviroment", "environment"), ("task_type", "task-type"),
    ("TaskType", "task-type"), ("tasktype", "task-type"), ("Model", "model"),
])
def test_near_misses(tag: str, key: str) -> None:
    assert near_misses([tag], KEYS) == {tag: key}


@pytest.mark.parametrize("tag", [
    "aifinops:critical", "team", "project",  # exact keys are never near misses
    "teams", "tam", "mode", "models",  # one edit from a short key: ordinary words, not typos
    "aifinops:criticality", "owner", "Name", "aws:cloudformation:stack-name", "aifinops:paused-by:state",
    "aifinops:paused-by:endpoint:ranker:0", "critical", "---",
])
def test_not_near_misses(tag: str) -> None:
    assert near_misses([tag], KEYS) == {}


def test_a_prefix_also_compares_the_bare_key() -> None:
    assert near_misses(["critical", "Critical", "critcal"], ["aifinops:critical"], prefix="aifinops:") == {
        "critical": "aifinops:critical", "Critical": "aifinops:critical", "critcal": "aifinops:critical"}


def test_an_equal_key_wins_over_a_typo_of_another() -> None:
    assert near_misses(["Projects"], ["project", "projects"]) == {"Projects": "projects"}


def test_the_guard_uses_the_shared_implementation() -> None:
    assert exemption.near_misses is near_misses and exemption.normalized_key is normalized_key


@given(st.text(max_size=12), st.text(max_size=12))
def test_one_edit_apart_is_symmetric_and_agrees_with_a_brute_force(a: str, b: str) -> None:
    alphabet = set(a + b) | {"x"}
    edits = {a[:i] + a[i + 1:] for i in range(len(a))}
    edits |= {a[:i] + c + a[i:] for i in range(len(a) + 1) for c in alphabet}
    edits |= {a[:i] + c + a[i + 1:] for i in range(len(a)) for c in alphabet}
    edits |= {a[:i] + a[i + 1] + a[i] + a[i + 2:] for i in range(len(a) - 1)}
    assert one_edit_apart(a, b) == one_edit_apart(b, a) == (a == b or b in edits)
