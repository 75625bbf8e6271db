"""`triage console`: a local chat in the terminal with the real Slack app,
the site config and real checks; no Slack workspace needed."""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
from pathlib import Path
from typing import Any, TextIO

from bot import redact
from bot.cli.run import UsageError, add_site_options
from bot.demo.local import local_slack
from bot.demo.session import HINT, Session, repl
from bot.runbooks.binding import BindError
from bot.runbooks.catalogue import Catalogue
from bot.runbooks.issues import RunbookError
from bot.runbooks.loader import load_site, runbook_dirs
from bot.runbooks.site import SiteConfig


def add(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "console", help="chat with the bot in this terminal: /triage <target>, buttons by number"
    )
    add_site_options(parser)
    parser.set_defaults(handler=handle)


def handle(args: argparse.Namespace) -> int:
    try:
        site = load_site(args.config, args.sets)
        redact.install(redact.Redactor.from_env(site.secrets))
        catalogue = Catalogue.load(runbook_dirs(), site)
    except (FileNotFoundError, RunbookError, BindError, UsageError) as exc:
        print(f"triage console: {exc}", file=sys.stderr)
        return 2
    print(f"triage console: {HINT}.\n", flush=True)
    # Incidents live only as long as the console: a fresh store each time.
    with tempfile.TemporaryDirectory(prefix="triage-console-") as folder:
        return _chat(catalogue, site, Path(folder) / "triage.db")


def _chat(catalogue: Catalogue, site: SiteConfig, db: Path) -> int:
    with local_slack(catalogue, site, db) as chat:
        session = Session(chat, sys.stdout)
        try:
            asyncio.run(repl(session, sys.stdin, prompt=lambda: _prompt(sys.stdin)))
        except KeyboardInterrupt:
            return 130
    return 0


def _prompt(lines: TextIO) -> None:
    if lines.isatty():
        print("> ", end="", flush=True)
