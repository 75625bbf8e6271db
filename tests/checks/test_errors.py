"""One HTTP error mapper: what httpx raises for a refused port, a silent
peer or a peer that does not speak HTTP becomes the same sentence and kind
whichever client met it (the http check, a vantage point, Alertmanager's
API, charts), against real loopback peers."""

from __future__ import annotations

import asyncio
import socket

import httpx
import pytest

from bot.checks.errors import classify, classify_http
from bot.checks.result import ErrorKind
from tests.peers.mail import closed_port_peer, greeting, serving


async def _failure(url: str, seconds: float = 5.0) -> BaseException:
    try:
        async with asyncio.timeout(seconds), httpx.AsyncClient(trust_env=False) as client:
            await client.get(url)
    except (httpx.HTTPError, TimeoutError) as exc:
        return exc
    raise AssertionError(f"{url} answered")


async def test_a_refused_port_reads_as_a_socket_refusal() -> None:
    peer = closed_port_peer()
    url = f"http://127.0.0.1:{peer.port}/"
    failure = classify_http(await _failure(url), where=url)
    assert failure.kind is ErrorKind.REFUSED
    # The same words as a tcp check's refusal of the same port.
    assert failure == classify(ConnectionRefusedError(), where=url)


async def test_a_silent_peer_says_the_callers_words_for_a_timeout() -> None:
    with serving(greeting(None)) as peer:
        url = f"http://127.0.0.1:{peer.port}/"
        exc = await _failure(url, seconds=0.3)
    failure = classify_http(exc, where=url, timed_out="no answer within 0.3 s")
    assert (failure.kind, failure.message) == (ErrorKind.TIMEOUT, f"{url}: no answer within 0.3 s")
    assert classify_http(exc, where="x").message == "x: no answer before the deadline"


async def test_a_peer_that_is_not_http_is_a_broken_exchange() -> None:
    async def banner(_: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(b"220 smtp.example.com ESMTP\r\n\r\n")
        await writer.drain()
        writer.close()

    server = await asyncio.start_server(banner, "127.0.0.1", 0)
    async with server:
        url = f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}/"
        exc = await _failure(url)
    failure = classify_http(exc, where=url)
    assert failure.kind is ErrorKind.PROTOCOL
    assert failure.message.startswith(f"{url}: broken HTTP exchange:")


@pytest.mark.parametrize("wrapped", [socket.gaierror(-2, "Name or service not known")])
def test_the_socket_error_inside_an_httpx_error_decides(wrapped: OSError) -> None:
    outer = httpx.ConnectError("wrapped")
    outer.__cause__ = ExceptionGroup("anyio", [wrapped])
    failure = classify_http(outer, where="h")
    assert (failure.kind, failure.message) == (
        ErrorKind.DNS,
        "h: name does not resolve (Name or service not known)",
    )
