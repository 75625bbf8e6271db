"""`triage timeline INCIDENT [--json|--md] [--db PATH]`: an incident's
story, in order, read from the store (bot.timeline); and `triage
postmortem INCIDENT`: the draft the bot posts on Resolve. Redacted on the
way out like everything else the CLI prints."""

from __future__ import annotations

import argparse
import asyncio
import sys
from typing import Any

from bot import redact
from bot.cli.audit import add_db_option
from bot.cli.run import add_site_options
from bot.cli.stored import bot_settings, reading, store_at
from bot.errors import UsageError
from bot.runbooks.binding import BindError
from bot.runbooks.catalogue import Catalogue
from bot.runbooks.issues import RunbookError
from bot.runbooks.loader import load_site
from bot.store.snapshot import Snapshot, snapshot
from bot.timeline import render
from bot.timeline.build import timeline
from bot.timeline.postmortem import postmortem


def add(subparsers: Any) -> None:
    parser = subparsers.add_parser("timeline", help="print an incident's timeline")
    parser.add_argument("incident", type=int, help="incident id")
    form = parser.add_mutually_exclusive_group()
    form.add_argument("--json", action="store_true", help="as JSON")
    form.add_argument("--md", action="store_true", help="as Markdown")
    add_db_option(parser)
    parser.set_defaults(handler=handle)
    add_postmortem(subparsers)


def handle(args: argparse.Namespace) -> int:
    told = timeline(
        asyncio.run(_incident(store_at(bot_settings(args)), args.incident)), args.incident
    )
    shown = render.as_json(told) if args.json else render.markdown(told) if args.md else None
    sys.stdout.write(redact.active().redact(shown or render.text(told)))
    return 0


def add_postmortem(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "postmortem", help="print an incident's postmortem draft (Markdown)"
    )
    parser.add_argument("incident", type=int, help="incident id")
    add_db_option(parser)
    add_site_options(parser)
    parser.set_defaults(handler=handle_postmortem)


def handle_postmortem(args: argparse.Namespace) -> int:
    """The runbooks and site config give titles, impact and questions; the
    store gives every fact."""
    try:
        site = load_site(args.config, args.sets)
        settings = bot_settings(args, site)
        catalogue = Catalogue.load(settings.runbook_dirs, site)
    except (RunbookError, BindError, FileNotFoundError) as exc:
        raise UsageError(str(exc)) from exc
    facts = asyncio.run(_incident(store_at(settings), args.incident))
    incident = facts.record
    binding = catalogue.bindings.get(incident.runbook)
    if binding is None or incident.target not in binding.targets:
        raise UsageError(f"runbook {incident.runbook} is not loaded")
    draft = postmortem(facts, binding, incident.id)
    sys.stdout.write(redact.active().redact(draft))
    return 0


async def _incident(where: str, incident_id: int) -> Snapshot:
    """Everything the store holds of one incident, read at once."""
    async with reading(where) as store:
        try:
            return await snapshot(store, incident_id)
        except KeyError as exc:
            raise UsageError(f"no incident {incident_id}") from exc
