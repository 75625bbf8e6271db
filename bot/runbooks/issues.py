"""Problems found in a runbook or site config, each tied to a place."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

Loc = tuple[str | int, ...]


@dataclass(frozen=True)
class Problem:
    """A problem at a path inside the document (before positions are known)."""

    loc: Loc
    message: str
    at_key: bool = False  # point at the key itself, not its value
    named: bool = False  # prefix the message with the key it is about


@dataclass(frozen=True)
class Located:
    file: str
    line: int
    col: int
    message: str

    def __str__(self) -> str:
        if self.line == 0:  # not from a file: a command-line value
            return f"{self.file}: {self.message}"
        return f"{self.file}:{self.line}:{self.col}: {self.message}"


class RunbookError(ValueError):
    """One or more problems with a runbook file, in file order."""

    def __init__(self, problems: Sequence[Located]) -> None:
        self.problems = sorted(problems, key=lambda p: (p.file, p.line, p.col))
        super().__init__("\n".join(str(p) for p in self.problems))
