"""Loopback mail and socket peers, each served from a background thread.

A thread (not the test's event loop) serves them so that async tests, sync
tests and CLI subprocesses can all dial them. Every peer binds 127.0.0.1
port 0 and is stopped when its context manager or fixture ends.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import ssl
import threading
from collections.abc import Awaitable, Callable, Coroutine, Iterator
from typing import Any, NamedTuple, TypeVar

import pytest
import trustme
from aiosmtpd.controller import Controller

from tests.peers.certs import server_context

T = TypeVar("T")
Handler = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]

# Speaks SSH where SMTP or IMAP is expected.
WRONG_BANNER = "SSH-2.0-OpenSSH_9.6 triage-test"


class Peer(NamedTuple):
    host: str
    port: int


class _LoopThread:
    """An event loop running in a daemon thread."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        # Clients that reject our certificate or hang up are what tests are about.
        self.loop.set_exception_handler(lambda loop, context: None)
        self._thread = threading.Thread(target=self.loop.run_forever, daemon=True, name="peer")
        self._thread.start()

    def call(self, coro: Coroutine[Any, Any, T]) -> T:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout=5)

    def stop(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(timeout=5)
        self.loop.close()


@contextlib.contextmanager
def serving(handler: Handler, *, tls: ssl.SSLContext | None = None) -> Iterator[Peer]:
    """Serve `handler` (over implicit TLS when `tls` is given)."""
    thread = _LoopThread()
    writers: set[asyncio.StreamWriter] = set()
    server = thread.call(_start(_tracked(handler, writers), tls))
    try:
        yield Peer("127.0.0.1", server.sockets[0].getsockname()[1])
    finally:
        thread.call(_shutdown(server, writers))
        thread.stop()


async def _start(
    on_connect: Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]],
    tls: ssl.SSLContext | None,
) -> asyncio.Server:
    return await asyncio.start_server(on_connect, "127.0.0.1", 0, ssl=tls)


