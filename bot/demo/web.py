"""The HTTPS side of the simulated stack: the admin app, the /list API behind
its authorizer, and ntfy's health endpoint, on one aiohttp server."""

from __future__ import annotations

import ssl
from collections.abc import Awaitable, Callable, Mapping

from aiohttp import web

ADMIN_PATH = "/"
API_PATH = "/prod/list"
NTFY_PATH = "/v1/health"

_BODIES = {
    200: ("text/html", "<html><title>Cabal admin</title></html>"),
    401: ("application/json", '{"message":"Unauthorized"}'),
    500: ("application/json", '{"message":"Internal server error"}'),
    503: ("text/html", "<html><body><h1>503 Service Temporarily Unavailable</h1></body></html>"),
}


def app(statuses: Mapping[str, int]) -> web.Application:
    """Each path answers its status; ntfy's 200 is its JSON health answer."""
    application = web.Application()
    for path, status in statuses.items():
        application.router.add_get(path, _answer(status, ntfy=path == NTFY_PATH))
    return application


def _answer(status: int, *, ntfy: bool) -> Callable[[web.Request], Awaitable[web.Response]]:
    content_type, body = _BODIES.get(status, ("text/plain", f"status {status}"))
    if ntfy and status == 200:
        content_type, body = "application/json", '{"healthy":true}'

    async def handle(request: web.Request) -> web.Response:
        return web.Response(status=status, text=body, content_type=content_type)

    return handle


async def start(statuses: Mapping[str, int], tls: ssl.SSLContext) -> tuple[web.AppRunner, int]:
    return await serve_app(app(statuses), tls)


async def serve_app(
    application: web.Application, tls: ssl.SSLContext | None = None
) -> tuple[web.AppRunner, int]:
    """`application` on 127.0.0.1 at a free port; stop it with `runner.cleanup()`."""
    runner = web.AppRunner(application, access_log=None, shutdown_timeout=0.5)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0, ssl_context=tls)
    await site.start()
    server = site._server
    sockets = getattr(server, "sockets", None) or []
    return runner, int(sockets[0].getsockname()[1])
