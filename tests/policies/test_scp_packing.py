"""Packing SCP statements into documents under the configured limits, and the errors when they cannot fit."""

from __future__ import annotations

import re
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from aifinops.config import FinOpsConfig, load
from aifinops.policies.packing import ENVELOPE, Limits, document_size, pack, split_to_fit
from aifinops.policies.scp import SECTIONS, ScpLimitError, build_scps, build_sections, build_statements
from aifinops.policies.scp_statement import as_list, deny
from aifinops.policies.scp_types import ScpDocument, Statement
from tests.conftest import REFERENCE_CONFIG
from tests.policies.scp_eval import all_statements, denied, edited

REFERENCE = load(REFERENCE_CONFIG)


def limits(**changes: int) -> FinOpsConfig:
    """The reference config with other SCP limits, without budget actions: their SCPs take slots too
    (AIF_BUDGET_SCP_SLOTS, tests/infra/test_team_budgets_stack.py); these tests are about the guardrails."""
    def change(data: dict[str, Any]) -> None:
        data["organization"]["scp_limits"].update(changes)
        for team in data["teams"]:
            team.pop("budget_action", None)

    return edited(change)


def base_sid(sid: str) -> str:
    return re.sub(r"Part\d+$", "", sid)


def check_within_limits(config: FinOpsConfig, result: dict[str, tuple[ScpDocument, ...]]) -> None:
    scp = config.organization.scp_limits
    for env, documents in result.items():
        environment = config.environments[env]
        assert 1 <= len(documents) <= scp.max_per_target - scp.already_attached
        names = [d.name for d in documents]
        if documents[0].packing == "dense":
            assert names == [f"aifinops-{env}-{n}" for n in range(1, len(documents) + 1)]
        else:  # numbered within each section, sections in order
            expected = [f"aifinops-{env}-{label}-{n}" for label in SECTIONS for n in range(1, 1 + sum(
                d.name.startswith(f"aifinops-{env}-{label}-") for d in documents))]
            assert names == expected
        for document in documents:
            assert document.environment == env
            assert document.targets == (*environment.ou_ids, *environment.accounts)
            assert document.size == len(document.minified()) == document_size(document.statements)
            assert document.size <= scp.max_characters * scp.fill_percent // 100
            assert document.packing == documents[0].packing in ("stable", "dense")
        order = {s.sid: i for i, s in enumerate(build_statements(config, env))}
        packed = [s.sid for s in all_statements(documents)]
        assert len(packed) == len(set(packed)) and {base_sid(sid) for sid in packed} == set(order)
        for sid in order:  # a split statement's parts are numbered 1..n
            parts = sorted(int(p.removeprefix(f"{sid}Part")) for p in packed if p.startswith(f"{sid}Part"))
            assert parts == list(range(1, len(parts) + 1)) and (not parts or sid not in packed)
        for document in documents:  # statement order is kept inside each document
            ranks = [order[base_sid(s.sid)] for s in document.statements]
            assert ranks == sorted(ranks)


def test_reference_documents_fit_the_reference_limits() -> None:
    result = build_scps(REFERENCE)
    assert set(result) == set(REFERENCE.environments)
    check_within_limits(REFERENCE, result)
    assert {env: len(docs) for env, docs in result.items()} == {"dev": 7, "staging": 7, "prod": 6}
    assert {d.packing for docs in result.values() for d in docs} == {"stable"}


def test_stable_layout_keeps_each_section_in_documents_of_its_own() -> None:
    for env, documents in build_scps(REFERENCE).items():
        section_of = build_statements_sections(env)
        sections = [section_of[base_sid(s.sid)] for d in documents for s in d.statements]
        per_document = [{section_of[base_sid(s.sid)] for s in d.statements} for d in documents]
        assert all(len(kinds) == 1 for kinds in per_document), (env, per_document)
        assert sections == sorted(sections), "sections in order, one after the other"


def build_statements_sections(env: str) -> dict[str, int]:
    return {s.sid: n for n, section in enumerate(build_sections(REFERENCE, env)) for s in section}


def test_growing_one_section_never_moves_another_sections_statements() -> None:
    before = {d.name: d for d in build_scps(REFERENCE)["dev"]}
    grown = {d.name: d for d in build_scps(edited(  # the allowlist adds statements to the run section
        lambda data: data["environments"]["dev"].update(model_policy="allowlist")))["dev"]}
    assert len(grown) >= len(before) and {n for n in grown if n not in before} <= {"aifinops-dev-run-3"}
    assert [d for n, d in grown.items() if n.startswith("aifinops-dev-run-")] != [
        d for n, d in before.items() if n.startswith("aifinops-dev-run-")], "the run section grew"
    for name, document in before.items():
        if not name.startswith("aifinops-dev-run-"):
            assert grown[name] == document, name


