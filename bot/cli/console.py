"""`triage console`: a local chat in the terminal with the real Slack app,
the site config and real checks; no Slack workspace needed.

Everything a channel offers can be rehearsed: confirmation dialogs are shown
and answered by typing, `as U0OTHER` (or `--as`) switches who types and
clicks (an approval needs a second person), and the user groups the allow
lists name get their members from `--group`. Files the bot posts (a chart,
the timeline, the postmortem draft) are saved in a folder the console names
(`--files`), and shown where the thread shows them: a chart as its path and
a one-line sparkline per series, a text file as its content."""

from __future__ import annotations

import argparse
import asyncio
import re
import sys
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from bot.cli.run import UsageError, add_site_options

if TYPE_CHECKING:
    from bot.runbooks.catalogue import Catalogue
    from bot.runbooks.site import SiteConfig

_USER = re.compile(r"^[UW][A-Z0-9]{2,}$")
_GROUP = re.compile(r"^S[A-Z0-9]{2,}$")


def add(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "console", help="chat with the bot in this terminal: /triage <target>, buttons by number"
    )
    add_site_options(parser)
    parser.add_argument(
        "--as", dest="user", default="U0YOU", metavar="USER",
        help="the Slack user id you type and click as (default U0YOU; `as USER` switches later)",
    )  # fmt: skip
    parser.add_argument(
        "--files", type=Path, default=None, metavar="DIR",
        help="save the files the bot posts (charts, timelines, postmortem drafts) in DIR "
        "(default: a new temporary folder, kept if anything was saved)",
    )  # fmt: skip
    parser.add_argument(
        "--group", dest="groups", action="append", default=[], metavar="GROUP=USER,USER",
        help="members of a user group an allow list names, e.g. S0ONCALL=U0YOU,U0OTHER",
    )  # fmt: skip
    parser.set_defaults(handler=handle)


def handle(args: argparse.Namespace) -> int:
    # Imported here: the other commands must not pay for the demo's Slack app.
    from bot import redact
    from bot.app.settings import BotSettings
    from bot.demo.local import files_folder
    from bot.demo.session import HINT
    from bot.runbooks.binding import BindError
    from bot.runbooks.catalogue import Catalogue
    from bot.runbooks.issues import RunbookError
    from bot.runbooks.loader import load_site

    try:
        groups = parse_groups(args.groups)
        if not _USER.match(args.user):
            raise UsageError(f"--as {args.user!r}: expected a Slack user id like U0OTHER")
        site = load_site(args.config, args.sets)
        redact.install(redact.Redactor.from_env(site.secrets))
        catalogue = Catalogue.load(BotSettings.from_env(site).runbook_dirs, site)
    except (FileNotFoundError, RunbookError, BindError) as exc:
        raise UsageError(str(exc)) from exc
    print(f"triage console: {HINT}.", flush=True)
    for line in group_lines(named_groups(catalogue, site), groups):
        print(line, flush=True)
    # Incidents live only as long as the console: a fresh store each time.
    with (
        tempfile.TemporaryDirectory(prefix="triage-console-") as folder,
        files_folder(args.files, "triage-console-files-") as files,
    ):
        print(
            f"Files the bot posts (charts, timelines, postmortems) are saved in {files}", flush=True
        )
        print(flush=True)
        # Every group an allow list names is known here: members as given, else none.
        known = {group: groups.get(group, []) for group in named_groups(catalogue, site)}
        db = Path(folder) / "triage.db"
        return _chat(catalogue, site, db, args.user, known | groups, files=files)


def parse_groups(given: list[str]) -> dict[str, list[str]]:
    groups: dict[str, list[str]] = {}
    for item in given:
        group, sep, users = item.partition("=")
        members = [u.strip() for u in users.split(",") if u.strip()]
        if not sep or not _GROUP.match(group) or not all(_USER.match(u) for u in members):
            raise UsageError(f"--group {item!r}: expected GROUP=USER,USER like S0ONCALL=U0YOU")
        groups.setdefault(group, []).extend(members)
    return groups


def named_groups(catalogue: Catalogue, site: SiteConfig) -> dict[str, list[str]]:
    """User group -> the actions whose allow list names it (runbooks and site config)."""
    named: dict[str, list[str]] = {}
    for binding in catalogue.bindings.values():
        escalation = binding.runbook.escalation
        for action in escalation.actions if escalation else []:
            site_allow = site.actions.get(action.id)
            for group in [*action.allow.groups, *(site_allow.groups if site_allow else [])]:
                named.setdefault(group, []).append(action.id)
    return named


def group_lines(named: dict[str, list[str]], groups: dict[str, list[str]]) -> list[str]:
    """Say who is in each user group here, so a refusal is no surprise."""
    lines = []
    for group, actions in sorted(named.items()):
        members = groups.get(group)
        who = ", ".join(members) if members else f"nobody here (add --group {group}=U0YOU,...)"
        lines.append(f"user group {group} (allowed: {', '.join(sorted(set(actions)))}): {who}")
    return lines


def _chat(
    catalogue: Catalogue, site: SiteConfig, db: Path, user: str, groups: dict[str, list[str]],
    *, files: Path,
) -> int:  # fmt: skip
    from bot.demo.local import local_slack
    from bot.demo.session import Session, repl

    with local_slack(catalogue, site, db, files=files) as chat:
        chat.user = user
        chat.slack.groups.update(groups)
        session = Session(chat, sys.stdout)
        try:
            asyncio.run(repl(session, sys.stdin, prompt=lambda: _prompt(sys.stdin)))
        except KeyboardInterrupt:
            return 130
    return 0


def _prompt(lines: TextIO) -> None:
    if lines.isatty():
        print("> ", end="", flush=True)
