"""The one global error handler: log it, and tell the person who clicked."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

log = logging.getLogger(__name__)


def register(app: AsyncApp) -> None:
    @app.error
    async def on_error(error: Exception, body: dict[str, Any], client: AsyncWebClient) -> None:
        log.error("listener failed: %s: %s", type(error).__name__, error, exc_info=error)
        channel = (body.get("channel") or {}).get("id") or body.get("channel_id")
        user = (body.get("user") or {}).get("id") or body.get("user_id")
        if channel and user:
            await client.chat_postEphemeral(
                channel=channel, user=user, text="triage hit an internal error; it is logged."
            )
