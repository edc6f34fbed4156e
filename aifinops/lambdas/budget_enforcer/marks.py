"""The paused mark, the state of a pause, and the endpoint record. Pure.

Every paused resource carries `<pausedTag>` = `<budget>/<YYYY-MM>` (e.g. `aifinops:paused-by` =
`aifinops-search/2026-11`): who paused it, and when; resume restores exactly what carries it.

Its state: `<pausedTag>:state` = `<phase>/<run id>`, phase `pausing` (marked, the action not yet confirmed),
`paused` (the action succeeded) or `resuming` (resume is restoring it); `resumed` is the absence of every mark.
Written before the action and after it, so a run that fails half way leaves `pausing`, never a false `paused`:
the next pause retries it, and resume restores it by what it finds (running: only the marks go; stopped:
started). A mark without a state (written before states existed) reads as `paused`.

A paused endpoint is deleted (see actions.py), so its mark lives on the endpoint config it used, which is
kept, together with one record per endpoint: tags `<pausedTag>:endpoint:<endpoint name>:<i>`, whose values,
joined in order of i, are the base64 of {"config": <endpoint config name>, "tags": {<the endpoint's tags>},
"run": <the run id that wrote it>}, and its state `<pausedTag>:state:<endpoint name>`. Base64 because SageMaker
tag values allow only letters, digits, spaces and _.:/=+-@ (base64 fits), at most 256 characters a value (hence
the chunks). A record is never removed by a pause, only by the resume that restored its endpoint.
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

PAUSING, PAUSED, RESUMING = "pausing", "paused", "resuming"
PHASES = (PAUSING, PAUSED, RESUMING)

__all__ = ["PAUSED", "PAUSING", "PHASES", "RESUMING", "EndpointRecord", "Mark", "State", "decode_endpoint_records",
           "encode_endpoint_record", "endpoint_record", "month_of", "parse_mark", "parse_state", "record_prefix",
           "record_tags", "state_key"]


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
class State:
    phase: str  # pausing | paused | resuming
    run: str

    @property
    def value(self) -> str:
        return f"{self.phase}/{self.run}"


def state_key(paused_tag: str, endpoint: str | None = None) -> str:
    """The state's tag key: on the resource itself, or (an endpoint's) on its endpoint config."""
    return f"{paused_tag}:state" if endpoint is None else f"{paused_tag}:state:{endpoint}"


def parse_state(value: str | None) -> State | None:
    """`<phase>/<run id>`; None for no value or one we did not write."""
    if not value or "/" not in value:
        return None
    phase, run = value.split("/", 1)
    return State(phase, run) if phase in PHASES and run else None


@dataclass(frozen=True)
class EndpointRecord:
    endpoint: str
    config: str
    tags: Mapping[str, str]
    keys: tuple[str, ...]  # the tag keys that hold the record, removed once the endpoint is back
    run: str | None = None  # the run that wrote it (None: written before runs were recorded)


def record_prefix(paused_tag: str) -> str:
    return f"{paused_tag}:endpoint:"


def record_tags(paused_tag: str, tags: Mapping[str, str]) -> dict[str, str]:
    """The endpoint tags a record keeps: tags under aws: cannot be written back, ours are not the endpoint's."""
    return {k: v for k, v in sorted(tags.items()) if not k.startswith("aws:") and not k.startswith(paused_tag)}


def endpoint_record(paused_tag: str, endpoint: str, tags: Mapping[str, str]) -> EndpointRecord | None:
    """The record of `endpoint` among an endpoint config's tags (None: none, or it does not decode)."""
    records, _ = decode_endpoint_records(paused_tag, tags)
    return next((r for r in records if r.endpoint == endpoint), None)


def encode_endpoint_record(paused_tag: str, endpoint: str, config: str, tags: Mapping[str, str],
                           run: str | None = None) -> dict[str, str]:
    """The record tags of one endpoint (tag key -> value); `run`: the run id that writes it."""
    doc: dict[str, object] = {"config": config, "tags": record_tags(paused_tag, tags)}
    if run is not None:
        doc["run"] = run
    payload = json.dumps(doc, separators=(",", ":"), sort_keys=True)
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
            config, saved, run = doc["config"], doc["tags"], doc.get("run")
            if not isinstance(config, str) or not isinstance(saved, dict) or not isinstance(run, str | None):
                raise ValueError("unexpected shape")
        except (ValueError, KeyError, TypeError, binascii.Error) as exc:
            problems.append(f"endpoint record of {endpoint!r} does not decode: {exc}")
            continue
        records.append(EndpointRecord(endpoint=endpoint, config=config,
                                      tags={str(k): str(v) for k, v in saved.items()},
                                      keys=tuple(k for k, _ in ordered), run=run))
    return records, problems
