"""One HTTP client per vantage point for the life of the loop (issue 19):
checks on the same point share its kept-alive connection instead of each
building a client and dialling anew; shutdown closes them."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import pytest

from bot.checks import vantage
from bot.checks.context import RunContext, VantagePoint, VantageSettings
from bot.checks.prometheus import Params, run
from bot.checks.result import CheckStatus

QUERY = 'probe_success{instance="smtp-in.example.com:25"}'
_ANSWER = json.dumps(
    {
        "status": "success",
        "data": {
            "resultType": "vector",
            "result": [{"metric": {"instance": "x"}, "value": [1700000000.0, "1"]}],
        },
    }
).encode()


@dataclass
class KeepAlivePeer:
    """Prometheus's query API over HTTP/1.1 with keep-alive (the stand-in in
    tests/peers/prometheus.py speaks HTTP/1.0), counting connections."""

    url: str = ""
    opened: int = 0
    closed: int = 0
    requests: int = 0
    _closed_event: asyncio.Event = field(default_factory=asyncio.Event)

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.opened += 1
        try:
            while await reader.readuntil(b"\r\n\r\n"):
                self.requests += 1
                head = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                writer.write(head + f"Content-Length: {len(_ANSWER)}\r\n\r\n".encode() + _ANSWER)
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            self.closed += 1
            self._closed_event.set()
            writer.close()

    async def wait_closed(self, count: int, within: float = 5.0) -> None:
        async with asyncio.timeout(within):
            while self.closed < count:
                self._closed_event.clear()
                await self._closed_event.wait()


@pytest.fixture
async def keepalive_peer() -> AsyncIterator[KeepAlivePeer]:
    peer = KeepAlivePeer()
    server = await asyncio.start_server(peer.handle, "127.0.0.1", 0)
    peer.url = f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}"
    try:
        yield peer
    finally:
        await vantage.aclose_clients()
        server.close()
        await server.wait_closed()


def ctx_for(url: str) -> RunContext:
    point = VantagePoint(name="prom", kind="prometheus", url=url)
    return RunContext(timeout=5.0, vantage=VantageSettings(points={"prom": point}))


async def test_checks_on_one_point_share_one_connection(keepalive_peer: KeepAlivePeer) -> None:
    params = Params.model_validate({"vantage": "prom", "query": QUERY})
    for _ in range(3):
        result = await run(params, ctx_for(keepalive_peer.url))
        assert result.status is CheckStatus.PASS, result.summary
    assert keepalive_peer.requests == 3
    assert keepalive_peer.opened == 1  # one per check before: 3


async def test_shutdown_closes_the_shared_connection(keepalive_peer: KeepAlivePeer) -> None:
    params = Params.model_validate({"vantage": "prom", "query": QUERY})
    assert (await run(params, ctx_for(keepalive_peer.url))).status is CheckStatus.PASS
    assert keepalive_peer.closed == 0  # kept alive for the next check
    await vantage.aclose_clients()
    await keepalive_peer.wait_closed(1)
    # A check after shutdown still works, on a new client.
    assert (await run(params, ctx_for(keepalive_peer.url))).status is CheckStatus.PASS


async def test_each_point_has_its_own_client(keepalive_peer: KeepAlivePeer) -> None:
    one = VantagePoint(name="a", kind="prometheus", url=keepalive_peer.url)
    other = VantagePoint(name="b", kind="prometheus", url="http://127.0.0.1:9")
    assert vantage.client_for(one) is vantage.client_for(one)
    assert vantage.client_for(one) is not vantage.client_for(other)
