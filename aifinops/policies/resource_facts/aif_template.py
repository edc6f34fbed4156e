"""Reading CloudFormation values as checkov hands them to checks. Standard library only.

checkov adds position markers (``__startline__``, ``__endline__``, ``__file__``) to every mapping of a
template; intrinsic functions (``Ref``, ``Fn::...``) stay as they are unless checkov could evaluate them.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any

SUB_REF = re.compile(r"\$\{([^}!][^}]*)\}")  # ${Name} in Fn::Sub, not ${!Literal}


def clean(value: Any) -> Any:
    """`value` without checkov's position markers, recursively."""
    if isinstance(value, dict):
        return {k: clean(v) for k, v in value.items() if not (isinstance(k, str) and k.startswith("__"))}
    if isinstance(value, list):
        return [clean(v) for v in value]
    return value


def is_intrinsic(value: Any) -> bool:
    """True for an unevaluated intrinsic function (its value is only known at deploy time)."""
    value = clean(value)
    return isinstance(value, dict) and len(value) == 1 and next(iter(value)).startswith(("Fn::", "Ref"))


def literal(value: Any) -> str | None:
    """A string value, or None when it is an intrinsic function or absent."""
    return value if isinstance(value, str) else None


NO_VALUE = {"Ref": "AWS::NoValue"}


def number(value: Any) -> float | None:
    """A literal number; templates may carry it as a string ("1"). None for an intrinsic function or text."""
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        return None
    try:
        return float(value)
    except ValueError:
        return None


def may_be_absent(value: Any) -> bool:
    """True for an Fn::If with an AWS::NoValue branch: the property may not be set at all."""
    value = clean(value)
    if not (isinstance(value, dict) and isinstance(value.get("Fn::If"), list)):
        return False
    return any(branch == NO_VALUE or may_be_absent(branch) for branch in value["Fn::If"][1:])


def read_tags(value: Any) -> dict[str, str | None]:
    """Tags as written in a template (see `read_cost_tags`); unresolved as a whole reads as no tags."""
    return read_cost_tags(value) or {}


def read_cost_tags(value: Any) -> dict[str, str | None] | None:
    """Tags as written in a template: a list of {Key, Value} (most types) or a map (Batch).
    A value that is not a literal string (an intrinsic function) is None: present, not judged. An Fn::If
    item of a list names its keys in its branches: they are present, their values not judged. None when
    the tags cannot be read (one intrinsic function, or an item whose key is unresolved)."""
    value = clean(value)
    if value is None:
        return {}
    if isinstance(value, dict) and not is_intrinsic(value):
        return {str(k): v if isinstance(v, str) else None for k, v in value.items()}
    if not isinstance(value, list):
        return None
    tags: dict[str, str | None] = {}
    for item in value:
        keys = _item_keys(item)
        if keys is None:
            return None
        for key, tag_value in keys.items():
            tags[key] = tag_value
    return tags


def _item_keys(item: Any) -> dict[str, str | None] | None:
    """{key: value} of one tag list item: {} for AWS::NoValue, None when its key cannot be read."""
    if item == NO_VALUE:
        return {}
    if isinstance(item, dict) and isinstance(item.get("Fn::If"), list) and len(item) == 1:
        found: dict[str, str | None] = {}
        for branch in item["Fn::If"][1:]:
            keys = _item_keys(branch)
            if keys is None:
                return None
            found |= dict.fromkeys(keys)  # which branch applies is decided at deployment: value unknown
        return found
    if isinstance(item, dict) and isinstance(item.get("Key"), str):
        return {item["Key"]: item["Value"] if isinstance(item.get("Value"), str) else None}
    return None


def launch_template_instance_tags(data: Any) -> dict[str, str | None] | None:
    """The tags a launch template gives the instances it launches (every `instance` tag specification,
    merged in order): those are the tags the instance's cost is attributed to. None when they cannot be
    read (the specifications, one of them or its tags are an intrinsic function)."""
    return tag_specification_tags(data, "instance")


