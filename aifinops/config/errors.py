"""Config problems, each with file, line and field, printed as `FILE:LINE: path: message`.

Whatever a file holds, each problem stays one short line of plain text: control characters (newlines, NUL,
ANSI escapes, bidi overrides) are escaped, quoted values longer than 80 characters are cut, and a long list
of problems shows the first 50 and counts the rest.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

MAX_SHOWN = 50  # problems printed; the rest are counted in a last line
MAX_VALUE = 80  # characters of a quoted value shown in a message
_MAX_PATH = 200
_MAX_MESSAGE = 400  # a backstop for values echoed without quotes

# C0/C1 controls, line and paragraph separators, zero-width and bidi formatting characters, BOM.
_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\xad\u061c\u180e\u200b-\u200f\u2028-\u202e\u2060-\u206f\ufeff"
                     "\ufff9-\ufffb\ud800-\udfff]")
# A quoted value as repr() writes it: '...' or "...", with backslash escapes inside; an apostrophe after a
# letter (it's) opens nothing.
_QUOTED = re.compile(r"(?<!\w)(?:'[^'\\]*(?:\\.[^'\\]*)*'" + r'|"[^"\\]*(?:\\.[^"\\]*)*")')


def escape(text: str) -> str:
    """`text` with every control or invisible formatting character written as a Python escape (`\\x00`)."""
    return _UNSAFE.sub(lambda m: m.group().encode("unicode_escape").decode("ascii"), text)


def cut(text: str, limit: int) -> str:
    """At most `limit` characters of `text`, then an ellipsis and the full length."""
    return text if len(text) <= limit else f"{text[:limit]}… ({len(text):,} characters)"


def _cut_quoted(match: re.Match[str]) -> str:
    quote = match.group()[0]
    inner = match.group()[1:-1]
    if len(inner) <= MAX_VALUE:
        return match.group()
    return f"{quote}{inner[:MAX_VALUE]}…{quote} ({len(inner):,} characters)"


def clean(text: str, limit: int) -> str:
    """One safe line: long quoted values cut, then the middle of what is still too long (a value echoed
    without quotes), keeping the end where messages say what is allowed; control characters escaped."""
    if len(text) > MAX_VALUE:
        text = _QUOTED.sub(_cut_quoted, text)
    if len(text) > limit:
        tail = limit // 4
        text = f"{text[:limit - tail]} …({len(text) - limit:,} characters cut)… {text[-tail:]}"
    return escape(text)


@dataclass(frozen=True, order=True)
class ConfigIssue:
    file: str
    line: int  # 1-based; 0 when the problem is the file itself (missing, unreadable, too large)
    path: str  # dotted field path, e.g. teams[0].owners[1]; empty for the whole file
    message: str

    def __post_init__(self) -> None:
        # Fields echo the file's content: keep every issue one plain line, whoever builds it.
        object.__setattr__(self, "file", escape(self.file))
        object.__setattr__(self, "path", clean(self.path, _MAX_PATH))
        object.__setattr__(self, "message", clean(self.message, _MAX_MESSAGE))

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        return f"{where}: {self.path}: {self.message}" if self.path else f"{where}: {self.message}"


def _order(issue: ConfigIssue) -> tuple[str, int, str, str]:
    return issue.file, issue.line, issue.path, issue.message  # as order=True compares, without its overhead


class ConfigError(Exception):
    """One or more problems in a finops.yaml; str() gives one line per problem, at most MAX_SHOWN of them
    and then a count of the rest. `more` counts problems found but not kept as issues."""

    def __init__(self, issues: list[ConfigIssue], more: int = 0) -> None:
        self.issues = sorted(set(issues), key=_order)
        self.more = more
        super().__init__("\n".join(self.lines()))

    def lines(self, limit: int = MAX_SHOWN) -> list[str]:
        shown = [str(issue) for issue in self.issues[:limit]]
        hidden = len(self.issues) - len(shown) + self.more
        if hidden > 0:
            file = self.issues[-1].file if self.issues else "finops.yaml"
            shown.append(f"{file}: ... and {hidden:,} more problem{'' if hidden == 1 else 's'}")
        return shown
