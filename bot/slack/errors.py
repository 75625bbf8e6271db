"""The one global error handler: log it, and tell the person who clicked."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from bot.store import StoreUnavailable

log = logging.getLogger(__name__)
INTERNAL = "triage hit an internal error; it is logged."
# Said rather than nothing when the database does not answer (PostgreSQL
# down, a SQLite file locked for good): the person knows to retry or to
# triage by hand, instead of watching a silent bot.
UNAVAILABLE = (
    "⚠️ triage cannot reach its store (database) right now, so nothing was done or recorded."
    " Try again in a minute; meanwhile, triage by hand."
)


def register(app: AsyncApp) -> None:
    @app.error
    async def on_error(error: Exception, body: dict[str, Any], client: AsyncWebClient) -> None:
        await tell(error, body, client)


async def tell(error: BaseException, body: dict[str, Any], client: AsyncWebClient) -> None:
    """Log it, and tell the person whose request it was (a listener's error,
    or a queued unit's after the ack: bot.slack.queued)."""
    unavailable = isinstance(error, StoreUnavailable)
    if unavailable:  # one line: the cause is known, a traceback adds nothing
        log.error("store unavailable: %s", error)
    else:
        log.error("listener failed: %s: %s", type(error).__name__, error, exc_info=error)
    event = body.get("event") or {}
    channel = (
        (body.get("channel") or {}).get("id") or body.get("channel_id") or event.get("channel")
    )
    user = (body.get("user") or {}).get("id") or body.get("user_id") or event.get("user")
    if channel and user:
        await client.chat_postEphemeral(
            channel=channel, user=user, text=UNAVAILABLE if unavailable else INTERNAL
        )
