"""`triage lint [PATH...]`: validate runbooks; the CI gate for runbook repos."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from bot.cli.startup import imports_done


def add(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "lint", help="validate runbooks (exit 1 and file:line:col lines when invalid)"
    )
    parser.add_argument("paths", nargs="*", type=Path, help="files or folders (default: runbooks/)")
    parser.set_defaults(handler=handle)


def handle(args: argparse.Namespace) -> int:
    from bot.runbooks.issues import RunbookError
    from bot.runbooks.loader import load_reviewed, runbook_dirs, runbook_files

    imports_done()

    files = runbook_files(args.paths or runbook_dirs())
    if not files:
        print("triage lint: no runbook files found", file=sys.stderr)
        return 2
    bad = 0
    for path in files:
        try:
            _, reviews = load_reviewed(path)
        except RunbookError as exc:
            bad += 1
            for problem in exc.problems:
                print(problem)
            continue
        for review in reviews:  # exceptions to the safety rules, for a reviewer
            print(review)
    print(f"{len(files) - bad} valid, {bad} invalid", file=sys.stderr)
    return 1 if bad else 0
