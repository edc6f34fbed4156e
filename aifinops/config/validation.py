"""Turn pydantic validation errors into `FILE:LINE: path: message` issues a person can act on."""

from __future__ import annotations

import types
import typing
from typing import Any

from pydantic import BaseModel, ValidationError
from pydantic.fields import FieldInfo
from pydantic_core import ErrorDetails

from aifinops.config.errors import ConfigIssue
from aifinops.config.models import FinOpsConfig, workload_kinds
from aifinops.config.source import Loc, Source, dotted, line_of

# Constraint errors whose message gains the field's documented reason ("AWS Budgets allows 10 ...").
_LIMIT_ERRORS = {"less_than", "less_than_equal", "too_long"}


def translate_errors(exc: ValidationError, source: Source, limit: int | None = None) -> list[ConfigIssue]:
    """One issue per error; only the first `limit` errors (a 1 MB file can hold 300,000) when given."""
    root = _root_model()
    located = [(_data_loc(e, source.data), e) for e in exc.errors(include_url=False)[:limit]]
    issues = []
    # A list whose item failed is also reported as too short: keep only the specific error. (A set of the
    # proper prefixes, not a scan per error: 20,000 bad owners took minutes.)
    parents = {loc[:end] for loc, _ in located for end in range(len(loc))}
    for loc, error in located:
        if loc in parents:
            continue
        message = _Message(error, loc, root, source).text()
        issues.append(ConfigIssue(source.path, line_of(source.lines, loc), dotted(loc), message))
    return issues


def _root_model() -> type[BaseModel]:
    return FinOpsConfig


def _data_loc(error: ErrorDetails, data: Any) -> Loc:
    """Drop pydantic's bookkeeping parts (union tags, '[key]') so the path matches the file."""
    out: list[str | int] = []
    node = data
    for part in error["loc"]:
        if part == "[key]":
            continue
        if isinstance(node, dict) and isinstance(part, str) and part not in node and node.get("kind") == part:
            continue  # the discriminator of a tagged union
        out.append(part)
        node = _child(node, part)
    if error["type"] == "union_tag_invalid":
        out.append("kind")
    return tuple(out)


def _child(node: Any, part: str | int) -> Any:
    if isinstance(node, dict):
        return node.get(part)
    if isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
        return node[part]
    return None


