"""The real Bolt app wired to the local Slack stand-in: what `triage demo`
and `triage console` both talk to."""

from __future__ import annotations

import contextlib
import secrets
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from bot.app.build import build_bot
from bot.app.settings import BotSettings
from bot.checks import aws
from bot.demo.chat import Chat
from bot.demo.slackapi import SlackRecorder
from bot.runbooks.catalogue import Catalogue
from bot.runbooks.site import SiteConfig
from bot.slack.config import SlackConfig
from bot.store import SqliteStore


@contextmanager
def files_folder(given: Path | None, prefix: str) -> Iterator[Path]:
    """Where the files the bot uploads (charts, timelines, the postmortem
    draft) are saved: `given`, else a new temporary folder. Kept afterwards,
    so they can be opened; a new folder left empty is removed."""
    folder = given or Path(tempfile.mkdtemp(prefix=prefix))
    try:
        yield folder
    finally:
        if given is None:
            with contextlib.suppress(OSError):  # not empty: kept
                folder.rmdir()


@contextmanager
def local_slack(
    catalogue: Catalogue, site: SiteConfig, db: Path, *, files: Path | None = None
) -> Iterator[Chat]:
    """A Chat with the app as `triage serve --http` builds it; posts are not
    paced (no Slack rate limits here). Everything stops when the block ends.
    Given `files`, uploads are saved there too."""
    aws.clear_clients()  # cached clients keep the endpoint and credentials they were built with
    recorder = SlackRecorder(files)
    store = SqliteStore(db)
    secret = secrets.token_hex(16)
    config = SlackConfig(
        bot_token=f"xoxb-local-{secrets.token_hex(8)}",
        signing_secret=secret,
        api_url=recorder.url,
        post_interval=0.0,
        edit_interval=0.0,
    )
    bot = build_bot(
        BotSettings(site=site, db=str(db)), slack=config, store=store, catalogue=catalogue
    )
    try:
        yield Chat(bot.app, recorder, secret)
    finally:
        store.close()
        recorder.stop()
        aws.clear_clients()
