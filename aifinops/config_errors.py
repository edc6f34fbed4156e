"""Config problems, each with file, line and field, printed as `FILE:LINE: path: message`."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, order=True)
class ConfigIssue:
    file: str
    line: int  # 1-based; 0 when the problem is the file itself (missing, unreadable)
    path: str  # dotted field path, e.g. teams[0].owners[1]; empty for the whole file
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        return f"{where}: {self.path}: {self.message}" if self.path else f"{where}: {self.message}"


class ConfigError(Exception):
    """One or more problems in a finops.yaml; str() gives one line per problem."""

    def __init__(self, issues: list[ConfigIssue]) -> None:
        self.issues = sorted(set(issues))
        super().__init__("\n".join(str(i) for i in self.issues))