def tag_specification_tags(data: Any, resource_type: str) -> dict[str, str | None] | None:
    """The tags of every TagSpecifications entry for `resource_type`, merged in order (see above)."""
    data = clean(data)
    specs = data.get("TagSpecifications") if isinstance(data, dict) else None
    if specs is None:
        return {}
    if not isinstance(specs, list):
        return None
    tags: dict[str, str | None] = {}
    for spec in specs:
        if not isinstance(spec, dict) or is_intrinsic(spec):
            return None
        if spec.get("ResourceType") == resource_type:
            found = read_cost_tags(spec.get("Tags"))
            if found is None:
                return None
            tags.update(found)
    return tags


def as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def references(value: Any) -> Iterator[str]:
    """Logical ids that `value` refers to through Ref, Fn::GetAtt or ${Name} in Fn::Sub."""
    value = clean(value)
    if isinstance(value, dict):
        for key, inner in value.items():
            if key == "Ref" and isinstance(inner, str):
                yield inner
            elif key == "Fn::GetAtt":
                target = inner[0] if isinstance(inner, list) and inner else inner
                if isinstance(target, str):
                    yield target.split(".", 1)[0]
            elif key == "Fn::Sub":
                text = inner[0] if isinstance(inner, list) and inner else inner
                local = inner[1] if isinstance(inner, list) and len(inner) > 1 and isinstance(inner[1], dict) else {}
                if isinstance(text, str):  # the list form's own variables are not references
                    yield from (name for name in _sub_names(text) if name not in local)
                yield from references(inner[1:] if isinstance(inner, list) else [])
            else:
                yield from references(inner)
    elif isinstance(value, list):
        for inner in value:
            yield from references(inner)


def _sub_names(text: str) -> Iterator[str]:
    rest = text
    while "${" in rest:
        _, _, rest = rest.partition("${")
        name, _, rest = rest.partition("}")
        if name and not name.startswith("!"):
            yield name.split(".", 1)[0]


def render(value: Any) -> str | None:
    """A string value with references written ``${LogicalId}`` (any attribute of it) and pseudo
    parameters ``${AWS::Region}``; None when some part cannot be read (Fn::If, Fn::ImportValue ...)."""
    if isinstance(value, str):
        return value
    if not is_intrinsic(value):
        return None
    name, arg = next(iter(value.items()))
    if name == "Ref" and isinstance(arg, str):
        return f"${{{arg}}}"
    if name == "Fn::GetAtt":  # [LogicalId, Attribute] or "LogicalId.Attribute"
        target = arg[0] if isinstance(arg, list) and arg else arg.split(".")[0] if isinstance(arg, str) else None
        return f"${{{target}}}" if isinstance(target, str) else None
    if name == "Fn::Join" and isinstance(arg, list) and len(arg) == 2 and isinstance(arg[0], str):
        parts = [render(part) for part in arg[1]] if isinstance(arg[1], list) else [None]
        texts = [p for p in parts if p is not None]
        return arg[0].join(texts) if len(texts) == len(parts) else None
    if name == "Fn::Sub" and isinstance(arg, str):
        return SUB_REF.sub(lambda m: f"${{{m.group(1).split('.')[0]}}}", arg)
    if name == "Fn::Sub" and isinstance(arg, list) and len(arg) == 2 and isinstance(arg[0], str) \
            and isinstance(arg[1], dict):
        return _render_sub(arg[0], arg[1])
    return None


def _render_sub(text: str, variables: Mapping[str, Any]) -> str | None:
    """Fn::Sub in its list form: its own variables rendered in place; None when one cannot be."""
    values = {name: render(value) for name, value in variables.items()}
    if any(v is None for v in values.values()):
        return None

    def substitute(match: re.Match[str]) -> str:
        name = match.group(1)
        return values.get(name) or f"${{{name.split('.')[0]}}}"

    return SUB_REF.sub(substitute, text)
