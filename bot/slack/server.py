"""Running the Bolt app: HTTP (aiohttp) or Socket Mode."""

from __future__ import annotations

import asyncio

from aiohttp import web
from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
from slack_bolt.async_app import AsyncApp

EVENTS_PATH = "/slack/events"


def http_app(app: AsyncApp) -> web.Application:
    """Commands, events and interactivity all on /slack/events; /healthz for
    load balancers and container health checks."""
    web_app = app.web_app(path=EVENTS_PATH)
    web_app.router.add_get("/healthz", _healthz)
    return web_app


async def _healthz(request: web.Request) -> web.Response:
    return web.json_response({"ok": True})


async def start_http(app: AsyncApp, *, host: str, port: int) -> tuple[web.AppRunner, int]:
    """Serve until the runner is cleaned up; port 0 picks a free port."""
    runner = web.AppRunner(http_app(app), access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, host, port)
    await site.start()
    server = site._server
    sockets = getattr(server, "sockets", None) or []
    bound = sockets[0].getsockname()[1] if sockets else port
    return runner, int(bound)


async def serve_http(app: AsyncApp, *, host: str, port: int) -> None:
    runner, bound = await start_http(app, host=host, port=port)
    print(f"triage: listening on http://{host}:{bound}{EVENTS_PATH}", flush=True)
    try:
        await asyncio.Event().wait()
    finally:
        await runner.cleanup()


async def serve_socket(app: AsyncApp, *, app_token: str) -> None:
    handler = AsyncSocketModeHandler(app, app_token)
    print("triage: connected in Socket Mode", flush=True)
    await handler.start_async()  # type: ignore[no-untyped-call]
