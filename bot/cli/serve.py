"""`triage serve`: run the Slack bot (Socket Mode, or HTTP with --http)."""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from collections.abc import Coroutine
from typing import TYPE_CHECKING, Any

from bot.cli.run import add_site_options
from bot.cli.startup import imports_done

if TYPE_CHECKING:
    from bot.slack.app import Bot
    from bot.store import Store


def add(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "serve", help="run the Slack bot (Socket Mode when SLACK_APP_TOKEN is set, else --http)"
    )
    parser.add_argument("--http", action="store_true", help="serve Slack's HTTP requests")
    parser.add_argument("--host", default="0.0.0.0", help="HTTP address (default 0.0.0.0)")
    parser.add_argument("--port", type=int, default=3000, help="HTTP port (default 3000)")
    add_site_options(parser)
    parser.set_defaults(handler=handle, log_level="INFO")


def handle(args: argparse.Namespace) -> int:
    # Imported here, not at the top: `triage lint` and the other one-shot
    # commands must not pay for Slack, aiohttp and the engine (bench/lint_shelf.py).
    from bot import redact
    from bot.cli.run import UsageError
    from bot.engine.site_settings import settings
    from bot.runbooks.binding import BindError
    from bot.runbooks.catalogue import Catalogue
    from bot.runbooks.issues import RunbookError
    from bot.runbooks.loader import load_site, runbook_dirs
    from bot.slack.app import build
    from bot.slack.config import ConfigError, SlackConfig
    from bot.slack.server import serve_http, serve_socket
    from bot.slack.walkthrough import Walkthrough
    from bot.slack.webhooks import Webhooks
    from bot.store import StoreUnavailable
    from bot.store import select as store_select
    from bot.store.health import StoreHealth

    imports_done()
    try:
        config = SlackConfig.from_env(http=args.http or not _has_app_token())
        site = load_site(args.config, args.sets)
        redact.install(redact.Redactor.from_env(site.secrets))
        catalogue = Catalogue.load(runbook_dirs(), site)
    except (ConfigError, RunbookError, BindError, UsageError) as exc:
        print(f"triage serve: {exc}", file=sys.stderr)
        return 2
    location = store_select.configured()
    try:
        store = store_select.store_for(location)
    except StoreUnavailable as exc:
        return _unavailable(exc, location)
    bot = build(
        config,
        lambda poster: Walkthrough(catalogue, store, poster, settings(site)),
        site.alerts,
        site.actions,
    )
    webhooks = Webhooks(
        bot.autotriage,
        secret=os.environ.get("TRIAGE_ALERT_SECRET") or None,
        channel=site.alerts.webhook_channel or next(iter(site.alerts.channels), None),
    )
    health = StoreHealth(store)
    where = {
        "host": args.host, "port": args.port, "webhooks": webhooks, "metrics": bot.metrics,
        "health": health,
    }  # fmt: skip
    # SIGINT and SIGTERM end either cleanly (both serve_* handle them).
    serving = (
        serve_socket(
            bot.app, app_token=config.app_token, ping_interval=config.socket_ping_interval, **where
        )
        if config.app_token and not args.http
        else serve_http(bot.app, **where)
    )
    try:
        asyncio.run(_with_repair(serving, bot, store))
    except StoreUnavailable as exc:
        return _unavailable(exc, location)
    except KeyboardInterrupt:
        return 0
    return 0


def _unavailable(exc: Exception, location: str) -> int:
    # One clear line and a distinct exit code, not a traceback on every
    # restart (a crash loop on ECS that says nothing). No password: the
    # PostgreSQL message names host, port and database only.
    from bot.store.postgres import is_url

    hint = "check TRIAGE_DB" if is_url(location) else "set TRIAGE_DB to a writable file"
    print(f"triage serve: {exc} ({hint})", file=sys.stderr)
    return 2


async def _with_repair(serving: Coroutine[Any, Any, None], bot: Bot, store: Store) -> None:
    """Connect the store (PostgreSQL: pool and migrations), serve, and
    meanwhile repair what a killed predecessor left halfway."""
    from bot.checks import vantage
    from bot.slack import recovery
    from bot.store import StoreUnavailable
    from bot.store import select as store_select

    try:
        await store_select.connect(store)
    except StoreUnavailable:
        serving.close()  # never started
        await store.aclose()
        raise
    repair = asyncio.create_task(recovery.repair(bot.walkthrough, bot.autotriage))
    bot.autotriage.resolutions.start()  # open incidents' alerts, if Alertmanager is configured
    try:
        await serving
    finally:
        repair.cancel()
        await bot.autotriage.resolutions.stop()
        await vantage.aclose_clients()  # the checks' shared HTTP clients
        await store.aclose()


def _has_app_token() -> bool:
    return bool(os.environ.get("SLACK_APP_TOKEN"))
