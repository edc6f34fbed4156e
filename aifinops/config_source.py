"""Read finops.yaml into plain data plus the line of every value, refusing duplicate keys.

Line numbers let every config problem be reported as `FILE:LINE: path.to.field: message`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from aifinops.config_errors import ConfigError, ConfigIssue

Loc = tuple[str | int, ...]


@dataclass
class Source:
    """Parsed YAML data and the 1-based line of each path in it."""

    path: str
    data: Any
    lines: dict[Loc, int] = field(default_factory=dict)
    raw: dict[Loc, str] = field(default_factory=dict)  # scalars as written (012 stays '012', yes stays 'yes')


def line_of(lines: Mapping[Loc, int], loc: Loc) -> int:
    """The line of `loc`, or of its nearest ancestor that exists in the file."""
    for end in range(len(loc), -1, -1):
        line = lines.get(tuple(loc[:end]))
        if line is not None:
            return line
    return 1


def read_source(path: str | Path) -> Source:
    """Load `path`; raise ConfigError naming the file for any I/O or YAML problem."""
    name = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError([ConfigIssue(name, 0, "", "file not found")]) from None
    except IsADirectoryError:
        raise ConfigError([ConfigIssue(name, 0, "", "is a directory, expected a finops.yaml file")]) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError([ConfigIssue(name, 0, "", f"cannot read the file: {exc}")]) from None
    return parse_source(text, name)


def parse_source(text: str, name: str) -> Source:
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else 1
        raise ConfigError([ConfigIssue(name, line, "", f"YAML syntax error: {_yaml_problem(exc)}")]) from None
    except yaml.YAMLError as exc:
        raise ConfigError([ConfigIssue(name, 1, "", f"YAML error: {exc}")]) from None
    if node is None:
        raise ConfigError([ConfigIssue(name, 1, "", "the file is empty; expected a mapping with "
                                       "organization, environments, teams, ...")])
    source = Source(name, None)
    issues: list[ConfigIssue] = []
    source.data = _Builder(source, issues).build(node, ())
    if issues:
        raise ConfigError(issues)
    return source


def _yaml_problem(exc: yaml.MarkedYAMLError) -> str:
    """PyYAML's wording, translated where it is parser jargon, with where the construct began."""
    problem = exc.problem or "invalid YAML"
    if "'\\t'" in problem or "\t" in problem:
        problem = "a tab character; indent with spaces"
    elif "expected <block end>" in problem:
        problem = "bad indentation (a line is indented more or less than its neighbours)"
    elif "mapping values are not allowed here" in problem:
        problem = "a ':' where a value was expected (quote values that contain ': ')"
    if exc.context and exc.context_mark and exc.problem_mark and exc.context_mark.line != exc.problem_mark.line:
        problem += f" ({exc.context} that starts on line {exc.context_mark.line + 1})"
    return problem


class _Builder:
    """Turns a composed YAML node tree into data, recording lines and refusing duplicate keys."""

    def __init__(self, source: Source, issues: list[ConfigIssue]) -> None:
        self.source = source
        self.issues = issues
        self.loader = yaml.SafeLoader("")  # only used to construct scalars with YAML 1.1 rules

    def build(self, node: yaml.Node, loc: Loc) -> Any:
        self.source.lines.setdefault(loc, node.start_mark.line + 1)
        if isinstance(node, yaml.MappingNode):
            return self._mapping(node, loc)
        if isinstance(node, yaml.SequenceNode):
            return [self.build(item, (*loc, i)) for i, item in enumerate(node.value)]
        self.source.raw[loc] = node.value
        return self.loader.construct_object(node, deep=True)

    def _mapping(self, node: yaml.MappingNode, loc: Loc) -> dict[str, Any]:
        self.loader.flatten_mapping(node)  # merge keys (<<), as the SafeLoader does
        result: dict[str, Any] = {}
        for key_node, value_node in node.value:
            line = key_node.start_mark.line + 1
            key = self.loader.construct_object(key_node, deep=True)
            if not isinstance(key, str | int | float | bool):
                self._issue(line, loc, "mapping keys must be plain strings")
                continue
            key = str(key)
            child = (*loc, key)
            if key in result:
                self._issue(line, child, f"duplicate key '{key}' (first defined on line {self.source.lines[child]})")
                continue
            self.source.lines[child] = line
            result[key] = self.build(value_node, child)
        return result

    def _issue(self, line: int, loc: Loc, message: str) -> None:
        self.issues.append(ConfigIssue(self.source.path, line, dotted(loc), message))


def dotted(loc: Loc) -> str:
    """`('teams', 0, 'owners')` -> `teams[0].owners`."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out