class _Message:
    def __init__(self, error: ErrorDetails, loc: Loc, root: type[BaseModel], source: Source) -> None:
        self.error, self.loc, self.root, self.source = error, loc, root, source
        self.kind = error["type"]
        self.ctx: dict[str, Any] = dict(error.get("ctx", {}))
        self.value = error.get("input")
        self.raw = source.raw.get(loc)  # the scalar as written in the file

    def text(self) -> str:
        message = self._base()
        reason = _field_description(self.root, self.loc, self.source.data)
        if self.kind in _LIMIT_ERRORS and reason:
            message += f" ({reason})"
        return message

    def _base(self) -> str:
        kind, ctx, value = self.kind, self.ctx, self.value
        if kind == "missing":
            return "required field is missing"
        if kind == "extra_forbidden":
            model = _model_at(self.root, self.loc[:-1], self.source.data)
            allowed = list(model.model_fields) if model else []
            return f"unknown key '{self.loc[-1]}'" + (f"; allowed keys: {', '.join(allowed)}" if allowed else "")
        if kind == "literal_error":
            return f"{self._shown()} is not allowed; allowed: {ctx.get('expected', '')}"
        if kind in ("union_tag_invalid", "union_tag_not_found"):
            what = f"unknown kind {ctx.get('tag')!r}" if kind == "union_tag_invalid" else "missing 'kind'"
            return f"{what}; kinds are {_workload_kinds()}"
        if kind in ("dict_type", "model_type", "model_attributes_type"):
            what = "the file" if not self.loc else "this field"
            return f"{what} must be a mapping of keys to values, not {_describe(value)}"
        if kind in ("too_short", "too_long"):
            limit = ctx.get("min_length" if kind == "too_short" else "max_length")
            bound = "at least" if kind == "too_short" else "at most"
            actual = ctx.get("actual_length")  # None for a mapping: pydantic stops counting past the limit
            if actual is None:
                actual = len(value) if isinstance(value, (dict, list, tuple, str)) else "more"
            return f"must have {bound} {limit} item{'' if limit == 1 else 's'}, not {actual}"
        if kind in ("list_type", "tuple_type"):
            return f"must be a list, not {_describe(value)}"
        if kind == "string_type" and isinstance(value, int | float | bool):
            read_as = "true/false" if isinstance(value, bool) else "a number"
            return f"must be a string; quote it: '{self.raw or value}' (unquoted, YAML reads it as {read_as})"
        if kind in ("int_type", "int_parsing", "float_type", "float_parsing") and isinstance(value, str):
            return f"must be a number, not the string {value!r}" + (
                "; write it without quotes" if _is_number(value) else "")
        if kind == "finite_number":
            return (f"must be a finite number, not {self._shown()} (YAML reads .inf as infinity and .nan as not a "
                    "number)")
        if kind in ("bool_type", "bool_parsing"):
            return f"must be true or false, not {self._shown()}"
        if kind == "value_error":
            reason = str(ctx.get("error", self.error["msg"]))
            if reason.startswith("value is not a valid email address"):
                return f"{value!r} is not a valid e-mail address:{reason.partition(':')[2]}"
            return reason
        msg = self.error["msg"].replace("Input should be", "must be")
        return f"{msg[0].lower()}{msg[1:]}, not {self._shown()}"

    def _shown(self) -> str:
        """The value as written in the file; strings quoted, numbers and booleans not."""
        if self.raw is None:
            return _describe(self.value)
        return repr(self.raw) if isinstance(self.value, str) else self.raw


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _describe(value: Any) -> str:
    if value is None:
        return "nothing (null)"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _field_description(root: type[BaseModel], loc: Loc, data: Any) -> str | None:
    if not loc or not isinstance(loc[-1], str):
        return None
    model = _model_at(root, loc[:-1], data)
    field: FieldInfo | None = model.model_fields.get(loc[-1]) if model else None
    return field.description if field else None


def _model_at(annotation: Any, loc: Loc, data: Any) -> type[BaseModel] | None:
    """Follow field annotations along `loc` to the model that holds the last part; `data` picks the
    member of a tagged union (workload kinds) by its `kind`."""
    node = data
    for part in loc:
        annotation = _step(_unwrap(annotation, node), part)
        node = _child(node, part)
        if annotation is None:
            return None
    target = _unwrap(annotation, node)
    return target if isinstance(target, type) and issubclass(target, BaseModel) else None


def _step(annotation: Any, part: str | int) -> Any:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        field = annotation.model_fields.get(str(part))
        return field.annotation if field else None
    origin, args = typing.get_origin(annotation), typing.get_args(annotation)
    if origin in (tuple, list) and args:
        return args[0]
    if origin is dict and len(args) == 2:
        return args[1]
    return None


def _unwrap(annotation: Any, node: Any) -> Any:
    """Strip Annotated and Optional; of a union of models take the one whose `kind` matches the data."""
    while True:
        origin = typing.get_origin(annotation)
        if origin is typing.Annotated:
            annotation = typing.get_args(annotation)[0]
        elif origin in (typing.Union, types.UnionType):
            members = [a for a in typing.get_args(annotation) if a is not type(None)]
            kind = node.get("kind") if isinstance(node, dict) else None
            annotation = next((m for m in members if _kind_of(m) == kind), members[0])
        else:
            return annotation


def _kind_of(model: Any) -> str | None:
    if not (isinstance(model, type) and issubclass(model, BaseModel)) or "kind" not in model.model_fields:
        return None
    args = typing.get_args(model.model_fields["kind"].annotation)
    return str(args[0]) if args else None


def _workload_kinds() -> str:

    return ", ".join(workload_kinds())
