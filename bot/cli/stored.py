"""What a one-shot command reads, where the bot's settings say: the store
(TRIAGE_DB or --db: a SQLite file or a postgresql:// URL) and the runbook
folders (TRIAGE_RUNBOOKS), through bot.app.settings.BotSettings and
bot.store's own opener, as `triage serve` reads them."""

from __future__ import annotations

import argparse
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import replace
from pathlib import Path

from bot.app.settings import BotSettings
from bot.errors import TriageError, UsageError
from bot.runbooks.site import SiteConfig
from bot.store import Store, StoreUnavailable, open_store


def bot_settings(args: argparse.Namespace, site: SiteConfig | None = None) -> BotSettings:
    """The environment's settings, with --db (when the command has it) first."""
    settings = BotSettings.from_env(site or SiteConfig())
    db = getattr(args, "db", None)
    return replace(settings, db=str(db)) if db else settings


def store_at(settings: BotSettings) -> str:
    """Where the bot's store is, if there is one: a one-shot command reads
    the store the bot wrote, never a fresh empty file made by mistake."""
    from bot.store.postgres import is_url

    if not is_url(settings.db) and not Path(settings.db).is_file():
        raise UsageError(f"no store at {settings.db} (set --db or TRIAGE_DB)")
    return settings.db


@asynccontextmanager
async def reading(where: str) -> AsyncIterator[Store]:
    """The store at `where` (see store_at). PostgreSQL is asked once: a
    one-shot command says why it cannot reach it and exits, rather than wait."""
    # psycopg only when the store is PostgreSQL (bot.store.open_store is lazy too).
    from bot.store.postgres import PostgresStore

    try:
        store = open_store(where)
        if isinstance(store, PostgresStore):
            await store.connect()  # once: not connect_patiently, which serve uses
    except StoreUnavailable as exc:
        raise TriageError(str(exc)) from exc
    try:
        yield store
    finally:
        await store.aclose()
