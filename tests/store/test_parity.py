"""The two stores stay in step: whatever the SQLite store gains (a method,
a column, a table) the PostgreSQL store must gain too, with a migration."""

from __future__ import annotations

import inspect
import sqlite3
from pathlib import Path

import psycopg

from bot.store import SqliteStore
from bot.store.aio import AsyncStore
from bot.store.postgres import PostgresStore
from bot.store.protocol import Store
from tests.store import pg


def coroutines(cls: type) -> set[str]:
    return {
        name
        for name, member in inspect.getmembers(cls, inspect.iscoroutinefunction)
        if not name.startswith("_")
    }


def test_both_stores_have_every_coroutine_of_the_protocol() -> None:
    wanted = coroutines(Store)
    assert wanted <= coroutines(AsyncStore)
    assert wanted <= coroutines(PostgresStore)
    # And the bot's async SQLite facade adds nothing PostgreSQL lacks (but its
    # ways of calling the SQLite store on its thread).
    assert coroutines(AsyncStore) - {"call", "call_first"} <= coroutines(PostgresStore)


async def test_postgresql_has_every_table_and_column_of_sqlite(tmp_path: Path) -> None:
    SqliteStore(tmp_path / "t.db").close()
    db = sqlite3.connect(tmp_path / "t.db")
    tables = [
        r[0]
        for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
        if r[0] != "sqlite_sequence"
    ]
    sqlite_columns = {
        (table, r[1]) for table in tables for r in db.execute(f"PRAGMA table_info({table})")
    }
    db.close()
    with pg.fresh_schema() as url:
        store = PostgresStore(url, min_size=1)
        await store.connect()
        await store.aclose()
        with psycopg.connect(url) as conn:
            pg_columns = set(
                conn.execute(
                    "SELECT table_name, column_name FROM information_schema.columns"
                    " WHERE table_schema = current_schema()"
                ).fetchall()
            )
    assert sqlite_columns - pg_columns == set()
