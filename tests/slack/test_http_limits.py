"""The HTTP server's connections say when a request's bytes arrive
(bot.slack.http_limits.CappedSite `arriving`), before aiohttp has parsed a
whole request, and serve as before."""

from __future__ import annotations

import asyncio

from bot.slack.server import start_http


async def test_a_connection_says_when_bytes_arrive_before_the_request_is_whole() -> None:
    arrived = asyncio.Event()
    runner, port = await start_http(None, host="127.0.0.1", port=0, arriving=arrived.set)
    try:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")  # half a head
        await writer.drain()
        await asyncio.wait_for(arrived.wait(), 5)
        arrived.clear()
        writer.write(b"\r\n")  # the rest: answered as by any connection
        status = await asyncio.wait_for(reader.readline(), 5)
        assert status.startswith(b"HTTP/1.1 200"), status
        assert arrived.is_set()
        writer.close()
    finally:
        await runner.cleanup()
