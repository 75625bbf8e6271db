"""Dialling what was judged: every check connection resolves its host through
the one resolver (bot.checks.resolve), judges each resolved address
(bot.checks.addresses) and connects to that address itself, so a name that
changes its answer between the judgement and the dial (DNS rebinding) gains
nothing. TLS still names the host: SNI and certificate checks use the name,
HTTP's Host header the URL.

`connect` serves the stream checks (tcp, tls, starttls, module); `transport`
serves httpx (http, and the blackbox and Prometheus vantage points).
"""

from __future__ import annotations

import asyncio
import socket
import ssl
from collections.abc import Iterable
from typing import Any

import httpcore
import httpx

from bot.checks.addresses import IP, ForbiddenAddress, dial_reason, redirect_reason
from bot.checks.resolve import RESOLVER

Streams = tuple[asyncio.StreamReader, asyncio.StreamWriter]


async def resolve(host: str, port: int, *, family: int = socket.AF_UNSPEC) -> list[IP]:
    """`host`'s addresses, every one judged: ForbiddenAddress if any may not be
    dialled (a name that also resolves to the metadata address is hostile)."""
    addresses = await RESOLVER.lookup(host, port, family=family)
    for ip in addresses:
        reason = dial_reason(ip)
        if reason is not None:
            shown = host if str(ip) == host else f"{host} resolves to {_shown(ip)}, which"
            raise ForbiddenAddress(f"{shown} is {reason}; checks never contact it")
    return addresses


def _shown(ip: IP) -> str:
    """IPv4 inside IPv6 as people write it: ::ffff:169.254.169.254."""
    mapped = getattr(ip, "ipv4_mapped", None)
    return f"::ffff:{mapped}" if mapped is not None else str(ip)


async def connect(host: str, port: int, *, family: int = socket.AF_UNSPEC) -> Streams:
    """A TCP connection to the first of `host`'s (judged) addresses that answers."""
    return await first_answer(await resolve(host, port, family=family), port)


async def first_answer(addresses: Iterable[IP], port: int) -> Streams:
    failure: OSError | None = None
    for ip in addresses:
        try:
            return await asyncio.open_connection(str(ip), port)
        except OSError as exc:
            failure = exc
    raise failure or OSError("no address to connect to")


class _Backend(httpcore.AsyncNetworkBackend):
    """httpcore's network backend with the dial policy in front: the first
    (host, port) dialled is the target; any other is a redirect hop, which may
    not lead further inside than the target resolved to."""

    def __init__(self) -> None:
        self._inner = httpcore.AnyIOBackend()
        self._origin: tuple[str, int] | None = None
        self._first: list[IP] = []

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,  # noqa: ASYNC109 - httpcore's interface
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        try:
            addresses = await resolve(host, port)
        except OSError as exc:  # a lookup failure is a failure to connect
            raise httpcore.ConnectError(f"{host}: {exc.strerror or exc}") from exc
        self._judge_hop(host, port, addresses)
        failure: Exception | None = None
        for ip in addresses:
            try:
                return await self._inner.connect_tcp(
                    str(ip), port, timeout, local_address, socket_options
                )
            except httpcore.ConnectError as exc:
                failure = exc
        raise failure or httpcore.ConnectError(f"{host}: no address")

    def _judge_hop(self, host: str, port: int, addresses: list[IP]) -> None:
        if self._origin is None:
            self._origin, self._first = (host, port), addresses
            return
        if (host, port) == self._origin:
            return
        reason = redirect_reason(self._first, addresses)
        if reason is not None:
            raise ForbiddenAddress(f"a redirect to {host}:{port} ({reason}) is not followed")

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,  # noqa: ASYNC109 - httpcore's interface
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        raise httpcore.ConnectError("checks do not dial unix sockets")

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)


def transport(verify: ssl.SSLContext) -> httpx.AsyncHTTPTransport:
    """An httpx transport that dials through the dial policy. Use one per
    check: it remembers the first host it dialled as the target."""
    guarded = httpx.AsyncHTTPTransport(verify=verify)
    # httpx takes no network backend, so the pool is rebuilt as httpx builds
    # it (httpx 0.28 AsyncHTTPTransport.__init__, no proxy), with ours.
    limits = httpx.Limits(max_connections=100, max_keepalive_connections=20, keepalive_expiry=5.0)
    guarded._pool = httpcore.AsyncConnectionPool(
        ssl_context=verify,
        max_connections=limits.max_connections,
        max_keepalive_connections=limits.max_keepalive_connections,
        keepalive_expiry=limits.keepalive_expiry,
        http1=True,
        http2=False,
        network_backend=_Backend(),
    )
    return guarded
