"""Running the Bolt app: HTTP (aiohttp) or Socket Mode. Either way an HTTP
server answers /healthz, /metrics and, when configured, the alert webhooks."""

from __future__ import annotations

import asyncio
import signal
from collections.abc import AsyncIterator, Awaitable, Callable

from aiohttp import web
from aiohttp.web_protocol import RequestHandler
from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
from slack_bolt.app.async_server import AsyncSlackAppServer
from slack_bolt.async_app import AsyncApp

from bot.metrics import CONTENT_TYPE, Metrics
from bot.slack import http_limits, verify
from bot.slack.webhooks import Webhooks
from bot.store.health import StoreHealth

EVENTS_PATH = "/slack/events"
# Seconds between Socket Mode pings (SLACK_SOCKET_PING_INTERVAL).
DEFAULT_PING_INTERVAL = 2.0


def http_app(
    app: AsyncApp | None,
    webhooks: Webhooks | None = None,
    metrics: Metrics | None = None,
    *,
    busy: set[RequestHandler] | None = None,
    body_timeout: float = http_limits.Limits.body_timeout,
    max_body: int = http_limits.Limits.max_body,
    health: StoreHealth | None = None,
) -> web.Application:
    """Slack's commands, events and interactivity on /slack/events (HTTP
    mode only); /healthz for load balancers; /metrics for Prometheus;
    /alerts/* for alert sources.

    Every request's body must arrive within `body_timeout`; a request
    to /slack/events reaches Bolt only once bot.slack.verify has found it
    signed by Slack, fresh, new and readable."""
    web_app = web.Application(client_max_size=max_body)
    web_app.middlewares.append(http_limits.body_deadline(body_timeout, busy or set(), max_body))
    if app is not None:
        web_app.middlewares.append(verify.middleware(_signing_secret(app), EVENTS_PATH))
        bolt = AsyncSlackAppServer(port=0, path=EVENTS_PATH, app=app)
        web_app.router.add_post(EVENTS_PATH, bolt.handle_post_requests)
    web_app.router.add_get("/healthz", _health(health, ready=False))
    web_app.router.add_get("/readyz", _health(health, ready=True))
    if health is not None:
        web_app.cleanup_ctx.append(_watching(health))
    if metrics is not None:
        web_app.router.add_get("/metrics", _exposition(metrics))
    if webhooks is not None:
        webhooks.add_routes(web_app)
    return web_app


def _signing_secret(app: AsyncApp) -> str:
    # Bolt keeps the secret it was built with (or SLACK_SIGNING_SECRET) here;
    # an empty one refuses every request rather than accepting any.
    return str(getattr(app, "_signing_secret", "") or "")


def _health(
    health: StoreHealth | None, *, ready: bool
) -> Callable[[web.Request], Awaitable[web.Response]]:
    """/healthz: the process answers (200 always, so a store outage never
    gets a task killed) and says whether the store does and, in Socket Mode,
    whether its WebSocket to Slack is open, from the last background check
    (never waiting on either). /readyz: 503 while either is down, so a load
    balancer sends Slack elsewhere."""

    async def answer(request: web.Request) -> web.Response:
        if health is None:
            return web.json_response({"ok": True})
        status = 503 if ready and not health.ready else 200
        return web.json_response(health.report(), status=status)

    return answer


def _watching(health: StoreHealth) -> Callable[[web.Application], AsyncIterator[None]]:
    """The store's health is checked in the background while the server runs."""

    async def context(_: web.Application) -> AsyncIterator[None]:
        async with health.watching():
            yield

    return context


def _exposition(metrics: Metrics) -> Callable[[web.Request], Awaitable[web.Response]]:
    async def scrape(request: web.Request) -> web.Response:
        return web.Response(body=metrics.exposition(), headers={"Content-Type": CONTENT_TYPE})

    return scrape


