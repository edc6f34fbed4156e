"""Reading CloudFormation values as checkov hands them to checks. Standard library only.

checkov adds position markers (``__startline__``, ``__endline__``, ``__file__``) to every mapping of a
template; intrinsic functions (``Ref``, ``Fn::...``) stay as they are unless checkov could evaluate them.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any


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


def read_tags(value: Any) -> dict[str, str | None]:
    """Tags as written in a template: a list of {Key, Value} (most types) or a map (Batch).
    A value that is not a literal string (an intrinsic function) is None: present, not judged."""
    value = clean(value)
    if isinstance(value, dict) and not is_intrinsic(value):
        return {str(k): v if isinstance(v, str) else None for k, v in value.items()}
    tags: dict[str, str | None] = {}
    if isinstance(value, list):
        for item in value:
            if isinstance(item, dict) and isinstance(item.get("Key"), str):
                tags[item["Key"]] = item["Value"] if isinstance(item.get("Value"), str) else None
    return tags


def launch_template_instance_tags(data: Any) -> dict[str, str | None]:
    """The tags a launch template gives the instances it launches (its `instance` tag specification):
    those are the tags the instance's cost is attributed to."""
    data = clean(data)
    tags: dict[str, str | None] = {}
    for spec in as_list(data.get("TagSpecifications") if isinstance(data, dict) else None):
        if isinstance(spec, dict) and spec.get("ResourceType") == "instance":
            tags.update(read_tags(spec.get("Tags")))
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
                if isinstance(text, str):
                    yield from _sub_names(text)
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
