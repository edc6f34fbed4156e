"""Read finops.yaml into plain data plus the line of every value, refusing duplicate keys.

Line numbers let every config problem be reported as `FILE:LINE: path.to.field: message`. The file is read
by config_file (regular files only, size cap) and composed by config_yaml (no tags, alias and depth caps);
this module turns the nodes into data, with YAML merge keys (`<<: *defaults`): explicit keys win over
merged ones, earlier merged mappings over later ones.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from yaml.constructor import SafeConstructor

from aifinops.config.errors import MAX_VALUE, ConfigError, ConfigIssue
from aifinops.config.file import read_text
from aifinops.config.limits import Limits, limits_from_env
from aifinops.config.yaml_compose import compose

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


def read_source(path: str | Path, limits: Limits | None = None) -> Source:
    """Load `path`; raise ConfigError naming the file for any I/O or YAML problem. `limits` defaults to
    `limits.Limits`, with AIFINOPS_MAX_CONFIG_BYTES applied."""
    name = str(path)
    if limits is None:
        try:
            limits = limits_from_env()
        except ValueError as exc:
            raise ConfigError([ConfigIssue(name, 0, "", str(exc))]) from None
    return parse_source(read_text(name, limits.max_bytes), name, limits)


def parse_source(text: str, name: str, limits: Limits | None = None) -> Source:
    node = compose(text, name, limits or Limits())
    if node is None:
        raise ConfigError([ConfigIssue(name, 1, "", "the file is empty; expected a mapping with "
                                       "organization, environments, teams, ...")])
    source = Source(name, None)
    issues: list[ConfigIssue] = []
    source.data = _Builder(source, issues).build(node, ())
    if issues:
        raise ConfigError(issues)
    return source


_MERGE = "tag:yaml.org,2002:merge"
_TIMESTAMP = "tag:yaml.org,2002:timestamp"
# Scalars read as YAML 1.1 does (yes -> True, 012 -> 10, 1_000 -> 1000); every other tag (str, and the
# merge and value tags outside a key) stays the text as written.
_CONSTRUCT = {tag: SafeConstructor.yaml_constructors[tag] for tag in (
    "tag:yaml.org,2002:null", "tag:yaml.org,2002:bool", "tag:yaml.org,2002:int", "tag:yaml.org,2002:float",
    _TIMESTAMP)}

Entries = dict[str, tuple[int, yaml.Node]]  # key -> (line of the key, value node)


class _Builder:
    """Turns a composed YAML node tree into data, recording lines and refusing duplicate keys. The tree's
    size and depth are already bounded by yaml_compose, aliases expanded."""

    def __init__(self, source: Source, issues: list[ConfigIssue]) -> None:
        self.source = source
        self.issues = issues
        self.constructor = SafeConstructor()
        self.checked: set[int] = set()  # mappings whose keys were checked: one report for an aliased mapping

    def build(self, node: yaml.Node, loc: Loc) -> Any:
        self.source.lines.setdefault(loc, node.start_mark.line + 1)
        if isinstance(node, yaml.MappingNode):
            result = {}
            for key, (line, value) in self._entries(node, loc).items():
                child = (*loc, key)
                self.source.lines[child] = line
                result[key] = self.build(value, child)
            return result
        if isinstance(node, yaml.SequenceNode):
            return [self.build(item, (*loc, i)) for i, item in enumerate(node.value)]
        assert isinstance(node, yaml.ScalarNode)  # the only other kind yaml_compose composes
        self.source.raw[loc] = node.value
        return self._scalar(node, loc, report=True)

    def _entries(self, node: yaml.MappingNode, loc: Loc) -> Entries:
        """The mapping's keys, explicit ones first, then those its merge keys bring that it lacks."""
        report = id(node) not in self.checked
        self.checked.add(id(node))
        entries: Entries = {}
        merges: list[yaml.Node] = []
        for key_node, value_node in node.value:
            line = key_node.start_mark.line + 1
            if isinstance(key_node, yaml.ScalarNode) and key_node.tag == _MERGE:
                if merges:
                    if report:
                        self._issue(line, (*loc, "<<"), "duplicate merge key '<<'; merge several mappings "
                                    "with one list: <<: [*a, *b]")
                    continue
                merges.append(value_node)
                continue
            key = self._key(key_node, loc, report)
            if key is None:
                continue
            if key in entries:
                if report:
                    first = entries[key][0]
                    self._issue(line, (*loc, key), f"duplicate key '{key}' (first defined on line {first})")
                continue
            entries[key] = (line, value_node)
        for merged in self._merge_sources(merges, loc, report):
            for key, entry in self._entries(merged, loc).items():
                entries.setdefault(key, entry)  # explicit keys and earlier mappings win
        return entries

    def _merge_sources(self, merges: list[yaml.Node], loc: Loc, report: bool) -> list[yaml.MappingNode]:
        sources = []
        for value in merges:
            for item in value.value if isinstance(value, yaml.SequenceNode) else [value]:
                if isinstance(item, yaml.MappingNode):
                    sources.append(item)
                elif report:
                    self._issue(item.start_mark.line + 1, (*loc, "<<"), "a merge key (<<) takes a mapping or a "
                                f"list of mappings, like *defaults or [*a, *b]; not {_describe(item)}")
        return sources

    def _key(self, node: yaml.Node, loc: Loc, report: bool) -> str | None:
        key = self._scalar(node, loc, report) if isinstance(node, yaml.ScalarNode) else None
        if not isinstance(key, str | int | float | bool):
            if report:
                self._issue(node.start_mark.line + 1, loc, "mapping keys must be plain strings")
            return None
        return str(key)

    def _scalar(self, node: yaml.ScalarNode, loc: Loc, report: bool) -> Any:
        construct = _CONSTRUCT.get(node.tag)
        if construct is None:
            return node.value
        try:
            return construct(self.constructor, node)
        except (ValueError, ArithmeticError, yaml.YAMLError):
            if node.tag != _TIMESTAMP and report:  # an impossible date (2024-13-45) stays text
                self._issue(node.start_mark.line + 1, loc, f"cannot read {node.value!r} as a number (too long)")
            return node.value

    def _issue(self, line: int, loc: Loc, message: str) -> None:
        self.issues.append(ConfigIssue(self.source.path, line, dotted(loc), message))


def _describe(node: yaml.Node) -> str:
    if isinstance(node, yaml.SequenceNode):
        return "a list"
    if node.tag == "tag:yaml.org,2002:null":
        return "nothing (null)"
    return repr(node.value) if node.tag == "tag:yaml.org,2002:str" else str(node.value)


def dotted(loc: Loc) -> str:
    """`('teams', 0, 'owners')` -> `teams[0].owners`; keys longer than MAX_VALUE are cut."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            text = part if len(part) <= MAX_VALUE else part[:MAX_VALUE] + "…"
            out += f".{text}" if out else text
    return out
