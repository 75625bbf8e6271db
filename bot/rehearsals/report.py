"""The terminal report of `triage test`: a line per scenario and, when one
fails, what each step was expected to come to next to what it came to."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from bot.rehearsals.replay import Mismatch, Verdict

LABEL = 12  # width of the "conclusion" column, so expected and got line up


def scenario_lines(path: Path, verdict: Verdict) -> Iterator[str]:
    if verdict.passed:
        yield f"  PASS  {verdict.name}"
        return
    yield f"  FAIL  {verdict.name}  ({path}:{verdict.line})"
    for problem in verdict.problems:
        yield f"        ! {problem}"
    step = None
    for mismatch in verdict.mismatches:
        if mismatch.step != step:
            step = mismatch.step
            yield f"        step {step}:"
        yield from _diff(mismatch)


def _diff(mismatch: Mismatch) -> Iterator[str]:
    pad = " " * 10
    yield f"{pad}{mismatch.key:<{LABEL}}expected: {mismatch.expected}"
    yield f"{pad}{'':<{LABEL}}     got: {mismatch.got}"
    if mismatch.hint:
        yield f"{pad}{'':<{LABEL}}{mismatch.hint}"


def coverage_lines(total: int, missed: list[str]) -> Iterator[str]:
    yield f"  conclusions reached: {total - len(missed)} of {total}"
    yield from (f"        not reached: {name}" for name in missed)
