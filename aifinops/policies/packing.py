"""Pack an environment's statements into SCP documents under the organization's limits, stably.

Limits (`organization.scp_limits`): each document's minified JSON at most `max_characters` (AWS counts every
character) times `fill_percent` (default 90: headroom, so that a statement growing with the config does not spill
into another document), and at most `max_per_target - already_attached` documents, since every document is
attached to every OU and account of the environment.

Algorithm, and why:
1. A statement that cannot fit a document on its own is split on its longest OR-list (Action, Resource, or
   the values of a positive condition operator such as `StringLike` or `ForAnyValue:StringLike`) into the
   fewest chunks that fit, Sids suffixed `Part1`, `Part2`, ...; each chunk denies a part of what the whole
   denied, so together they deny exactly the same. Negated lists (`StringNotLike`, the break-glass
   `ArnNotLike`, `NotResource`) and `ForAllValues` are never split: a part would deny more than the whole. What
   still does not fit raises `ScpLimitError`.
2. Stable: each section (`run`: model tiers, accelerators, run time and commitments; `tags`: cost tags at
   creation; `protect`: protection) has documents of its own, named for it (`aifinops-dev-tags-1`), filled first
   fit in statement order. Adding or growing a statement therefore never moves or renames a statement or document
   of another section; within a section a statement only ever moves to a later document. CloudFormation updates
   a policy only after the policies that follow it (`OrgGuardrailsStack` chains them), so a statement moving
   forward is in its new document before it leaves the old one: never in neither. Sids never depend on the
   packing.
3. Dense, only when the stable layout needs more documents than the free slots: first fit across sections, then
   first fit decreasing (largest first, ties in statement order; statements then re-sorted into statement order
   inside each document). The documents say which layout they are (`ScpDocument.packing`) and the report shows
   it: in a dense layout a config change can move a statement backward, briefly into neither document.
4. Still too many: `ScpLimitError`, with the environment, the documents and how many are over.
Deterministic: no set iteration, no hashing; the same input gives the same documents.
Pure; no aws_cdk.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from aifinops.naming import NAME_PREFIX
from aifinops.policies.scp_statement import SPLITTABLE_OPERATORS, as_list, compact
from aifinops.policies.scp_types import POLICY_VERSION, ScpDocument, Statement, minify

# Characters of the document around its statements: {"Version":"2012-10-17","Statement":[]}
ENVELOPE = len(minify({"Version": POLICY_VERSION, "Statement": []}))
PART = "Part"
_PART_RESERVE = len(PART) + 3  # room for `Part999` when measuring a chunk before it is numbered

Indexed = tuple[int, Statement]  # a statement (or part) and its position in the environment's list


class ScpLimitError(ValueError):
    """The environment's guardrails do not fit the configured SCP limits."""

    def __init__(self, environment: str, documents: Sequence[str], overflow: str) -> None:
        self.environment = environment
        self.documents = tuple(documents)
        self.overflow = overflow
        where = f" (SCP documents {', '.join(self.documents)})" if self.documents else ""
        super().__init__(f"environment '{environment}'{where}: {overflow}")


@dataclass(frozen=True)
class Limits:
    max_characters: int
    documents: int  # free slots per target
    fill_percent: int = 100  # of max_characters a document may use

    @property
    def capacity(self) -> int:
        return self.max_characters * self.fill_percent // 100


STABLE, DENSE = "stable", "dense"


def document_size(statements: Sequence[Statement]) -> int:
    return ENVELOPE + sum(len(s.minified()) for s in statements) + max(len(statements) - 1, 0)


def pack(environment: str, statements: Sequence[Statement], limits: Limits,
         targets: tuple[str, ...] = (), *, sections: Sequence[str] = ()) -> tuple[ScpDocument, ...]:
    """`sections[i]`: the section of statements[i], a short name (default: one unnamed section).

    Stable documents are named `aifinops-<env>-<section>-<n>`, so that a section that grows adds a document of its
    own and renames none of the others; dense documents `aifinops-<env>-<n>`."""
    if limits.documents < 1:
        raise ScpLimitError(environment, (), (
            f"no free SCP slot on its targets (max_per_target minus already_attached is {limits.documents})"))
    capacity = limits.capacity
    note = f" ({limits.fill_percent} % of max_characters {limits.max_characters})" if limits.fill_percent < 100 else ""
    labels = list(sections) or [""] * len(statements)
    pieces = [(label, p) for s, label in zip(statements, labels, strict=True)
              for p in split_to_fit(environment, s, capacity, note=note)]
    indexed = [(n, p) for n, (_, p) in enumerate(pieces)]
    stable = [(label, n, b) for label in dict.fromkeys(labels)
              for n, b in enumerate(_first_fit([x for x, (lb, _) in zip(indexed, pieces, strict=True)
                                                if lb == label], capacity), start=1)]
    layout = STABLE
    named = [("-".join(p for p in (NAME_PREFIX, environment, label, str(n)) if p), b) for label, n, b in stable]
    if len(named) > limits.documents:
        layout, bins = DENSE, _first_fit(indexed, capacity)
        if len(bins) > limits.documents:
            by_size = sorted(indexed, key=lambda item: (-len(item[1].minified()), item[0]))
            decreasing = [sorted(b, key=lambda item: item[0]) for b in _first_fit(by_size, capacity)]
            bins = min(bins, decreasing, key=len)  # equal counts keep the order-preserving packing
        named = [(f"{NAME_PREFIX}-{environment}-{n}", b) for n, b in enumerate(bins, start=1)]
    if len(named) > limits.documents:
        sizes = ", ".join(f"{name} {_bin_size(b)}" for name, b in named)
        headroom = f" at {limits.fill_percent} % fill" if limits.fill_percent < 100 else ""
        raise ScpLimitError(environment, [name for name, _ in named], (
            f"{len(named)} documents needed ({sizes} characters{headroom}), {len(named) - limits.documents} over "
            f"the {limits.documents} free slot(s) per target; raise scp_limits.max_per_target, max_characters or "
            f"fill_percent, lower already_attached, or relax the environment"))
    return tuple(ScpDocument(name=name, environment=environment, statements=tuple(s for _, s in b),
                             targets=targets, packing=layout) for name, b in named)


