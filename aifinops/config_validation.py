"""Turn pydantic validation errors into `FILE:LINE: path: message` issues a person can act on."""

from __future__ import annotations

import types
import typing
from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from aifinops.config_errors import ConfigIssue
from aifinops.config_source import Loc, dotted, line_of


def translate_errors(exc: ValidationError, data: Any, file: str, lines: Mapping[Loc, int]) -> list[ConfigIssue]:
    root = _root_model()
    located = [(_data_loc(e["loc"], data), e) for e in exc.errors(include_url=False)]
    issues = []
    for loc, error in located:
        # A list whose item failed is also reported as too short: keep only the specific error.
        if any(other[: len(loc)] == loc and len(other) > len(loc) for other, _ in located):
            continue
        issues.append(ConfigIssue(file, line_of(lines, loc), dotted(loc), _message(error, loc, root)))
    return issues


def _root_model() -> type[BaseModel]:
    from aifinops.config import FinOpsConfig  # the schema imports this module

    return FinOpsConfig


def _data_loc(loc: tuple[int | str, ...], data: Any) -> Loc:
    """Drop pydantic's bookkeeping parts (union tags, '[key]') so the path matches the file."""
    out: list[str | int] = []
    node = data
    for part in loc:
        if part == "[key]":
            continue
        if isinstance(node, dict) and isinstance(part, str) and part not in node and node.get("kind") == part:
            continue  # the discriminator of a tagged union
        out.append(part)
        node = _child(node, part)
    return tuple(out)


def _child(node: Any, part: str | int) -> Any:
    if isinstance(node, dict):
        return node.get(part)
    if isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
        return node[part]
    return None


def _message(error: ErrorDetails, loc: Loc, root: type[BaseModel]) -> str:
    kind, ctx, value = error["type"], error.get("ctx", {}), error.get("input")
    if kind == "missing":
        return "required field is missing"
    if kind == "extra_forbidden":
        allowed = _allowed_keys(root, loc[:-1])
        return f"unknown key '{loc[-1]}'" + (f"; allowed keys: {', '.join(allowed)}" if allowed else "")
    if kind == "literal_error":
        return f"{value!r} is not allowed; allowed: {ctx.get('expected', '')}"
    if kind == "union_tag_invalid":
        return f"unknown kind {ctx.get('tag')!r}; kinds are {_workload_kinds()}"
    if kind == "union_tag_not_found":
        return f"missing 'kind'; kinds are {_workload_kinds()}"
    if kind in ("dict_type", "model_type", "model_attributes_type"):
        what = "the file" if not loc else "this field"
        return f"{what} must be a mapping of keys to values, not {_describe(value)}"
    if kind in ("too_short", "too_long"):
        short = kind == "too_short"
        limit = ctx.get("min_length" if short else "max_length")
        items = "item" if limit == 1 else "items"
        bound = "at least" if short else "at most"
        return f"must have {bound} {limit} {items}, not {ctx.get('actual_length')}"
    if kind in ("list_type", "tuple_type"):
        return f"must be a list, not {_describe(value)}"
    if kind == "string_type" and isinstance(value, int | float) and not isinstance(value, bool):
        return f"must be a string; quote it: '{value}' (YAML reads unquoted digits as a number)"
    if kind == "value_error":
        return str(ctx.get("error", error["msg"]))
    msg = error["msg"].replace("Tuple", "List").replace("tuple", "list")
    return f"{msg[0].lower()}{msg[1:]} (got {_describe(value)})"


def _describe(value: Any) -> str:
    if value is None:
        return "nothing (null)"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _allowed_keys(root: type[BaseModel], loc: Loc) -> list[str]:
    model = _model_at(root, loc)
    return list(model.model_fields) if model else []


def _model_at(annotation: Any, loc: Loc) -> type[BaseModel] | None:
    """Follow field annotations along `loc` to the model that holds the last part."""
    for part in loc:
        annotation = _step(_unwrap(annotation), part)
        if annotation is None:
            return None
    target = _unwrap(annotation)
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


def _unwrap(annotation: Any) -> Any:
    """Strip Annotated and Optional; for a union of models return the first model (workload kinds share keys)."""
    while True:
        origin = typing.get_origin(annotation)
        if origin is typing.Annotated:
            annotation = typing.get_args(annotation)[0]
        elif origin in (typing.Union, types.UnionType):
            members = [a for a in typing.get_args(annotation) if a is not type(None)]
            annotation = members[0]
        else:
            return annotation


def _workload_kinds() -> str:
    from aifinops.config import workload_kinds

    return ", ".join(workload_kinds())