def _tracked(
    handler: Handler, writers: set[asyncio.StreamWriter]
) -> Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]:
    # A plain function, so that the connection is recorded the moment it is
    # made, even if the handler's task is cancelled before it ever runs.
    def on_connect(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> Awaitable[None]:
        writers.add(writer)
        return _hanging_up(handler, reader, writer)

    return on_connect


async def _hanging_up(
    handler: Handler, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
) -> None:
    """Close the connection however the handler ends, quietly."""
    try:
        await handler(reader, writer)
    except (OSError, asyncio.IncompleteReadError):
        pass
    finally:
        writer.close()


async def _shutdown(server: asyncio.Server, writers: set[asyncio.StreamWriter]) -> None:
    # A connection accepted a moment ago is set up in later callbacks, which
    # on Python 3.11 fail silently, leaking its socket, once the server is
    # closed: let them run first.
    await _settle()
    server.close()
    await _settle()
    for writer in writers:
        writer.transport.abort()
    tasks = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    # Sockets are closed in callbacks too: run them before the loop stops.
    await _settle()


async def _settle() -> None:
    for _ in range(5):
        await asyncio.sleep(0)


def greeting(text: str | None) -> Handler:
    """Say `text` (if any), then listen until the client hangs up."""

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if text is not None:
            writer.write(text.encode() + b"\r\n")
            await writer.drain()
        await reader.read()

    return handle


def imap_responder(tls: ssl.SSLContext | None) -> Handler:
    """Just enough IMAP for a probe; STARTTLS is offered when `tls` is given."""

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(b"* OK [CAPABILITY IMAP4rev1] triage test IMAP ready\r\n")
        secure = False
        while line := await reader.readline():
            tag, _, command = line.decode().strip().partition(" ")
            reply, upgrade = _imap_reply(tag, command.upper(), tls is not None and not secure)
            writer.write("".join(f"{r}\r\n" for r in reply).encode())
            await writer.drain()
            if upgrade and tls is not None:
                await writer.start_tls(tls)
                secure = True
            if command.upper() == "LOGOUT":
                return

    return handle


def _imap_reply(tag: str, command: str, can_upgrade: bool) -> tuple[list[str], bool]:
    if command == "CAPABILITY":
        extra = " STARTTLS LOGINDISABLED" if can_upgrade else ""
        return [f"* CAPABILITY IMAP4rev1{extra}", f"{tag} OK CAPABILITY completed"], False
    if command == "STARTTLS" and can_upgrade:
        return [f"{tag} OK Begin TLS negotiation now"], True
    if command == "LOGOUT":
        return ["* BYE logging out", f"{tag} OK LOGOUT completed"], False
    return [f"{tag} BAD command unknown or not allowed now"], False


class _Controller(Controller):
    """aiosmtpd dials its own host:port once it is up; binding port 0 means
    reading the real port off the listening socket first (race-free, unlike
    picking a free port and hoping it stays free)."""

    def _trigger_server(self) -> None:
        assert isinstance(self.server, asyncio.Server)
        self.port = self.server.sockets[0].getsockname()[1]
        super()._trigger_server()  # type: ignore[no-untyped-call]


class _AdvertisesStartTLS:
    """Lists STARTTLS in EHLO without a TLS context, so STARTTLS gets 454."""

    async def handle_EHLO(
        self, server: Any, session: Any, envelope: Any, hostname: str, responses: list[str]
    ) -> list[str]:
        session.host_name = hostname
        return [*responses[:-1], "250-STARTTLS", responses[-1]]


@contextlib.contextmanager
def smtp_server(
    *, tls: ssl.SSLContext | None = None, advertise_starttls: bool = False
) -> Iterator[Peer]:
    """aiosmtpd on a free port; STARTTLS works when `tls` is given."""
    handler = _AdvertisesStartTLS() if advertise_starttls else object()
    controller = _Controller(
        handler, hostname="127.0.0.1", port=0, server_hostname="mail.triage.test", tls_context=tls
    )
    controller.start()
    try:
        yield Peer("127.0.0.1", controller.port)
    finally:
        controller.stop()


def closed_port_peer() -> Peer:
    """A loopback port nothing listens on (bound, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return Peer("127.0.0.1", sock.getsockname()[1])


@pytest.fixture
def smtp_starttls_peer(cert_valid: trustme.LeafCert) -> Iterator[Peer]:
    with smtp_server(tls=server_context(cert_valid)) as peer:
        yield peer


@pytest.fixture
def smtp_plain_peer() -> Iterator[Peer]:
    with smtp_server() as peer:
        yield peer


@pytest.fixture
def smtp_starttls_rejected_peer() -> Iterator[Peer]:
    with smtp_server(advertise_starttls=True) as peer:
        yield peer


@pytest.fixture
def imap_starttls_peer(cert_valid: trustme.LeafCert) -> Iterator[Peer]:
    with serving(imap_responder(server_context(cert_valid))) as peer:
        yield peer


@pytest.fixture
def imap_plain_peer() -> Iterator[Peer]:
    with serving(imap_responder(None)) as peer:
        yield peer


@pytest.fixture
def tls_peer(cert_valid: trustme.LeafCert) -> Iterator[Peer]:
    """Implicit TLS with a valid certificate; for the others use
    `serving(greeting(None), tls=server_context(cert))`."""
    with serving(greeting(None), tls=server_context(cert_valid)) as peer:
        yield peer


@pytest.fixture
def silent_peer() -> Iterator[Peer]:
    """Accepts, then never says a word."""
    with serving(greeting(None)) as peer:
        yield peer


@pytest.fixture
def wrong_banner_peer() -> Iterator[Peer]:
    with serving(greeting(WRONG_BANNER)) as peer:
        yield peer


@pytest.fixture
def closed_port() -> Peer:
    return closed_port_peer()