async def start_http(
    app: AsyncApp | None,
    *,
    host: str,
    port: int,
    webhooks: Webhooks | None = None,
    metrics: Metrics | None = None,
    bounds: http_limits.Limits = http_limits.DEFAULT,
    health: StoreHealth | None = None,
    arriving: Callable[[], None] | None = None,
) -> tuple[web.AppRunner, int]:
    """Serve until the runner is cleaned up; port 0 picks a free port.
    Slow clients are bounded (header and body timeouts, a connection cap
    that closes the oldest idle connection first): see bot/slack/http_limits.py.
    `arriving` is called as each request's bytes come in (the bot's
    Work.arriving: acks first)."""
    busy: set[RequestHandler] = set()
    web_app = http_app(
        app, webhooks, metrics, busy=busy, body_timeout=bounds.body_timeout, health=health
    )
    runner = web.AppRunner(web_app, **http_limits.runner_options(bounds))
    await runner.setup()
    site = http_limits.CappedSite(
        runner, host, port, cap=bounds.max_connections, busy=busy, arriving=arriving
    )
    await site.start()
    return runner, site.port


async def serve_http(
    app: AsyncApp,
    *,
    host: str,
    port: int,
    webhooks: Webhooks | None = None,
    metrics: Metrics | None = None,
    health: StoreHealth | None = None,
    arriving: Callable[[], None] | None = None,
) -> None:
    """Serve until SIGINT or SIGTERM (ECS stops a task with SIGTERM), then
    close the HTTP server."""
    stop = _stop_on_signals()
    runner, bound = await start_http(
        app, host=host, port=port, webhooks=webhooks, metrics=metrics, health=health,
        arriving=arriving,
    )  # fmt: skip
    print(f"triage: listening on http://{host}:{bound}{EVENTS_PATH}", flush=True)
    try:
        await stop.wait()
        print("triage: stopping", flush=True)
    finally:
        await runner.cleanup()
        _restore_signals()


def socket_handler(
    app: AsyncApp, *, app_token: str, ping_interval: float = DEFAULT_PING_INTERVAL
) -> AsyncSocketModeHandler:
    """Bolt's Socket Mode handler. Its client pings every `ping_interval`
    seconds (aiohttp's heartbeat): a connection that went silent without a
    close frame is noticed within about one interval and replaced, instead of
    after Bolt's default of 10 s (and then four missed pings)."""
    return AsyncSocketModeHandler(app, app_token, ping_interval=ping_interval)


async def serve_socket(
    app: AsyncApp,
    *,
    app_token: str,
    host: str,
    port: int,
    webhooks: Webhooks | None = None,
    metrics: Metrics | None = None,
    ping_interval: float = DEFAULT_PING_INTERVAL,
    health: StoreHealth | None = None,
) -> None:
    """Serve until SIGINT or SIGTERM, then close the WebSocket, the handler's
    and the Web client's sessions and the HTTP server, in that order."""
    stop = _stop_on_signals()
    runner, bound = await start_http(
        None, host=host, port=port, webhooks=webhooks, metrics=metrics, health=health
    )
    handler = socket_handler(app, app_token=app_token, ping_interval=ping_interval)
    if health is not None:
        health.slack = handler.client.is_connected
    print(f"triage: Socket Mode; /healthz and /metrics on http://{host}:{bound}", flush=True)
    try:
        await handler.connect_async()  # type: ignore[no-untyped-call]
        await stop.wait()
        print("triage: stopping", flush=True)
    finally:
        await handler.close_async()  # type: ignore[no-untyped-call]
        await runner.cleanup()
        _restore_signals()


_STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)


def _stop_on_signals() -> asyncio.Event:
    """An event set by SIGINT or SIGTERM, on the running loop."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in _STOP_SIGNALS:
        loop.add_signal_handler(signum, stop.set)
    return stop


def _restore_signals() -> None:
    loop = asyncio.get_running_loop()
    for signum in _STOP_SIGNALS:
        loop.remove_signal_handler(signum)