def test_dense_layout_when_the_stable_one_needs_too_many_slots() -> None:
    stable = build_scps(limits(max_characters=7400, fill_percent=100))
    assert len(stable["dev"]) == 7 and len(stable["prod"]) == 6  # dev needs one slot more than given below
    config = limits(max_characters=7400, max_per_target=7, already_attached=1, fill_percent=100)
    result = build_scps(config)
    check_within_limits(config, result)
    assert len(result["dev"]) <= 6 and {d.packing for d in result["dev"]} == {"dense"}
    assert {d.packing for d in result["prod"]} == {"stable"}

def test_output_is_deterministic() -> None:
    first, second = build_scps(REFERENCE), build_scps(load(REFERENCE_CONFIG))
    assert first == second
    assert [d.minified() for docs in first.values() for d in docs] == [
        d.minified() for docs in second.values() for d in docs]


def compact(**scp_limits: int) -> FinOpsConfig:
    """Fewer tags and one break-glass pattern: dev's statements then fit one 10,240-character document."""
    def change(data: dict[str, Any]) -> None:
        data["tags"]["required"] = ["team", "environment"]
        data["organization"]["break_glass"] = ["arn:aws:iam::*:role/BreakGlass*"]
        data["organization"]["scp_limits"].update(scp_limits)

    return edited(change)


def test_a_section_that_just_fits_one_document() -> None:
    documents = build_scps(compact(fill_percent=100))["dev"]
    largest = max(d.size for d in documents)
    assert [d.size for d in build_scps(compact(max_characters=largest, fill_percent=100))["dev"]] == [
        d.size for d in documents]
    tighter = compact(max_characters=largest - 1, fill_percent=100)
    split = build_scps(tighter)["dev"]
    assert len(split) == len(documents) + 1
    check_within_limits(tighter, {"dev": split})