def _bin_size(indexed: Sequence[Indexed]) -> int:
    return document_size([s for _, s in indexed])


def _first_fit(pieces: Sequence[Indexed], max_characters: int) -> list[list[Indexed]]:
    bins: list[list[Indexed]] = []
    sizes: list[int] = []
    for piece in pieces:
        size = len(piece[1].minified())
        for i, used in enumerate(sizes):
            if used + 1 + size <= max_characters:
                bins[i].append(piece)
                sizes[i] = used + 1 + size
                break
        else:
            bins.append([piece])
            sizes.append(ENVELOPE + size)
    return bins


def split_to_fit(environment: str, statement: Statement, max_characters: int, *, note: str = "") -> list[Statement]:
    """The statement itself when it fits a document alone, else numbered parts that each fit.

    `note` explains `max_characters` in the error (when it is the fill share of the configured maximum)."""
    if ENVELOPE + len(statement.minified()) <= max_characters:
        return [statement]
    bodies = _split_body(environment, statement, statement.body, max_characters, note)
    return [Statement(sid=f"{statement.sid}{PART}{i}", body={**body, "Sid": f"{statement.sid}{PART}{i}"},
                      summary=f"{statement.summary} (part {i} of {len(bodies)})")
            for i, body in enumerate(bodies, start=1)]


def _fits(body: dict[str, Any], max_characters: int) -> bool:
    return ENVELOPE + len(minify(body)) + _PART_RESERVE <= max_characters


def _split_body(environment: str, statement: Statement, body: dict[str, Any],
                max_characters: int, note: str) -> list[dict[str, Any]]:
    if _fits(body, max_characters):
        return [body]
    paths = sorted(((len(minify(value)), i, path) for i, (path, value) in enumerate(_splittable_lists(body))),
                   key=lambda t: (-t[0], t[1]))
    if not paths:
        over = ENVELOPE + len(minify(body)) + _PART_RESERVE - max_characters
        raise ScpLimitError(environment, (), (
            f"statement {statement.sid} ({statement.summary}) cannot fit a document of "
            f"{max_characters} characters{note}: a part of it that cannot be split further is {over} characters "
            f"over (Sid suffix included)"))
    path = paths[0][2]
    values = as_list(_get(body, path))
    chunks: list[list[str]] = []
    for value in values:
        if chunks and _fits(_with(body, path, [*chunks[-1], value]), max_characters):
            chunks[-1].append(value)
        else:
            chunks.append([value])
    return [part for chunk in chunks
            for part in _split_body(environment, statement, _with(body, path, chunk), max_characters, note)]


def _splittable_lists(body: dict[str, Any]) -> list[tuple[tuple[str, ...], Any]]:
    found: list[tuple[tuple[str, ...], Any]] = []
    for element in ("Action", "Resource"):  # never NotResource: a part would deny what the others spare
        if element in body and len(as_list(body[element])) > 1:
            found.append(((element,), body[element]))
    for operator, keys in body.get("Condition", {}).items():
        if operator in SPLITTABLE_OPERATORS:
            found.extend((("Condition", operator, key), values) for key, values in keys.items()
                         if len(as_list(values)) > 1)
    return found


def _get(body: dict[str, Any], path: tuple[str, ...]) -> Any:
    node: Any = body
    for step in path:
        node = node[step]
    return node


def _with(body: dict[str, Any], path: tuple[str, ...], values: list[str]) -> dict[str, Any]:
    copied = copy.deepcopy(body)
    node = copied
    for step in path[:-1]:
        node = node[step]
    node[path[-1]] = compact(values)
    return copied
