"""`stores`: opens stores on one database, SQLite or PostgreSQL (each test
runs against both). Each store opened is another process as far as the
store can tell (an owner of its own)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from bot.store import SqliteStore, Store
from bot.store.aio import AsyncStore
from bot.store.postgres import PostgresStore
from tests.store import pg


class Stores:
    def __init__(self, kind: str, where: str) -> None:
        self.kind = kind
        self.where = where
        self.opened: list[Store] = []

    async def open(self) -> Store:
        store: Store
        if self.kind == "postgres":
            store = PostgresStore(self.where, min_size=1, max_size=20)
            await store.connect()  # type: ignore[attr-defined]
        else:
            store = AsyncStore(SqliteStore(self.where))
        self.opened.append(store)
        return store

    async def kill(self, store: Store) -> None:
        """As if its process died: its sessions end (PostgreSQL forgets it)."""
        self.opened.remove(store)
        await store.aclose()
        if self.kind == "postgres":
            pg.wait_gone(store.owner)

    async def close(self) -> None:
        for store in self.opened:
            await store.aclose()


@pytest.fixture(params=["sqlite", "postgres"])
def where(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[str, str]]:
    if request.param == "postgres":
        with pg.fresh_schema() as url:
            yield "postgres", url
    else:
        yield "sqlite", str(tmp_path / "t.db")


@pytest.fixture
async def stores(where: tuple[str, str]) -> AsyncIterator[Stores]:
    opened = Stores(*where)
    try:
        yield opened
    finally:
        await opened.close()


@pytest.fixture
async def store(stores: Stores) -> Store:
    return await stores.open()
