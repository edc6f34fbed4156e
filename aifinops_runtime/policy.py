"""A function's JSON policy: where it is read from, and the checks every policy shares.

The policy is the file bundled in the asset next to the function's own modules (a file: Lambda allows 4 KB of
environment variables, and a policy of many teams or prices is larger), or an environment variable, which takes
precedence (local runs, tests). Each function names its variable, file and error type; validation collects
every problem before raising, so a misconfigured function reports them all at once.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar, Generic, TypeVar

ACCOUNT_ID = re.compile(r"\d{12}")

__all__ = ["ACCOUNT_ID", "PolicyError", "PolicySource", "check_version", "json_object", "object_entries",
           "parse_document", "tag_key"]

T = TypeVar("T")


class PolicyError(ValueError):
    """The policy is missing or invalid; `problems` lists every problem found. Subclasses name their policy."""

    SUBJECT: ClassVar[str] = "policy"

    def __init__(self, problems: list[str]) -> None:
        super().__init__(f"invalid {self.SUBJECT}: " + "; ".join(problems))
        self.problems = problems


@dataclass(frozen=True)
class PolicySource(Generic[T]):
    """Where a function's policy comes from: the variable `env_var`, else the file `file_name` in `directory`
    (the function's own directory, i.e. the deployed asset); `parse` reads it, `error` says it is missing."""

    env_var: str
    file_name: str
    directory: Path
    parse: Callable[[str], T]
    error: type[PolicyError]

    def load(self, environ: Mapping[str, str] | None = None, directory: Path | None = None) -> T:
        """The policy from the environment variable of `environ` (default os.environ) when set, else from the
        file in `directory` (default: the function's own)."""
        env = os.environ if environ is None else environ
        text = env.get(self.env_var)
        if text:
            return self.parse(text)
        path = (directory or self.directory) / self.file_name
        try:
            return self.parse(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise self.error([f"environment variable {self.env_var} is not set and {path} does not exist"]) from None


def parse_document(text: str, error: type[PolicyError]) -> dict[str, Any]:
    """The JSON object of `text`; anything else raises `error` at once (nothing else can be checked)."""
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise error([f"not JSON: {exc}"]) from None
    if not isinstance(doc, dict):
        raise error([f"expected a JSON object, got {type(doc).__name__}"])
    return doc


def check_version(doc: Mapping[str, Any], supported: tuple[int, ...], problems: list[str]) -> Any:
    """The document's `version`, a problem recorded when it is not one of `supported`."""
    version: Any = doc.get("version")
    if version not in supported:
        problems.append(f"version: {version!r} is not supported (supported: {list(supported)})")
    return version


def json_object(value: Any, where: str, problems: list[str]) -> dict[str, Any]:
    """`value` when it is an object, else {} and a problem recorded."""
    if not isinstance(value, dict):
        problems.append(f"{where}: expected an object, got {value!r}")
        return {}
    return value


def object_entries(value: Any, where: str, shape: str,
                   problems: list[str]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    """(key, its path, entry) of each entry of the non-empty object `value` (each entry an object of the form
    `shape`); a problem recorded for `value` or for each entry that is not an object."""
    if not isinstance(value, dict) or not value:
        problems.append(f"{where}: expected a non-empty object: {shape}; got {value!r}")
        return
    for key, entry in value.items():
        path = f"{where}.{key}"
        if isinstance(entry, dict):
            yield key, path, entry
        else:
            problems.append(f"{path}: expected an object, got {entry!r}")


def tag_key(value: Any, where: str, problems: list[str]) -> str:
    """`value` when it is a valid tag key (1-128 characters), else "" and a problem recorded."""
    if not isinstance(value, str) or not value or len(value) > 128:
        problems.append(f"{where}: expected a tag key (1-128 characters), got {value!r}")
        return ""
    return value
