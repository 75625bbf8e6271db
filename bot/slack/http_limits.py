"""Limits on slow and numerous clients of the bot's HTTP server, so that a
few sockets held open cannot starve /healthz, Slack or the alert webhooks.

aiohttp 3.14 offers no header or body read timeout of its own. What it has
(verified in its source, web_protocol.RequestHandler):
  - `keepalive_timeout` is armed when a connection is made and is not reset by
    bytes that do not finish a request; when it fires while the handler still
    waits for a request, the connection is closed. Set short, it is the
    header timeout (and the idle timeout between requests).
  - the request body is read by the handler, so a body deadline is a
    middleware: wait for the whole body (without consuming it) or answer 408.
  - `web.Server.connections` lists the open connections, oldest first; a site
    whose protocol factory closes the oldest idle one past a cap keeps the
    newest (a load balancer's /healthz, Slack) served at the cap.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from aiohttp import web
from aiohttp.typedefs import Middleware
from aiohttp.web_protocol import RequestHandler

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Limits:
    header_timeout: float = 10.0  # from the connection (or last response) to a whole head
    body_timeout: float = 10.0  # from the request head to the whole body
    max_connections: int = 256  # well under the usual 1,024 file descriptors
    max_body: int = 4 * 1024 * 1024  # the largest body any route takes (alert webhooks)


DEFAULT = Limits()


Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def body_deadline(
    timeout: float, busy: set[RequestHandler], max_body: int = DEFAULT.max_body
) -> Middleware:
    """A middleware: the whole body within `timeout` or 408, and no larger
    than `max_body` or 413 (at once when the head announces it). The body is
    read here, so handlers get it from `request.read()`, which keeps it.
    While the handler runs, its connection is in `busy` (never closed for
    the cap)."""

    @web.middleware
    async def deadline(request: web.Request, handler: Handler) -> web.StreamResponse:
        if (request.content_length or 0) > max_body:
            raise web.HTTPRequestEntityTooLarge(max_body, request.content_length or 0)
        if request.body_exists:
            try:
                async with asyncio.timeout(timeout):
                    # Past the application's client_max_size (max_body): 413.
                    await request.read()
            except TimeoutError:
                log.warning("closed a request whose body was not sent within %g s", timeout)
                raise web.HTTPRequestTimeout(text="request body too slow") from None
        protocol = request.protocol
        busy.add(protocol)
        try:
            return await handler(request)
        finally:
            busy.discard(protocol)

    return deadline


class _Arriving(RequestHandler):
    """aiohttp's connection, saying so each time bytes of a request arrive."""

    __slots__ = ("_arriving",)
    _arriving: Callable[[], None]

    def data_received(self, data: bytes) -> None:
        self._arriving()
        super().data_received(data)


class CappedSite(web.TCPSite):
    """A TCP site that, past `cap` open connections, closes the oldest one
    that is not running a handler (a slow or idle client) for each new one.

    With `arriving`, each connection calls it as a request's bytes come in,
    before aiohttp parses them (bot.incidents.work.Work.arriving): the work
    that an ack must not wait for is held from then, not only once Bolt
    has the request. Timed per request in the side-by-side bench (issue
    19), 200 Run all clicks sent while the previous batch's incidents were
    still being opened waited 15 ms before the loop read the first of them."""

    def __init__(
        self,
        runner: web.AppRunner,
        host: str,
        port: int,
        *,
        cap: int,
        busy: set[RequestHandler],
        arriving: Callable[[], None] | None = None,
    ) -> None:
        super().__init__(runner, host, port)
        self._cap, self._busy, self._arriving = cap, busy, arriving
        # Closed but not yet gone from server.connections (that takes a loop
        # turn). A plain set: RequestHandler has __slots__ and no weak refs.
        self._closing: set[RequestHandler] = set()
        self.evicted = 0

    async def start(self) -> None:
        await web.BaseSite.start(self)  # registers the site with its runner
        server = self._runner.server
        assert server is not None

        def protocol() -> RequestHandler:
            self._make_room(server)
            return self._connection(server)

        loop = asyncio.get_running_loop()
        self._server = await loop.create_server(
            protocol, self._host, self._port, backlog=self._backlog
        )
        self._bound_port = self._server.sockets[0].getsockname()[1]

    def _connection(self, server: web.Server) -> RequestHandler:
        if self._arriving is None:
            return server()
        # As web.Server.__call__ makes one, with the kwargs the runner gave it.
        handler = _Arriving(server, loop=server._loop, **server._kwargs)
        handler._arriving = self._arriving
        return handler

    def _make_room(self, server: web.Server) -> None:
        """Runs in asyncio's protocol factory, where an exception silently
        drops the new connection (outside debug mode): keep it plain."""
        listed = server.connections
        self._closing &= set(listed)
        open_now = [h for h in listed if h not in self._closing]
        excess = len(open_now) + 1 - self._cap
        for handler in open_now:
            if excess <= 0:
                return
            if handler not in self._busy:
                handler.force_close()
                self._closing.add(handler)
                self.evicted += 1
                excess -= 1
        if excess > 0:
            log.warning("%d connections, all busy: over the cap of %d", len(open_now), self._cap)


def runner_options(limits: Limits) -> dict[str, Any]:
    return {"access_log": None, "keepalive_timeout": limits.header_timeout}
