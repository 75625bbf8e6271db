"""`triage test [PATH...]`: rehearse runbooks with recorded check results.

Each `*.test.yaml` scenario runs through the real engine with recorded
results in place of the checks, so it never touches a network.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bot.cli.startup import imports_done
from bot.errors import FAILED, OK, USAGE, UsageError


def add(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "test", help="rehearse runbooks: replay recorded check results, compare conclusions"
    )
    parser.add_argument(
        "paths", nargs="*", type=Path, help="*.test.yaml files or folders (default: runbooks/)"
    )
    parser.set_defaults(handler=handle)


@dataclass
class Tally:
    passed: int = 0
    failed: int = 0
    invalid: int = 0

    @property
    def code(self) -> int:
        return USAGE if self.invalid else FAILED if self.failed else OK


def handle(args: argparse.Namespace) -> int:
    from bot.rehearsals import replay, report  # noqa: F401  (_file's, before the freeze)
    from bot.rehearsals.load import rehearsal_files
    from bot.runbooks.loader import runbook_dirs

    imports_done()

    files = rehearsal_files(args.paths or runbook_dirs())
    if not files:
        raise UsageError("no *.test.yaml files found")
    tally = Tally()
    for path in files:
        asyncio.run(_file(path, tally))
    print(
        f"{tally.passed} passed, {tally.failed} failed, {tally.invalid} invalid files",
        file=sys.stderr,
    )
    return tally.code


async def _file(path: Path, tally: Tally) -> None:
    from bot.rehearsals.load import load_rehearsal
    from bot.rehearsals.replay import replay, uncovered
    from bot.rehearsals.report import coverage_lines, scenario_lines
    from bot.runbooks.issues import RunbookError

    try:
        rehearsal = load_rehearsal(path)
    except RunbookError as exc:
        tally.invalid += 1
        for problem in exc.problems:
            print(problem)
        return
    print(f"{path} ({rehearsal.runbook.id})")
    covered: set[tuple[str, int]] = set()
    for prepared in rehearsal.scenarios:
        verdict = await replay(prepared)
        covered |= verdict.covered
        tally.passed += verdict.passed
        tally.failed += not verdict.passed
        for line in scenario_lines(path, verdict):
            print(line)
    total = sum(len(s.conclusions) for s in rehearsal.runbook.steps)
    for line in coverage_lines(total, uncovered(rehearsal.runbook, covered)):
        print(line)
