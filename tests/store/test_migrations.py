"""Schema versions: a SQLite file from before versioning upgrades in
place; replicas starting together on a new PostgreSQL database migrate it
once."""

from __future__ import annotations

import asyncio
import sqlite3
import time
from pathlib import Path

import psycopg

from bot.store import SqliteStore, migrations
from bot.store.aio import AsyncStore
from bot.store.postgres import PostgresStore
from bot.store.schema import ADDED_COLUMNS, SCHEMA
from tests.store import pg


def file_from_before(path: Path) -> None:
    """A store file as the bot wrote it before schema versions: its tables,
    and two open incidents for one target (allowed then)."""
    db = sqlite3.connect(path)
    db.executescript(SCHEMA)
    for table, added in ADDED_COLUMNS.items():
        for name, definition in added:
            db.execute(f"ALTER TABLE {table} ADD COLUMN {name} {definition}")
    for by in ("U1", "alert:am"):
        db.execute(
            "INSERT INTO incidents (channel, runbook, target, variables, opened_by, opened_at)"
            " VALUES ('C1', 'probe-failure', 'smtp-relay', '{}', ?, ?)",
            (by, time.time()),
        )
    db.commit()
    db.close()


async def test_a_file_from_before_versions_upgrades_and_keeps_its_incidents(
    tmp_path: Path,
) -> None:
    path = tmp_path / "old.db"
    file_from_before(path)
    store = SqliteStore(path)
    assert store.schema_version() == max(migrations.SQLITE)
    assert [store.incident(n).opened_by for n in (1, 2)] == ["U1", "alert:am"]
    found, opened = await AsyncStore(store).open_outage(
        channel="C1", runbook="probe-failure", target="smtp-relay", variables={},
        opened_by="alert:am",
    )  # fmt: skip
    assert (found.id, opened) == (2, False)
    store.close()
    again = SqliteStore(path)  # reopening applies nothing twice
    rows = again._db.execute("SELECT version FROM schema_version ORDER BY version").fetchall()
    assert [r[0] for r in rows] == [1, *sorted(migrations.SQLITE)]


async def test_replicas_starting_together_migrate_a_new_database_once() -> None:
    with pg.fresh_schema() as url:
        replicas = [PostgresStore(url, min_size=1) for _ in range(4)]
        await asyncio.gather(*(r.connect() for r in replicas))
        try:
            assert {await r.schema_version() for r in replicas} == {max(migrations.POSTGRES)}
            with psycopg.connect(url) as db:
                versions = db.execute("SELECT version FROM schema_version ORDER BY 1").fetchall()
            assert [v[0] for v in versions] == sorted(migrations.POSTGRES)
        finally:
            await asyncio.gather(*(r.aclose() for r in replicas))


def test_both_dialects_reach_the_same_version() -> None:
    # A change to the tables needs a numbered step in both lists.
    assert max(migrations.SQLITE) == max(migrations.POSTGRES)
