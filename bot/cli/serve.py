"""`triage serve`: run the Slack bot (Socket Mode, or HTTP with --http)."""

from __future__ import annotations

import argparse
import asyncio
import os
from collections.abc import Coroutine
from typing import TYPE_CHECKING, Any

from bot.cli.run import add_site_options
from bot.cli.startup import built, imports_done

if TYPE_CHECKING:
    from bot.app.build import Bot
    from bot.store import Store
    from bot.store.health import StoreHealth


def add(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "serve", help="run the Slack bot (Socket Mode when SLACK_APP_TOKEN is set, else --http)"
    )
    parser.add_argument("--http", action="store_true", help="serve Slack's HTTP requests")
    parser.add_argument("--host", default="0.0.0.0", help="HTTP address (default 0.0.0.0)")
    parser.add_argument("--port", type=int, default=3000, help="HTTP port (default 3000)")
    add_site_options(parser)
    parser.set_defaults(handler=handle, log_level="INFO")


def _import_check_libraries() -> None:
    """What the checks import where they first need it, so that `triage lint`
    does without (bot/checks/dnsquery.py, tlsfacts.py): the bot imports them
    now, not on its event loop in the middle of the first incident."""
    import cryptography.x509  # noqa: F401
    import dns.asyncresolver  # noqa: F401


def handle(args: argparse.Namespace) -> int:
    # Imported here, not at the top: `triage lint` and the other one-shot
    # commands must not pay for Slack, aiohttp and the engine (bench/lint_shelf.py).
    from bot import redact
    from bot.acks import Collector
    from bot.app.build import build_bot
    from bot.app.settings import BotSettings
    from bot.app.warm import warm_up
    from bot.errors import UsageError
    from bot.runbooks.binding import BindError
    from bot.runbooks.catalogue import Catalogue
    from bot.runbooks.issues import RunbookError
    from bot.runbooks.loader import load_site
    from bot.slack.config import ConfigError, SlackConfig
    from bot.slack.server import serve_http, serve_socket
    from bot.store import StoreUnavailable, open_store
    from bot.store.health import StoreHealth

    _import_check_libraries()
    imports_done()
    try:
        config = SlackConfig.from_env(http=args.http or not _has_app_token())
        site = load_site(args.config, args.sets)
        redact.install(redact.Redactor.from_env(site.secrets))
        settings = BotSettings.from_env(site)
        catalogue = Catalogue.load(settings.runbook_dirs, site)
    except (ConfigError, RunbookError, BindError) as exc:
        raise UsageError(str(exc)) from exc
    try:
        # A SQLite file that cannot be opened is a setting to fix (exit 2); a
        # PostgreSQL server that does not answer is waited for while serving.
        store = open_store(settings.db)
    except StoreUnavailable as exc:
        # One clear line and a distinct exit code, not a traceback on every
        # restart (a crash loop on ECS that says nothing).
        raise UsageError(f"{exc} (set TRIAGE_DB to a writable file)") from exc
    bot = build_bot(settings, slack=config, store=store, catalogue=catalogue)
    work = bot.incidents.work
    # The process's garbage collector waits out each burst of acks, like
    # work (bot.acks.Collector); only here, where the bot owns the process.
    work.collector = Collector()
    warm_up(settings.engine)  # TLS contexts, threads: not on the first incident's loop
    built()
    health = StoreHealth(store)
    where = {
        "host": args.host, "port": args.port, "webhooks": bot.webhooks, "metrics": bot.metrics,
        "health": health,
    }  # fmt: skip
    # SIGINT and SIGTERM end either cleanly (both serve_* handle them).
    serving = (
        serve_socket(
            bot.app, app_token=config.app_token, ping_interval=config.socket_ping_interval, **where
        )
        if config.app_token and not args.http
        else serve_http(bot.app, arriving=work.arriving, **where)
    )
    try:
        asyncio.run(_with_repair(serving, bot, store, health))
    except KeyboardInterrupt:
        return 0
    return 0


async def _with_repair(
    serving: Coroutine[Any, Any, None], bot: Bot, store: Store, health: StoreHealth
) -> None:
    """Serve at once (/healthz answers, and says so, while the store does
    not); once the store answers (PostgreSQL: pool open, schema migrated),
    repair what a killed predecessor left halfway and start the jobs."""
    from bot.checks import vantage
    from bot.slack import recovery
    from bot.store import select as store_select

    server = asyncio.create_task(serving)
    connecting = asyncio.create_task(store_select.connect(store))
    jobs: list[asyncio.Task[Any]] = []
    try:
        await asyncio.wait({server, connecting}, return_when=asyncio.FIRST_COMPLETED)
        if not server.done():
            await health.check()  # /readyz says so now, not at the next period
            jobs.append(asyncio.create_task(recovery.keep_repairing(bot.autotriage)))
            bot.autotriage.resolutions.start()  # open incidents' alerts, if Alertmanager is set
        await server
    finally:
        for task in [connecting, *jobs]:
            task.cancel()
        await bot.autotriage.resolutions.stop()
        await vantage.aclose_clients()  # the checks' shared HTTP clients
        await bot.autotriage.poster.aclose()  # the Web API's shared session
        await store.aclose()


def _has_app_token() -> bool:
    return bool(os.environ.get("SLACK_APP_TOKEN"))
