"""/healthz and /readyz say whether the store answers, from a check made in
the background: they answer at once even while the store hangs."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import httpx

from bot.slack.server import start_http
from bot.store import SqliteStore
from bot.store.aio import AsyncStore
from bot.store.health import StoreHealth
from bot.store.postgres import PostgresStore
from tests.faults.locker import store_locked
from tests.store import pg
from tests.store.proxy import HangingProxy


@asynccontextmanager
async def served(health: StoreHealth) -> AsyncIterator[httpx.AsyncClient]:
    runner, port = await start_http(None, host="127.0.0.1", port=0, health=health)
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=5) as client:
            yield client
    finally:
        await runner.cleanup()


async def until(health: StoreHealth, state: str, deadline_s: float = 20.0) -> None:
    deadline = time.monotonic() + deadline_s
    while health.state != state:
        assert time.monotonic() < deadline, f"store still {health.state}"
        health.checked.clear()
        await asyncio.wait_for(health.checked.wait(), deadline - time.monotonic())


async def test_a_hung_postgresql_reads_unreachable_at_once_and_ok_again_after() -> None:
    with pg.fresh_schema() as url:
        async with HangingProxy() as proxy:
            store = PostgresStore(url.replace(":5432/", f":{proxy.port}/"), min_size=1)
            await store.connect()
            health = StoreHealth(store, every=0.05, deadline=0.5)
            try:
                async with served(health) as client:
                    await until(health, "ok")
                    proxy.hang()
                    await until(health, "unreachable")
                    started = time.monotonic()
                    live = await client.get("/healthz")
                    ready = await client.get("/readyz")
                    # Answered from memory: far inside one store deadline.
                    assert time.monotonic() - started < health.deadline
                    assert (live.status_code, live.json()) == (
                        200, {"ok": True, "store": "unreachable"},
                    )  # fmt: skip
                    assert ready.status_code == 503
                    proxy.resume()
                    await until(health, "ok")
                    assert (await client.get("/readyz")).json() == {"ok": True, "store": "ok"}
            finally:
                await store.aclose()


async def test_a_locked_sqlite_file_is_still_a_reachable_store(tmp_path: Path) -> None:
    path = tmp_path / "t.db"
    store = AsyncStore(SqliteStore(path))
    health = StoreHealth(store, every=0.05, deadline=0.5)
    try:
        async with served(health) as client:
            with store_locked(path):
                # A write waits out the lock on the store's thread meanwhile.
                writing = asyncio.create_task(
                    store.audit(actor="U1", action="x", outcome="y", request_id="r")
                )
                for _ in range(3):  # three checks made while the lock is held
                    health.checked.clear()
                    await asyncio.wait_for(health.checked.wait(), 10)
                    assert health.state == "ok"
                assert (await client.get("/readyz")).json() == {"ok": True, "store": "ok"}
                assert not writing.done()
            await asyncio.wait_for(writing, 30)
    finally:
        await store.aclose()


async def test_in_socket_mode_a_closed_websocket_is_reported_and_not_ready(
    tmp_path: Path,
) -> None:
    store = AsyncStore(SqliteStore(tmp_path / "t.db"))
    health = StoreHealth(store, every=0.05, deadline=0.5)
    connected = True

    async def websocket_open() -> bool:  # as the Socket Mode client answers it
        return connected

    health.slack = websocket_open
    try:
        async with served(health) as client:
            await until(health, "ok")
            assert (await client.get("/healthz")).json() == {
                "ok": True, "store": "ok", "slack": "connected",
            }  # fmt: skip
            assert (await client.get("/readyz")).status_code == 200
            connected = False
            health.checked.clear()
            await asyncio.wait_for(health.checked.wait(), 10)
            health.checked.clear()
            await asyncio.wait_for(health.checked.wait(), 10)  # a whole check after the change
            healthz = await client.get("/healthz")
            readyz = await client.get("/readyz")
    finally:
        await store.aclose()
    assert (healthz.status_code, healthz.json()["slack"]) == (200, "disconnected")
    assert readyz.status_code == 503
