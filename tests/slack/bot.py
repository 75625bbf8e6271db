"""The bot itself, served over real HTTP from a background thread: Bolt's
aiohttp endpoint with signature verification, a SQLite store in a temp
folder, and the Web API pointed at the Slack stand-in."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from slack_bolt.async_app import AsyncApp

from bot.app.build import Bot as BuiltBot
from bot.app.build import build_bot
from bot.app.settings import BotSettings
from bot.checks import aws
from bot.runbooks.loader import load_site
from bot.slack.config import SlackConfig
from bot.slack.server import EVENTS_PATH, start_http
from bot.store import SqliteStore

ROOT = Path(__file__).parents[2]
SECRET = "test-signing-secret"
TOKEN = "xoxb-test"


@dataclass
class Bot:
    url: str  # the /slack/events endpoint
    store: SqliteStore
    loop: asyncio.AbstractEventLoop

    @property
    def base(self) -> str:
        return self.url.removesuffix(EVENTS_PATH)


@contextmanager
def running_bot(
    api_url: str,
    db: Path,
    sets: list[str] | None = None,
    *,
    post_interval: float = 0.01,
    alert_secret: str | None = None,
    runbook_dirs: list[Path] | None = None,
) -> Iterator[Bot]:
    """Start the bot on 127.0.0.1:0; stop it (and its loop thread) on exit."""
    store = SqliteStore(db)
    built = make_bot(
        api_url, store, sets, signing_secret=SECRET, post_interval=post_interval,
        alert_secret=alert_secret, runbook_dirs=runbook_dirs,
    )  # fmt: skip
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True, name="bot")
    thread.start()
    runner, port = asyncio.run_coroutine_threadsafe(
        start_http(
            built.app,
            host="127.0.0.1",
            port=0,
            webhooks=built.webhooks,
            metrics=built.metrics,
            arriving=built.incidents.work.arriving,
        ),
        loop,
    ).result(timeout=10)
    try:
        yield Bot(f"http://127.0.0.1:{port}{EVENTS_PATH}", store, loop)
    finally:
        asyncio.run_coroutine_threadsafe(_stop(runner), loop).result(timeout=10)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=10)
        loop.close()
        store.close()


def make_bot(
    api_url: str,
    store: SqliteStore,
    sets: list[str] | None = None,
    *,
    signing_secret: str | None,
    post_interval: float = 0.01,
    alert_secret: str | None = None,
    runbook_dirs: list[Path] | None = None,
) -> BuiltBot:
    """The bot as `triage serve` builds it, with fast pacing for tests."""
    aws.clear_clients()  # boto3 clients keep the endpoint and credentials they were built with
    site = load_site(None, sets or [])
    settings = BotSettings(
        site=site, db=Path(store.path), runbook_dirs=runbook_dirs or [ROOT / "runbooks"],
        alert_secret=alert_secret,
    )  # fmt: skip
    config = SlackConfig(
        bot_token=TOKEN,
        signing_secret=signing_secret,
        api_url=api_url,
        post_interval=post_interval,
        edit_interval=0.01,
    )
    return build_bot(settings, slack=config, store=store)


def make_app(
    api_url: str, store: SqliteStore, sets: list[str] | None = None, *, signing_secret: str | None
) -> AsyncApp:
    return make_bot(api_url, store, sets, signing_secret=signing_secret).app


async def _stop(runner: Any) -> None:
    await runner.cleanup()
    # Let the listeners still running after their ack finish or be cancelled.
    pending = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
    for task in pending:
        task.cancel()
    await asyncio.gather(*pending, return_exceptions=True)
