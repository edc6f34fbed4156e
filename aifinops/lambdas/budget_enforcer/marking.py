"""The marks of a pause: written before the action, read back from the service before anything destructive, set
to `paused` after it, removed again only by the run that wrote them (see actions.py for the order, marks.py for
the tags).

Where the marks go: on the resource itself; for an endpoint, on its endpoint config (which outlives it), with
the endpoint's record. A record already on the config that says the same (config and tags) is kept as it is,
whoever wrote it: a second run never rewrites, and so never takes over, another run's record. A record that
differs (the endpoint was changed since an earlier pause) is replaced while the endpoint still exists.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, replace

from botocore.exceptions import BotoCoreError, ClientError

from .clients import Clients
from .inventory import Workload
from .kinds import EC2_INSTANCE, ENDPOINT, ENDPOINT_CONFIG, JOB_QUEUE
from .marks import (
    PAUSING,
    Mark,
    State,
    encode_endpoint_record,
    endpoint_record,
    parse_state,
    record_prefix,
    record_tags,
    state_key,
)
from .policy import Policy
from .summary import Summary
from .tagging import add_tags, read_tags, remove_tags

READ_BACK_ATTEMPTS, READ_BACK_PAUSE = 3, 1.0  # seconds between reads while the marks do not read back yet
READ_OPERATIONS = {EC2_INSTANCE: "DescribeTags", JOB_QUEUE: "ListTagsForResource"}  # else SageMaker ListTags
TAG_ERRORS = (ClientError, BotoCoreError, ValueError)

__all__ = ["MarkNotVerified", "Marked", "mark_for_pause", "read_operation", "roll_back", "set_state"]


class MarkNotVerified(Exception):
    """The marks did not read back as written: nothing destructive may follow."""


@dataclass(frozen=True)
class Marked:
    """The marks one run wrote on `target` (the resource, or an endpoint's config) for `resource`."""

    resource: Workload
    target: Workload
    state_key: str
    keys: tuple[str, ...]  # what a rollback may remove: the mark and the state (never an endpoint's record)
    run: str
    problem: str = ""  # why nothing may be done (marking or the read-back failed); "" when verified


def read_operation(kind: str) -> str:
    return READ_OPERATIONS.get(kind, "ListTags")


def mark_for_pause(clients: Clients, w: Workload, *, mark: Mark, policy: Policy, summary: Summary) -> Marked:
    """Write the mark and the state `pausing/<run>` (and an endpoint's record), then read them back."""
    paused = policy.paused_tag
    tags = {paused: mark.value}
    stale: list[str] = []
    expected_record: tuple[str, dict[str, str]] | None = None
    if w.kind == ENDPOINT and w.endpoint is not None:
        target = Workload(kind=ENDPOINT_CONFIG, region=w.region, arn=w.endpoint.config_arn,
                          name=w.endpoint.config_name, tags=w.endpoint.config_tags)
        key = state_key(paused, w.name)
        expected_record = (w.endpoint.config_name, record_tags(paused, w.tags))
        existing = endpoint_record(paused, w.name, target.tags)
        if existing is None or (existing.config, dict(existing.tags)) != expected_record:
            record = encode_endpoint_record(paused, w.name, w.endpoint.config_name, w.tags, summary.run)
            tags.update(record)
            mine = f"{record_prefix(paused)}{w.name}:"
            stale = [k for k in target.tags if k.startswith(mine) and k not in record]
    else:
        target, key = w, state_key(paused)
    tags[key] = State(PAUSING, summary.run).value
    marked = Marked(resource=w, target=target, state_key=key, keys=(paused, key), run=summary.run)

    def failed(operation: str, exc: BaseException, problem: str) -> Marked:
        summary.error(kind=target.kind, region=w.region, resource=target.arn, operation=operation, exc=exc)
        return replace(marked, problem=problem)

    try:
        add_tags(clients, kind=target.kind, region=w.region, arn=target.arn, name=target.name, tags=tags)
    except TAG_ERRORS as exc:
        return failed("TagResource", exc, "marking failed")
    if stale:  # chunks of an older, longer record of this endpoint: it still exists, nothing can be lost
        try:
            remove_tags(clients, kind=target.kind, region=w.region, arn=target.arn, name=target.name, keys=stale)
        except TAG_ERRORS as exc:
            return failed("UntagResource", exc, "removing an outdated record failed")
    for attempt in range(READ_BACK_ATTEMPTS):  # EC2 tags are eventually consistent: a fresh one may lag a moment
        if attempt:
            time.sleep(READ_BACK_PAUSE)
        try:
            current = read_tags(clients, kind=target.kind, region=w.region, arn=target.arn, name=target.name)
        except TAG_ERRORS as exc:
            return failed(read_operation(target.kind), exc, "reading the marks back failed")
        wrong = [k for k, v in tags.items() if current.get(k) != v]
        if expected_record is not None:
            found = endpoint_record(paused, w.name, current)
            if found is None or (found.config, dict(found.tags)) != expected_record:
                wrong.append(f"the record of endpoint {w.name}")
        if not wrong:
            break
    if wrong:
        return failed("VerifyMarks", MarkNotVerified(f"read back from {target.name}: {', '.join(sorted(wrong))} "
                                                     "not as written"), "the marks did not read back as written")
    return marked


def set_state(clients: Clients, marked: Marked, state: State, *, summary: Summary) -> bool:
    """Overwrite the state; False (and an error recorded) when that failed."""
    target = marked.target
    try:
        add_tags(clients, kind=target.kind, region=target.region, arn=target.arn, name=target.name,
                 tags={marked.state_key: state.value})
    except TAG_ERRORS as exc:
        summary.error(kind=target.kind, region=target.region, resource=target.arn, operation="TagResource", exc=exc)
        return False
    return True


def roll_back(clients: Clients, marked: Marked, *, summary: Summary) -> str:
    """Remove the mark and the state after a refused action, if they are still this run's; say what happened.
    Never an endpoint's record (the caller does not roll endpoints back at all)."""
    target = marked.target
    try:
        current = read_tags(clients, kind=target.kind, region=target.region, arn=target.arn, name=target.name)
    except TAG_ERRORS as exc:
        summary.error(kind=target.kind, region=target.region, resource=target.arn,
                      operation=read_operation(target.kind), exc=exc)
        return f"its marks could not be read to roll them back: left {PAUSING} (the next pause retries)"
    state = parse_state(current.get(marked.state_key))
    if state is None or state.run != marked.run:
        owner = state.run if state else "unknown"
        return f"its marks are now run {owner}'s: left as they are"
    try:
        remove_tags(clients, kind=target.kind, region=target.region, arn=target.arn, name=target.name,
                    keys=list(marked.keys))
    except TAG_ERRORS as exc:
        summary.error(kind=target.kind, region=target.region, resource=target.arn, operation="UntagResource", exc=exc)
        return (f"removing its marks failed too: left {PAUSING} (the next pause retries; resume removes the marks "
                "of a running resource)")
    return "its marks removed again"
