"""A small evaluator of Deny statements, for unit tests of the SCP builders, and config helpers.

It implements the few IAM rules the builders rely on, so tests can state behaviour ("dev cannot invoke
Opus through a system profile") rather than JSON shapes. The independent check is the iam-simulate
matrix under tests/iam/; this one only needs to be faithful to these operators:
- Action: case-insensitive, `*`/`?` wildcards; Resource: `*`/`?` wildcards over the whole ARN;
- StringEquals/StringLike/ArnLike: the key must be present and match one value;
- StringNotLike/ArnNotLike: true when the key is absent (IAM's rule for negated operators);
- NotResource: the statement covers every resource but those;
- ForAnyValue:*: false when the key is absent, else true when any request value matches one value;
- ForAllValues:*: true when the key is absent, else true when every request value matches (for a negated operator,
  every request value differs from every listed value);
- Null: "true" means the key is absent; NumericGreaterThan: present and greater.
Condition key names are case-insensitive; all operators and keys of a statement are ANDed.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

import yaml

from aifinops.config import FinOpsConfig, parse
from aifinops.policies.scp_types import ScpDocument, Statement
from aifinops.policies.wildcards import matches
from tests.conftest import REFERENCE_CONFIG

BREAK_GLASS_ROLE = "arn:aws:iam::222222222222:role/BreakGlassAdmin"
DEPLOY_ROLE = "arn:aws:iam::222222222222:role/cdk-aifinops-cfn-exec-role-222222222222-us-east-1"
TEAM_DEPLOY_ROLE = "arn:aws:iam::222222222222:role/cdk-hnb659fds-cfn-exec-role-222222222222-us-east-1"
USER_ROLE = "arn:aws:iam::222222222222:role/search-ml"

Context = Mapping[str, str | Sequence[str] | None]


def _values(value: Any) -> list[str]:
    return [value] if isinstance(value, str) else list(value)


def _lookup(context: Context, key: str) -> list[str] | None:
    for name, value in context.items():
        if name.lower() == key.lower():
            return None if value is None else _values(value)
    return None


def _condition_true(operator: str, key: str, wanted: list[str], context: Context) -> bool:
    present = _lookup(context, key)
    if operator == "Null":
        return (present is None) == (wanted == ["true"])
    if operator.startswith("ForAnyValue:"):
        base = operator.removeprefix("ForAnyValue:")
        return present is not None and any(_match(base, w, v) for v in present for w in wanted)
    if operator.startswith("ForAllValues:"):
        base = operator.removeprefix("ForAllValues:")
        if present is None:
            return True
        if base in ("StringNotLike", "StringNotEquals"):
            positive = base.replace("Not", "")
            return all(not any(_match(positive, w, v) for w in wanted) for v in present)
        return all(any(_match(base, w, v) for w in wanted) for v in present)
    if operator in ("StringNotLike", "ArnNotLike", "StringNotEquals"):
        base = {"StringNotLike": "StringLike", "ArnNotLike": "ArnLike", "StringNotEquals": "StringEquals"}[operator]
        return present is None or not any(_match(base, w, v) for v in present for w in wanted)
    if present is None:
        return False
    if operator == "NumericGreaterThan":
        return any(float(v) > float(w) for v in present for w in wanted)
    return any(_match(operator, w, v) for v in present for w in wanted)


def _match(operator: str, wanted: str, value: str) -> bool:
    if operator in ("StringLike", "ArnLike"):
        return matches(wanted, value)
    if operator in ("StringEquals", "ArnEquals"):
        return wanted == value
    raise NotImplementedError(operator)


def statement_denies(statement: Statement, action: str, resource: str, context: Context) -> bool:
    body = statement.body
    assert body["Effect"] == "Deny"
    if not any(matches(a.lower(), action.lower()) for a in _values(body["Action"])):
        return False
    if "NotResource" in body:
        if any(r == "*" or matches(r, resource) for r in _values(body["NotResource"])):
            return False
    elif not any(r == "*" or matches(r, resource) for r in _values(body["Resource"])):
        return False
    return all(_condition_true(op, key, _values(wanted), context)
               for op, keys in body.get("Condition", {}).items() for key, wanted in keys.items())


def denied_by(statements: Iterable[Statement], action: str, resource: str = "*", *,
              principal: str = USER_ROLE, context: Context | None = None) -> list[str]:
    """Sids of the statements that deny the request (empty: these SCPs let it through)."""
    full = {"aws:PrincipalArn": principal, **(context or {})}
    return [s.sid for s in statements if statement_denies(s, action, resource, full)]


def denied(statements: Iterable[Statement], action: str, resource: str = "*", *,
           principal: str = USER_ROLE, context: Context | None = None) -> bool:
    return bool(denied_by(statements, action, resource, principal=principal, context=context))


def all_statements(documents: Iterable[ScpDocument]) -> list[Statement]:
    return [s for d in documents for s in d.statements]


def reference_data() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(REFERENCE_CONFIG.read_text())
    return data


def edited(change: Callable[[dict[str, Any]], None]) -> FinOpsConfig:
    """The reference config with `change` applied to a deep copy of its YAML data."""
    data = copy.deepcopy(reference_data())
    change(data)
    return parse(data)


def triggering_request(statement: Statement) -> tuple[str, str, dict[str, str | list[str]]]:
    """An (action, resource, context) that the statement denies for a principal it does not exempt:
    its first action and resource, and condition values that make every condition true."""
    body = statement.body
    action = _values(body["Action"])[0]
    resource = (_values(body["Resource"])[0].replace("*", "x") if "Resource" in body
                else "arn:aws:bedrock:us-east-1::foundation-model/unclassified.model-v1")
    context: dict[str, str | list[str]] = {}
    for operator, keys in body.get("Condition", {}).items():
        for key, wanted in keys.items():
            first = _values(wanted)[0].replace("*", "x")
            if operator == "Null" and wanted == "false":
                context[key] = "1"  # present
                continue
            if operator == "Null" or operator.endswith("NotLike") or operator.endswith("NotEquals"):
                continue  # absent keys make these true (ForAllValues too)
            if operator == "NumericGreaterThan":
                context[key] = str(float(first) + 1)
            else:
                context[key] = [first] if operator.startswith("ForAnyValue:") else first
    return action, resource, context