def test_fill_percent_leaves_headroom() -> None:
    documents = build_scps(compact(fill_percent=100))["dev"]
    largest = max(d.size for d in documents)
    at_ninety = compact(max_characters=min(10_240, largest * 100 // 90 + 1))
    assert all(d.size <= at_ninety.organization.scp_limits.max_characters * 90 // 100
               for d in build_scps(at_ninety)["dev"])
    tighter = compact(max_characters=largest, fill_percent=90)
    assert len(build_scps(tighter)["dev"]) > len(documents)


@pytest.mark.parametrize(("max_per_target", "already_attached", "fits"), [
    (7, 1, True), (6, 1, True), (5, 1, False), (10, 5, True), (10, 6, False), (6, 0, True),
])
def test_already_attached_policies_take_slots(max_per_target: int, already_attached: int, fits: bool) -> None:
    config = limits(max_per_target=max_per_target, already_attached=already_attached)
    if fits:
        check_within_limits(config, build_scps(config))
        return
    with pytest.raises(ScpLimitError) as caught:
        build_scps(config)
    error = caught.value
    # the dense layout was tried too: the error names its documents
    assert error.environment == "dev" and error.documents == tuple(f"aifinops-dev-{n}" for n in range(1, 6))
    assert "1 over the 4 free slot(s) per target" in str(error) and "aifinops-dev-5 " in str(error)
    assert "at 90 % fill" in str(error) and "fill_percent" in str(error)


def test_no_free_slot_is_an_error() -> None:
    with pytest.raises(ScpLimitError, match="environment 'dev': no free SCP slot"):
        build_scps(limits(max_per_target=1, already_attached=1))


def test_old_quotas_need_more_documents() -> None:
    for fill in (90, 100):  # 5,120 / 5 cannot hold the reference's guardrails, whatever the fill
        with pytest.raises(ScpLimitError, match=r"\d over the 4 free slot"):
            build_scps(limits(max_characters=5120, max_per_target=5, already_attached=1, fill_percent=fill))
    with pytest.raises(ScpLimitError, match=r"1 over the 9 free slot"):  # the old size, even with ten slots,
        build_scps(limits(max_characters=5120, max_per_target=10, already_attached=1))  # at 90 % fill
    config = limits(max_characters=5120, max_per_target=10, already_attached=1, fill_percent=100)
    result = build_scps(config)
    check_within_limits(config, result)
    assert {env: len(docs) for env, docs in result.items()} == {"dev": 9, "staging": 9, "prod": 8}


def test_an_oversized_statement_is_split_on_an_or_list_and_denies_the_same() -> None:
    [whole] = [s for s in build_statements(REFERENCE, "dev") if s.sid == "AifProtectTaggedGuardrails"]
    parts = split_to_fit("dev", whole, 1_000)
    assert [p.sid for p in parts] == [f"AifProtectTaggedGuardrailsPart{i}" for i in range(1, len(parts) + 1)]
    assert len(parts) > 1 and all(ENVELOPE + len(p.minified()) <= 1_000 for p in parts)
    assert [a for p in parts for a in as_list(p.body["Action"])] == whole.body["Action"]
    for part in parts:
        assert {k: v for k, v in part.body.items() if k not in ("Sid", "Action")} == {
            k: v for k, v in whole.body.items() if k not in ("Sid", "Action")}
        assert part.summary.startswith(whole.summary) and "(part " in part.summary
    context = {"aws:ResourceTag/aifinops:managed": "true"}
    for action in as_list(whole.body["Action"]):
        assert denied(parts, action, context=context)


def test_the_exemption_list_is_never_split() -> None:
    long_glass = [f"arn:aws:iam::*:role/break-glass-{i:02d}-{'x' * 60}" for i in range(14)]
    def change(data: dict[str, Any]) -> None:
        data["organization"]["break_glass"] = long_glass
        data["organization"]["scp_limits"]["max_characters"] = 1_000

    config = edited(change)
    with pytest.raises(ScpLimitError) as caught:
        build_scps(config)
    message = str(caught.value)
    assert caught.value.environment == "dev"
    assert re.search(r"statement AifDenyModelTierAboveStandard \(.*\) cannot fit a document of 900 characters "
                     r"\(90 % of max_characters 1000\): "
                     r"a part of it that cannot be split further is \d+ characters over", message)
    for statement in build_statements(config, "dev"):
        assert statement.body["Condition"]["ArnNotLike"]["aws:PrincipalARN"][:len(long_glass)] == long_glass


def sized(sid: str, size: int) -> Statement:
    """A statement whose minified JSON is exactly `size` characters."""
    statement = deny(sid, sid, actions=["s3:GetObject"], resources=["x"])
    pad = size - len(statement.minified())
    assert pad >= 0
    return deny(sid, sid, actions=["s3:GetObject"], resources=["x" * (1 + pad)])


def test_first_fit_keeps_statement_order_when_it_fits_the_slots() -> None:
    # Capacity 1,000 for statements: three of 300 fit one document, a 699 pairs with one 300.
    statements = [sized(f"S{i}", 300) for i in range(4)] + [sized(f"B{i}", 699) for i in range(4)]
    documents = pack("env", statements, Limits(max_characters=ENVELOPE + 1_000, documents=5))
    assert [[s.sid for s in d.statements] for d in documents] == [
        ["S0", "S1", "S2"], ["S3", "B0"], ["B1"], ["B2"], ["B3"]]


def test_first_fit_decreasing_when_order_needs_too_many_documents() -> None:
    statements = [sized(f"S{i}", 300) for i in range(4)] + [sized(f"B{i}", 699) for i in range(4)]
    documents = pack("env", statements, Limits(max_characters=ENVELOPE + 1_000, documents=4))
    assert [[s.sid for s in d.statements] for d in documents] == [
        ["S0", "B0"], ["S1", "B1"], ["S2", "B2"], ["S3", "B3"]]
    assert all(d.size == ENVELOPE + 1_000 for d in documents)
    with pytest.raises(ScpLimitError, match=r"4 documents needed .* 1 over the 3 free slot"):
        pack("env", statements, Limits(max_characters=ENVELOPE + 1_000, documents=3))


@settings(max_examples=60, deadline=None)
@given(sizes=st.lists(st.integers(min_value=120, max_value=3_000), min_size=1, max_size=25),
       max_characters=st.integers(min_value=1_000, max_value=10_240), slots=st.integers(min_value=1, max_value=10))
def test_packing_respects_limits_and_keeps_every_statement(sizes: list[int], max_characters: int, slots: int) -> None:
    statements = [sized(f"S{i}", size) for i, size in enumerate(sizes)]
    try:
        documents = pack("env", statements, Limits(max_characters=max_characters, documents=slots))
    except ScpLimitError as error:
        assert error.environment == "env"
        one_document = ENVELOPE + sum(sizes) + len(sizes) - 1
        assert one_document > max_characters or any(ENVELOPE + s > max_characters for s in sizes)
        return
    assert len(documents) <= slots
    assert all(d.size <= max_characters for d in documents)
    assert sorted(s.sid for d in documents for s in d.statements) == sorted(s.sid for s in statements)
    for document in documents:  # statement order kept inside each document
        order = [int(s.sid[1:]) for s in document.statements]
        assert order == sorted(order)


@settings(max_examples=25, deadline=None)
@given(max_characters=st.integers(min_value=1_000, max_value=10_240),
       max_per_target=st.integers(min_value=1, max_value=10), already_attached=st.integers(min_value=0, max_value=9))
def test_any_limits_give_documents_within_limits_or_a_clear_error(
        max_characters: int, max_per_target: int, already_attached: int) -> None:
    config = REFERENCE.model_copy(update={"organization": REFERENCE.organization.model_copy(update={
        "scp_limits": REFERENCE.organization.scp_limits.model_copy(update={
            "max_characters": max_characters, "max_per_target": max_per_target,
            "already_attached": already_attached})})})
    try:
        result = build_scps(config)
    except ScpLimitError as error:
        assert error.environment in config.environments and str(error).startswith(f"environment '{error.environment}'")
        return
    check_within_limits(config, result)
