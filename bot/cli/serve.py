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
    from bot.app.build import Bot


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
    from bot.app.build import build_bot
    from bot.app.settings import BotSettings
    from bot.cli.run import UsageError
    from bot.runbooks.binding import BindError
    from bot.runbooks.catalogue import Catalogue
    from bot.runbooks.issues import RunbookError
    from bot.runbooks.loader import load_site
    from bot.slack.config import ConfigError, SlackConfig
    from bot.slack.server import serve_http, serve_socket
    from bot.store import SqliteStore, StoreUnavailable

    _import_check_libraries()
    imports_done()
    try:
        config = SlackConfig.from_env(http=args.http or not _has_app_token())
        site = load_site(args.config, args.sets)
        redact.install(redact.Redactor.from_env(site.secrets))
        settings = BotSettings.from_env(site)
        catalogue = Catalogue.load(settings.runbook_dirs, site)
    except (ConfigError, RunbookError, BindError, UsageError) as exc:
        print(f"triage serve: {exc}", file=sys.stderr)
        return 2
    try:
        store = SqliteStore(settings.db)
    except StoreUnavailable as exc:
        # One clear line and a distinct exit code, not a traceback on every
        # restart (a crash loop on ECS that says nothing).
        print(f"triage serve: {exc} (set TRIAGE_DB to a writable file)", file=sys.stderr)
        return 2
    bot = build_bot(settings, slack=config, store=store, catalogue=catalogue)
    where = {
        "host": args.host, "port": args.port, "webhooks": bot.webhooks, "metrics": bot.metrics
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
        asyncio.run(_with_repair(serving, bot))
    except KeyboardInterrupt:
        return 0
    finally:
        store.close()
    return 0


async def _with_repair(serving: Coroutine[Any, Any, None], bot: Bot) -> None:
    """Serve, and meanwhile repair what a killed predecessor left halfway."""
    from bot.checks import vantage
    from bot.slack import recovery

    repair = asyncio.create_task(recovery.repair(bot.autotriage))
    bot.autotriage.resolutions.start()  # open incidents' alerts, if Alertmanager is configured
    try:
        await serving
    finally:
        repair.cancel()
        await bot.autotriage.resolutions.stop()
        await vantage.aclose_clients()  # the checks' shared HTTP clients


def _has_app_token() -> bool:
    return bool(os.environ.get("SLACK_APP_TOKEN"))
