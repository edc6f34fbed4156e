"""The paused mark and the endpoint record. Pure.

Every paused resource carries `<pausedTag>` = `<budget>/<YYYY-MM>` (e.g. `aifinops:paused-by` =
`aifinops-search/2026-11`): who paused it, and when; resume restores exactly what carries it.

A paused endpoint is deleted (see actions.py), so its mark lives on the endpoint config it used, which is
kept, together with one record per endpoint: tags `<pausedTag>:endpoint:<endpoint name>:<i>`, whose values,
joined in order of i, are the base64 of {"config": <endpoint config name>, "tags": {<the endpoint's tags>}}.
Base64 because SageMaker tag values allow only letters, digits, spaces and _.:/=+-@ (base64 fits), at most
256 characters a value (hence the chunks).
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

MAX_TAG_VALUE = 256
MAX_TAG_KEY = 128
_MONTH = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")

__all__ = ["EndpointRecord", "Mark", "decode_endpoint_records", "encode_endpoint_record", "month_of",
           "parse_mark", "record_prefix"]


@dataclass(frozen=True)
class Mark:
    budget: str
    month: str

    @property
    def value(self) -> str:
        return f"{self.budget}/{self.month}"


def month_of(now: datetime) -> str:
    return now.strftime("%Y-%m")


def parse_mark(value: str | None) -> Mark | None:
    """`<budget>/<YYYY-MM>`; None for a value we did not write."""
    if not value or "/" not in value:
        return None
    budget, month = value.rsplit("/", 1)
    return Mark(budget, month) if budget and _MONTH.match(month) else None


@dataclass(frozen=True)
class EndpointRecord:
    endpoint: str
    config: str
    tags: Mapping[str, str]
    keys: tuple[str, ...]  # the tag keys that hold the record, removed once the endpoint is back


def record_prefix(paused_tag: str) -> str:
    return f"{paused_tag}:endpoint:"


def encode_endpoint_record(paused_tag: str, endpoint: str, config: str, tags: Mapping[str, str]) -> dict[str, str]:
    """The record tags of one endpoint (tag key -> value). Tags under aws: cannot be written back: dropped."""
    kept = {k: v for k, v in sorted(tags.items()) if not k.startswith("aws:") and not k.startswith(paused_tag)}
    payload = json.dumps({"config": config, "tags": kept}, separators=(",", ":"), sort_keys=True)
    encoded = base64.b64encode(payload.encode()).decode()
    chunks = [encoded[i:i + MAX_TAG_VALUE] for i in range(0, len(encoded), MAX_TAG_VALUE)]
    record = {f"{record_prefix(paused_tag)}{endpoint}:{i}": chunk for i, chunk in enumerate(chunks)}
    too_long = [key for key in record if len(key) > MAX_TAG_KEY]
    if too_long:
        raise ValueError(f"record tag key longer than {MAX_TAG_KEY} characters: {too_long[0]}")
    return record


def decode_endpoint_records(paused_tag: str, tags: Mapping[str, str]) -> tuple[list[EndpointRecord], list[str]]:
    """The endpoint records among a config's tags, and a problem line for each record that does not decode."""
    prefix = record_prefix(paused_tag)
    chunks: dict[str, dict[int, tuple[str, str]]] = {}
    for key, value in tags.items():
        if not key.startswith(prefix):
            continue
        endpoint, _, index = key[len(prefix):].rpartition(":")
        if endpoint and index.isdigit():
            chunks.setdefault(endpoint, {})[int(index)] = (key, value)
    records, problems = [], []
    for endpoint, parts in sorted(chunks.items()):
        ordered = [parts[i] for i in sorted(parts)]
        try:
            if sorted(parts) != list(range(len(parts))):
                raise ValueError("missing chunk")
            doc = json.loads(base64.b64decode("".join(v for _, v in ordered), validate=True))
            config, saved = doc["config"], doc["tags"]
            if not isinstance(config, str) or not isinstance(saved, dict):
                raise ValueError("unexpected shape")
        except (ValueError, KeyError, TypeError, binascii.Error) as exc:
            problems.append(f"endpoint record of {endpoint!r} does not decode: {exc}")
            continue
        records.append(EndpointRecord(endpoint=endpoint, config=config,
                                      tags={str(k): str(v) for k, v in saved.items()},
                                      keys=tuple(k for k, _ in ordered)))
    return records, problems
