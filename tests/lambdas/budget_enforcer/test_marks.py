"""The paused mark and the endpoint record kept on the endpoint config."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest

from aifinops.lambdas.budget_enforcer.marks import (
    Mark,
    decode_endpoint_records,
    encode_endpoint_record,
    month_of,
    parse_mark,
)

PAUSED = "aifinops:paused-by"
# SageMaker Tag: key 1-128, value 0-256, both ^([\p{L}\p{Z}\p{N}_.:/=+\-@]*)$ (ASCII subset here).
SAGEMAKER_TAG = re.compile(r"^[A-Za-z0-9 _.:/=+\-@]*$")


def test_mark() -> None:
    assert month_of(datetime(2026, 1, 31, 23, 59, tzinfo=UTC)) == "2026-01"
    assert parse_mark("aifinops-search/2026-11") == Mark("aifinops-search", "2026-11")
    assert Mark("aifinops-search", "2026-11").value == "aifinops-search/2026-11"
    for value in (None, "", "aifinops-search", "aifinops-search/2026-13", "/2026-11", "x/26-11"):
        assert parse_mark(value) is None


def test_endpoint_record_round_trip_in_sagemaker_tag_limits() -> None:
    tags = {"team": "search", "project": "ranker", "model": "llama-3-1-8b-custom", "environment": "dev",
            "task-type": "generation", "owner": "ranker-oncall@example.com", "note": "x" * 300,
            "aws:cloudformation:stack-name": "dropped", f"{PAUSED}": "dropped"}
    record = encode_endpoint_record(PAUSED, "search-ranker", "search-ranker-config", tags)
    assert len(record) > 1  # chunked
    for key, value in record.items():
        assert key.startswith(f"{PAUSED}:endpoint:search-ranker:") and len(key) <= 128
        assert len(value) <= 256 and SAGEMAKER_TAG.match(value)
    (decoded,), problems = decode_endpoint_records(PAUSED, {"team": "search", PAUSED: "b/2026-11", **record})
    assert problems == []
    assert decoded.endpoint == "search-ranker" and decoded.config == "search-ranker-config"
    assert decoded.tags == {k: v for k, v in tags.items() if not k.startswith(("aws:", PAUSED))}
    assert set(decoded.keys) == set(record)


def test_two_endpoints_on_one_config_and_a_broken_record() -> None:
    tags = {**encode_endpoint_record(PAUSED, "a", "shared", {"team": "search"}),
            **encode_endpoint_record(PAUSED, "b", "shared", {"team": "search"}),
            f"{PAUSED}:endpoint:c:0": "not base64!", f"{PAUSED}:endpoint:d:1": "e30="}
    records, problems = decode_endpoint_records(PAUSED, tags)
    assert [r.endpoint for r in records] == ["a", "b"]
    assert len(problems) == 2 and "'c'" in problems[0] and "missing chunk" in problems[1]


def test_a_record_key_over_the_limit_is_refused() -> None:
    with pytest.raises(ValueError, match="longer than 128"):
        encode_endpoint_record("x" * 80, "e" * 63, "config", {})
