"""Which store: TRIAGE_DB names a SQLite file (the zero-setup default,
one process) or, as a postgresql:// URL, a PostgreSQL database that
several replicas share."""

from __future__ import annotations

import os

from psycopg.conninfo import conninfo_to_dict

from bot.store.aio import AsyncStore
from bot.store.postgres import PostgresStore, is_url
from bot.store.protocol import Store
from bot.store.sqlite import SqliteStore

DEFAULT = "triage.db"


def configured() -> str:
    return os.environ.get("TRIAGE_DB") or DEFAULT


def open_store(where: str | None = None) -> Store:
    """The store TRIAGE_DB names (or `where`): see store_for."""
    return store_for(where or configured())


def store_for(where: str) -> Store:
    """The store at `where`. A SQLite file is opened (and upgraded) here,
    raising StoreUnavailable; a PostgreSQL store connects and upgrades on
    `await store.connect()`, inside the event loop its pool belongs to."""
    if is_url(where):
        return PostgresStore(where)
    return AsyncStore(SqliteStore(where))


async def connect(store: Store) -> None:
    """Until the store answers (PostgreSQL: pool open and schema migrated;
    retried with backoff, never given up). A SQLite store is open already."""
    if isinstance(store, PostgresStore):
        await store.connect_patiently()


def describe(where: str) -> str:
    """For messages: the file, or the URL without its password."""
    if not is_url(where):
        return where
    parts = conninfo_to_dict(where)
    return (
        f"postgresql://{parts.get('host', '')}:{parts.get('port', 5432)}/{parts.get('dbname', '')}"
    )
