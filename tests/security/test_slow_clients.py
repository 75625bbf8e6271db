"""Slow and numerous clients (slowloris) against the bot's real HTTP server
on loopback: partial heads and bodies are cut off in bounded time, the
connection count is capped by closing the oldest idle ones, and /healthz
and Slack's signed requests are still answered meanwhile."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import httpx

from bot.acks import ACKS
from bot.incidents.work import Work
from bot.slack.http_limits import Limits
from bot.slack.server import EVENTS_PATH, start_http
from bot.store import SqliteStore
from tests.faults.waiting import until
from tests.peers.slack import BoltClient, SlackStandIn
from tests.slack.bot import SECRET, make_bot

Stream = tuple[asyncio.StreamReader, asyncio.StreamWriter]


@asynccontextmanager
async def serving(
    slack_api: SlackStandIn, db: Path, bounds: Limits
) -> AsyncIterator[tuple[str, Work]]:
    store = SqliteStore(db)
    bot = make_bot(slack_api.url, store, signing_secret=SECRET)
    runner, port = await start_http(
        bot.app, host="127.0.0.1", port=0, bounds=bounds, arriving=bot.incidents.work.arriving
    )
    try:
        yield f"http://127.0.0.1:{port}", bot.incidents.work
    finally:
        await runner.cleanup()
        store.close()


async def open_many(base: str, count: int, first_bytes: bytes) -> list[Stream]:
    port = int(base.rsplit(":", 1)[1])
    streams = []
    for _ in range(count):
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        if first_bytes:
            writer.write(first_bytes)
            await writer.drain()
        streams.append((reader, writer))
    return streams


async def closed_by_server(streams: list[Stream], deadline: float) -> int:
    """How many of `streams` the server closed before `deadline` (monotonic)."""

    async def closed(reader: asyncio.StreamReader) -> bool:
        try:
            async with asyncio.timeout(max(0.0, deadline - time.monotonic())):
                while await reader.read(4096):
                    pass
            return True
        except TimeoutError:
            return False
        except ConnectionError:
            return True

    return sum(await asyncio.gather(*(closed(r) for r, _ in streams)))


def close_all(streams: list[Stream]) -> None:
    for _, writer in streams:
        writer.close()


async def healthz(base: str) -> int:
    async with httpx.AsyncClient(timeout=5) as http:
        return (await http.get(f"{base}/healthz")).status_code


async def test_partial_heads_are_cut_off_and_healthz_still_answers(
    slack_api: SlackStandIn, tmp_path: Path
) -> None:
    bounds = Limits(header_timeout=1.0, body_timeout=1.0, max_connections=64)
    async with serving(slack_api, tmp_path / "t.db", bounds) as (base, _):
        slow = await open_many(base, 40, b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: ")
        try:
            assert await healthz(base) == 200
            closed = await closed_by_server(slow, time.monotonic() + 10)
        finally:
            close_all(slow)
    assert closed == 40


async def test_a_body_sent_too_slowly_is_answered_408_and_reaches_no_listener(
    slack_api: SlackStandIn, tmp_path: Path
) -> None:
    bounds = Limits(header_timeout=5.0, body_timeout=1.0, max_connections=64)
    head = (
        f"POST {EVENTS_PATH} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        "Content-Length: 1000\r\n\r\n{"
    ).encode()
    async with serving(slack_api, tmp_path / "t.db", bounds) as (base, _):
        slow = await open_many(base, 20, head)
        try:
            assert await healthz(base) == 200
            answers = await asyncio.gather(
                *(asyncio.wait_for(r.readline(), timeout=10) for r, _ in slow)
            )
        finally:
            close_all(slow)
    assert all(a.startswith(b"HTTP/1.1 408") for a in answers), answers[0][:80]
    assert slack_api.calls() == []


async def test_past_the_connection_cap_the_oldest_idle_connections_are_closed(
    slack_api: SlackStandIn, tmp_path: Path
) -> None:
    # A long header timeout: only the cap can free these connections in time.
    bounds = Limits(header_timeout=60.0, body_timeout=60.0, max_connections=32)
    async with serving(slack_api, tmp_path / "t.db", bounds) as (base, _):
        idle = await open_many(base, 100, b"")
        try:
            assert await healthz(base) == 200
            async with BoltClient(base, SECRET, slack=slack_api) as slack:
                signed = await slack.command("help", channel="C0SLOW")
            oldest = await closed_by_server(idle[:60], time.monotonic() + 5)
            newest = await closed_by_server(idle[-20:], time.monotonic() + 0.2)
        finally:
            close_all(idle)
    assert signed.status_code == 200 and "triage targets" in signed.text  # Slack still served
    assert oldest == 60  # 100 + 2 opened, at most 32 kept: the oldest went first
    assert newest == 0


async def test_bytes_dribbled_without_end_do_not_starve_work(
    slack_api: SlackStandIn, tmp_path: Path
) -> None:
    """Every request's bytes hold work while its ack is on the way
    (Work.arriving), unsigned ones too, as nothing is verified yet. A client
    that never stops sending holds it at most quiet_max at a time, then
    work goes ahead for a while (bot.acks): slower, never starved."""
    bounds = Limits(header_timeout=60.0, body_timeout=60.0, max_connections=64)
    async with serving(slack_api, tmp_path / "t.db", bounds) as (base, work):
        ((_, writer),) = await open_many(base, 1, b"GET /healthz HTTP/1.1\r\nHost: x\r\n")
        began = asyncio.Event()

        async def unit() -> None:
            began.set()

        async def dribble() -> None:
            while not began.is_set():  # a header line every 2 ms, never the end of the head
                writer.write(b"X-Slow: 1\r\n")
                await writer.drain()
                await asyncio.sleep(0.002)

        dribbling = asyncio.create_task(dribble())
        try:
            assert await until(lambda: not ACKS.open())  # the dribble holds work now
            started = time.monotonic()
            work.submit("u", unit)
            await asyncio.wait_for(began.wait(), 10)
        finally:
            dribbling.cancel()
            writer.close()
    held = time.monotonic() - started
    assert held <= work.quiet_max + 1.0, held  # its longest wait, and a loaded machine's slack
