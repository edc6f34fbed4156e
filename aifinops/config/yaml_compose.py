"""Compose finops.yaml into a tree of YAML nodes, refusing what a config never needs and a hostile file
would use: explicit tags (`!!python/name:...`, `!custom`), recursive aliases, alias bombs and deep
nesting. The limits are checked event by event while composing, and an alias counts the whole value it
names, so nothing big is built and nothing recurses before the limits pass.

libyaml (PyYAML's C parser) reads the events when it is installed; on a syntax error the pure-Python
parser reads the file again, for its clearer wording ("expected ',' or ']', but got ':'").
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, NoReturn

import yaml
from yaml.resolver import Resolver

from aifinops.config.errors import ConfigError, ConfigIssue
from aifinops.config.limits import Limits

_FAST_LOADER: Any = getattr(yaml, "CSafeLoader", None)
# Implicit tags of plain scalars (int, bool, null, ...), as the SafeLoader resolves them.
_resolve: Callable[[type[yaml.Node], str | None, Any], str] = Resolver().resolve


# The pure-Python parser reads about 0.5 MB a second: it re-reads a broken file for its clearer wording
# ("expected ',' or ']', but got ':'") only below this size; larger files get libyaml's, translated alike.
_REREAD_CHARS = 100_000


def compose(text: str, name: str, limits: Limits) -> yaml.Node | None:
    """The document's root node, or None for a file without any. ConfigError for any YAML problem."""
    if _FAST_LOADER is not None:
        try:
            return _Composer(_FAST_LOADER(text), name, limits).document()
        except yaml.MarkedYAMLError as exc:
            # libyaml looks ahead up to 1,024 characters and stops at 1,000 open brackets: the same problem
            # as our depth limit, and one the pure-Python scanner would take seconds to reach.
            if exc.problem_mark and "maximum nesting depth" in (exc.problem or ""):
                raise ConfigError([ConfigIssue(name, exc.problem_mark.line + 1, "", _too_deep(limits))]) from None
            if len(text) > _REREAD_CHARS:
                raise _syntax_error(exc, name, text) from None
        except yaml.YAMLError:
            pass  # reported below
    try:
        return _Composer(yaml.SafeLoader(text), name, limits).document()
    except yaml.MarkedYAMLError as exc:
        raise _syntax_error(exc, name, text) from None
    except yaml.YAMLError as exc:
        raise ConfigError([ConfigIssue(name, 1, "", f"YAML error: {exc}")]) from None


def _syntax_error(exc: yaml.MarkedYAMLError, name: str, text: str) -> ConfigError:
    mark = exc.problem_mark or exc.context_mark
    line = mark.line + 1 if mark else 1
    return ConfigError([ConfigIssue(name, line, "", f"YAML syntax error: {_yaml_problem(exc, text)}")])


def _yaml_problem(exc: yaml.MarkedYAMLError, text: str) -> str:
    """The parser's wording (PyYAML's or libyaml's), translated where it is jargon, with where the construct
    began."""
    problem = exc.problem or "invalid YAML"
    mark = exc.problem_mark
    char = _char_at(text, mark.line, mark.column) if mark else ""
    if "'\\t'" in problem or "\t" in problem or "tab character" in problem or (
            "cannot start any token" in problem and char == "\t"):
        problem = "a tab character; indent with spaces"
    elif problem == "found character that cannot start any token":  # libyaml's, which does not name it
        problem = f"found character {char!r} that cannot start any token"
    elif "expected <block end>" in problem or "did not find expected key" in problem:
        problem = "bad indentation (a line is indented more or less than its neighbours)"
    elif "mapping values are not allowed" in problem:
        problem = "a ':' where a value was expected (quote values that contain ': ')"
    if exc.context and exc.context_mark and mark and exc.context_mark.line != mark.line:
        problem += f" ({exc.context} that starts on line {exc.context_mark.line + 1})"
    return problem


def _char_at(text: str, line: int, column: int) -> str:
    lines = text.split("\n", line + 1)
    return lines[line][column: column + 1] if line < len(lines) else ""


def _too_deep(limits: Limits) -> str:
    return f"nested more than {limits.max_depth} levels deep; a finops.yaml needs fewer than 10"


@dataclass
class _Anchor:
    node: yaml.Node
    line: int
    size: int = 1  # values in the node once its aliases are expanded
    height: int = 0  # levels of mappings and lists in it (0 for a scalar)
    open: bool = True  # still being composed: an alias to it would be recursive


@dataclass
class _Open:
    """A mapping or list being composed."""

    node: yaml.CollectionNode
    start: int  # the node count when it opened
    anchor: _Anchor | None
    height: int = 0  # of its tallest child
    key: yaml.Node | None = None  # a mapping's key waiting for its value
    pairs: list[tuple[yaml.Node, yaml.Node]] = field(default_factory=list)


