"""`triage timeline INCIDENT [--json|--md] [--db PATH]`: an incident's
story, in order, read from the store (bot.timeline); and `triage
postmortem INCIDENT`: the draft the bot posts on Resolve. Redacted on the
way out like everything else the CLI prints."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from bot import redact
from bot.cli.audit import open_store
from bot.cli.run import add_site_options
from bot.errors import UsageError
from bot.runbooks.binding import BindError
from bot.runbooks.catalogue import Catalogue
from bot.runbooks.issues import RunbookError
from bot.runbooks.loader import load_site, runbook_dirs
from bot.timeline import render
from bot.timeline.build import timeline
from bot.timeline.postmortem import postmortem


def add(subparsers: Any) -> None:
    parser = subparsers.add_parser("timeline", help="print an incident's timeline")
    parser.add_argument("incident", type=int, help="incident id")
    form = parser.add_mutually_exclusive_group()
    form.add_argument("--json", action="store_true", help="as JSON")
    form.add_argument("--md", action="store_true", help="as Markdown")
    parser.add_argument("--db", type=Path, help="the store (default: TRIAGE_DB or triage.db)")
    parser.set_defaults(handler=handle)
    add_postmortem(subparsers)


def handle(args: argparse.Namespace) -> int:
    store = open_store(args.db)
    try:
        told = timeline(store, args.incident)
    except KeyError as exc:
        raise UsageError(f"no incident {args.incident}") from exc
    finally:
        store.close()
    shown = render.as_json(told) if args.json else render.markdown(told) if args.md else None
    sys.stdout.write(redact.active().redact(shown or render.text(told)))
    return 0


def add_postmortem(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "postmortem", help="print an incident's postmortem draft (Markdown)"
    )
    parser.add_argument("incident", type=int, help="incident id")
    parser.add_argument("--db", type=Path, help="the store (default: TRIAGE_DB or triage.db)")
    add_site_options(parser)
    parser.set_defaults(handler=handle_postmortem)


def handle_postmortem(args: argparse.Namespace) -> int:
    """The runbooks and site config give titles, impact and questions; the
    store gives every fact."""
    try:
        site = load_site(args.config, args.sets)
        catalogue = Catalogue.load(runbook_dirs(), site)
    except (RunbookError, BindError, FileNotFoundError) as exc:
        raise UsageError(str(exc)) from exc
    store = open_store(args.db)
    try:
        try:
            incident = store.incident(args.incident)
        except KeyError as exc:
            raise UsageError(f"no incident {args.incident}") from exc
        binding = catalogue.bindings.get(incident.runbook)
        if binding is None or incident.target not in binding.targets:
            raise UsageError(f"runbook {incident.runbook} is not loaded")
        draft = postmortem(store, binding, incident.id)
    finally:
        store.close()
    sys.stdout.write(redact.active().redact(draft))
    return 0
