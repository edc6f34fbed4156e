"""How every aifinops SCP statement is built: a Deny with a stable Sid, a plain-words summary, and the
exemption of the break-glass (and, where asked, deployment) principals merged into its conditions.

Partition. Resource ARNs start `arn:*:`. IAM allows wildcards in every ARN segment but the service one
(IAM User Guide, "IAM JSON policy elements: Resource", *Using wildcards in resource ARNs*), and each
account, so each organization and its SCPs, lives in exactly one partition (IAM User Guide, "Identify AWS
resources with ARNs"). `arn:*:` therefore matches exactly what `arn:aws:` would in the commercial
partition, and still matches in an aws-us-gov or aws-cn organization, where an `arn:aws:` Deny would
silently match nothing. It is also two characters shorter. The config already accepts GovCloud regions
and `arn:aws-us-gov:` break-glass patterns.

Condition key case. The exemption uses `aws:PrincipalARN`, the spelling of the AWS Organizations SCP
examples. IAM compares condition key names case-insensitively (the global key is documented as
`aws:PrincipalArn`); values (the ARN patterns) are compared by `ArnNotLike`.

Pure; no aws_cdk.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from aifinops.policies.scp_types import Statement

ARN = "arn:*"  # prefix of every resource ARN: the partition wildcard (see the module docstring)
PRINCIPAL_ARN = "aws:PrincipalARN"
EXEMPT_OPERATOR = "ArnNotLike"

# Condition operators whose value list is an OR: a statement split on such a list into chunks denies
# exactly what the whole statement denies. Negated operators (StringNotLike, ArnNotLike: the exemption)
# and ForAllValues are not: splitting them would deny more. `Action` and `Resource` lists are ORs too.
SPLITTABLE_OPERATORS = frozenset({
    "StringEquals", "StringLike", "ArnEquals", "ArnLike",
    "ForAnyValue:StringEquals", "ForAnyValue:StringLike",
})

Conditions = Mapping[str, Mapping[str, Sequence[str] | str]]

_SID = re.compile(r"[A-Za-z0-9]+")


def deny(sid: str, summary: str, *, actions: Sequence[str], resources: Sequence[str] = ("*",),
         conditions: Conditions | None = None, exempt: Sequence[str] = (),
         not_resources: Sequence[str] = ()) -> Statement:
    """A Deny statement. `exempt` principal ARN patterns are spared through `ArnNotLike` on
    `aws:PrincipalARN`, merged into `conditions` (an existing `ArnNotLike` on the same key is extended,
    never duplicated: JSON keys must be unique and each extra key would be ANDed). With `not_resources`, the
    statement denies every resource but those (`NotResource`; `resources` is then ignored)."""
    if not _SID.fullmatch(sid):
        raise ValueError(f"Sid '{sid}' must be ASCII letters and digits only")
    if not actions or not resources:
        raise ValueError(f"statement {sid} needs at least one action and one resource")
    merged = merge_conditions(conditions or {}, {EXEMPT_OPERATOR: {PRINCIPAL_ARN: list(exempt)}} if exempt else {})
    body: dict[str, Any] = {"Sid": sid, "Effect": "Deny", "Action": compact(actions)}
    if not_resources:
        body["NotResource"] = compact(not_resources)
    else:
        body["Resource"] = compact(resources)
    if merged:
        body["Condition"] = {op: {key: compact(values) for key, values in keys.items()}
                             for op, keys in merged.items()}
    return Statement(sid=sid, body=body, summary=summary)


def merge_conditions(*blocks: Conditions) -> dict[str, dict[str, list[str]]]:
    """Operator -> key -> values, in first-seen order; the same operator and key in two blocks give one
    entry with the union of their values (IAM ORs the values of one key)."""
    merged: dict[str, dict[str, list[str]]] = {}
    for block in blocks:
        for operator, keys in block.items():
            for key, values in keys.items():
                target = merged.setdefault(operator, {}).setdefault(key, [])
                for value in as_list(values):
                    if value not in target:
                        target.append(value)
    return merged


def exemptions(*groups: Iterable[str]) -> tuple[str, ...]:
    """Principal patterns of several config fields, duplicates removed, first-seen order kept."""
    return tuple(dict.fromkeys(p for group in groups for p in group))


def compact(values: Sequence[str] | str) -> str | list[str]:
    """One value as a plain string, several as a list (each saves two characters of the quota)."""
    items = list(dict.fromkeys(as_list(values)))
    return items[0] if len(items) == 1 else items


def as_list(values: Sequence[str] | str | Any) -> list[str]:
    return [values] if isinstance(values, str) else list(values)


def sid_word(text: str) -> str:
    """`task-type` -> `TaskType`, `aifinops:managed` -> `AifinopsManaged`: a Sid-safe CamelCase word."""
    return "".join(part[:1].upper() + part[1:] for part in re.split(r"[^A-Za-z0-9]+", text) if part)


def unique_sid_words(texts: Sequence[str]) -> tuple[str, ...]:
    """`sid_word` of each text, made unique (and never empty) by a position suffix where needed."""
    words = [sid_word(t) or "Key" for t in texts]
    taken: set[str] = set()
    unique: list[str] = []
    for i, word in enumerate(words):
        candidate, n = (word, 0) if words.count(word) == 1 else (f"{word}{i + 1}", i + 1)
        while candidate in taken:  # `a-b`/`a_b`/`AB1`: rare, but a Sid must not repeat in a policy
            n += len(words)
            candidate = f"{word}{n}"
        taken.add(candidate)
        unique.append(candidate)
    return tuple(unique)


def statement_actions(statement: Statement) -> tuple[str, ...]:
    return tuple(as_list(statement.body["Action"]))


def statement_condition_keys(statement: Statement) -> tuple[str, ...]:
    return tuple(key for keys in statement.body.get("Condition", {}).values() for key in keys)
