"""Problems found in flows and content, reported like a compiler: `path:line:col: level: text`."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

Severity = Literal["error", "warning"]


@dataclass(frozen=True, order=True)
class Pos:
    """A place in a source file (1-based line and column)."""

    path: str
    line: int = 1
    col: int = 1

    def __str__(self) -> str:
        return f"{self.path}:{self.line}:{self.col}"


@dataclass(frozen=True, order=True)
class Problem:
    """One finding of the loader or of lint."""

    pos: Pos
    severity: Severity
    message: str
    kind: str = field(default="", compare=False)
    """What sort of problem, in a few words, for a summary line ("texts awaiting review")."""

    def __str__(self) -> str:
        return f"{self.pos}: {self.severity}: {self.message}"


class ContentError(Exception):
    """Flows or content could not be loaded; carries every problem found."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        errors = [p for p in problems if p.severity == "error"]
        super().__init__("\n".join(str(p) for p in errors) or "content has errors")
