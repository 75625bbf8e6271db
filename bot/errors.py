"""The one kind of failure a command reports: a sentence for the responder
and the exit code that goes with it.

Anything below the command line raises a `TriageError` (or a subclass) with
words a responder can act on; `bot.cli.main` catches it once, prints
`triage COMMAND: message` on stderr and exits with `exit_code`. No command
prints its own error line or returns a literal code for a failure.
"""

from __future__ import annotations

from typing import ClassVar

# The exit codes every command shares.
OK, FAILED, USAGE, INTERRUPTED = 0, 1, 2, 130


class TriageError(Exception):
    """A failure with words for the responder; exit 1 unless a subclass says."""

    exit_code: ClassVar[int] = FAILED

    def __init__(self, message: str, *, exit_code: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        # An instance may carry its own code where one call site differs.
        self.code = self.exit_code if exit_code is None else exit_code


class UsageError(TriageError):
    """What was asked cannot be done as asked: a missing file or store, an
    unknown target, an invalid runbook or site config (exit 2)."""

    exit_code: ClassVar[int] = USAGE
