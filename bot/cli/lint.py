"""`triage lint [PATH...] [--config SITE]`: validate runbooks; the CI gate
for runbook repos. With a site config, checks are also filled in with its
values, and names it holds that no runbook uses are reported."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from bot.cli.startup import collector_paused, imports_done
from bot.errors import TriageError, UsageError
from bot.runbooks.binding import site_problems
from bot.runbooks.issues import Located, RunbookError
from bot.runbooks.loader import (
    load_reviewed,
    load_site,
    locate_in_site,
    runbook_dirs,
    runbook_files,
)
from bot.runbooks.modules import module_problems
from bot.runbooks.schema import Runbook
from bot.runbooks.site import SiteConfig


def add(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "lint", help="validate runbooks (exit 1 and file:line:col lines when invalid)"
    )
    parser.add_argument("paths", nargs="*", type=Path, help="files or folders (default: runbooks/)")
    parser.add_argument(
        "--config", type=Path, help="site config to check too, against every runbook linted"
    )
    parser.set_defaults(handler=handle)


def handle(args: argparse.Namespace) -> int:
    imports_done()
    with collector_paused():  # bounded by the files' size caps (bot/runbooks/files.py)
        return _lint(args)


def _lint(args: argparse.Namespace) -> int:
    files = runbook_files(args.paths or runbook_dirs())
    if not files:
        raise UsageError("no runbook files found")
    site: SiteConfig | None = None
    if args.config is not None:
        try:
            site = load_site(args.config)
        except RunbookError as exc:
            _show(exc.problems)
            raise TriageError("site config invalid") from exc
    bad, valid = 0, list[Runbook]()
    for path in files:
        try:
            runbook, reviews = load_reviewed(path, site)
        except RunbookError as exc:
            bad += 1
            _show(exc.problems)
            continue
        modules = module_problems(runbook, site)
        if modules:
            bad += 1
            _show(locate_in_site(path, modules))
            continue
        valid.append(runbook)
        _show(reviews)  # exceptions to the safety rules, for a reviewer
    unused = site_problems(valid, site) if site is not None and not bad else []
    _show(locate_in_site(args.config, unused))
    print(f"{len(files) - bad} valid, {bad} invalid", file=sys.stderr)
    return 1 if bad or unused else 0


def _show(problems: list[Located]) -> None:
    for problem in problems:
        print(problem)