class _Composer:
    def __init__(self, parser: Any, name: str, limits: Limits) -> None:
        self.parser, self.name, self.limits = parser, name, limits
        self.anchors: dict[str, _Anchor] = {}
        self.count = 0  # values so far, aliases expanded

    def document(self) -> yaml.Node | None:
        self.parser.get_event()  # StreamStartEvent
        if self.parser.check_event(yaml.StreamEndEvent):
            return None
        self.parser.get_event()  # DocumentStartEvent
        root = self._node()
        self.parser.get_event()  # DocumentEndEvent
        if not self.parser.check_event(yaml.StreamEndEvent):
            line = self.parser.peek_event().start_mark.line + 1
            self._fail(line, "a second YAML document (after '---'); a finops.yaml holds one")
        return root

    def _node(self) -> yaml.Node:
        """Compose one node from the events, with a stack instead of recursion."""
        stack: list[_Open] = []
        while True:
            event: Any = self.parser.get_event()  # PyYAML's or libyaml's event classes
            start: Any = event.start_mark  # libyaml's marks are typed apart from PyYAML's, alike in use
            end: Any = event.end_mark
            line = start.line + 1
            if isinstance(event, yaml.CollectionEndEvent):
                top = stack.pop()
                node: yaml.Node = top.node
                node.end_mark = end
                if isinstance(node, yaml.MappingNode):
                    node.value = top.pairs
                height = top.height + 1
                if top.anchor:
                    top.anchor.size, top.anchor.height, top.anchor.open = self.count - top.start, height, False
            elif isinstance(event, yaml.AliasEvent):
                node, height = self._alias(event.anchor or "", line, len(stack))
            else:
                self._check_tag(event, line)
                self._add(1, line)
                anchor = None
                if event.anchor is not None:
                    anchor = self._anchor(event.anchor, line)
                if isinstance(event, yaml.ScalarEvent):
                    tag = _resolve(yaml.ScalarNode, event.value, event.implicit)
                    node = yaml.ScalarNode(tag, event.value, start, end, style=event.style)
                    height = 0
                    if anchor:
                        anchor.node, anchor.open = node, False
                else:
                    if len(stack) + 1 > self.limits.max_depth:
                        self._fail(line, _too_deep(self.limits))
                    kind = yaml.MappingNode if isinstance(event, yaml.MappingStartEvent) else yaml.SequenceNode
                    tag = _resolve(kind, None, event.implicit)
                    collection = kind(tag, [], start, None, flow_style=event.flow_style)
                    if anchor:
                        anchor.node = collection
                    stack.append(_Open(collection, self.count - 1, anchor))
                    continue
            if not stack:
                return node
            parent = stack[-1]
            parent.height = max(parent.height, height)
            if isinstance(parent.node, yaml.SequenceNode):
                parent.node.value.append(node)
            elif parent.key is None:
                if isinstance(event, yaml.AliasEvent) and isinstance(node, yaml.CollectionNode):
                    # An alias to a mapping or list as a key: refused later; report it here, not at the anchor.
                    node = type(node)(node.tag, [], start, end)
                parent.key = node
            else:
                parent.pairs.append((parent.key, node))
                parent.key = None

    def _alias(self, name: str, line: int, depth: int) -> tuple[yaml.Node, int]:
        anchor = self.anchors.get(name)
        if anchor is None:
            self._fail(line, f"alias *{name} names no anchor; define &{name} before using it")
        if anchor.open:
            self._fail(line, f"alias *{name} is inside the value it names (anchor &{name} on line "
                       f"{anchor.line}): a recursive alias")
        if depth + anchor.height > self.limits.max_depth:
            self._fail(line, f"alias *{name} nests the document more than {self.limits.max_depth} levels deep")
        self._add(anchor.size, line, name)
        return anchor.node, anchor.height

    def _anchor(self, name: str, line: int) -> _Anchor:
        if name in self.anchors:
            self._fail(line, f"anchor &{name} is defined twice (first on line {self.anchors[name].line})")
        anchor = self.anchors[name] = _Anchor(yaml.ScalarNode("", ""), line)
        return anchor

    def _add(self, size: int, line: int, alias: str | None = None) -> None:
        self.count += size
        if self.count > self.limits.max_nodes:
            limit = f"{self.limits.max_nodes:,} values"
            if alias:
                self._fail(line, f"alias *{alias} expands the document beyond {limit} (an alias counts every "
                           "value it repeats); a finops.yaml needs far fewer")
            self._fail(line, f"the document has more than {limit} here; a finops.yaml needs far fewer")

    def _check_tag(self, event: yaml.NodeEvent, line: int) -> None:
        tag = getattr(event, "tag", None)
        if tag is None:
            return
        shown = "!!" + tag.removeprefix("tag:yaml.org,2002:") if tag.startswith("tag:yaml.org,2002:") else tag
        self._fail(line, f"YAML tag {shown!r}: tags are not allowed in a finops.yaml; remove it "
                   "(quote the value if it must stay a string)")

    def _fail(self, line: int, message: str) -> NoReturn:
        raise ConfigError([ConfigIssue(self.name, line, "", message)])
