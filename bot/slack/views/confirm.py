"""The confirmation dialog was submitted: close it at once, then run the
action (or ask for approval). Who may is checked again here: a dialog can
outlive a change to the allow list."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncBoltContext
from slack_sdk.web.async_client import AsyncWebClient

from bot.slack.ackflush import after_ack
from bot.slack.escalation import Escalation
from bot.slack.payloads import BadValue, decode
from bot.slack.walkthrough import Actor

log = logging.getLogger(__name__)


async def handle(
    ack: AsyncAck, body: dict[str, Any], view: dict[str, Any], context: AsyncBoltContext,
    client: AsyncWebClient,
) -> None:  # fmt: skip
    await ack()
    await after_ack()
    escalation: Escalation = context["escalation"]
    user = body["user"]["id"]
    try:
        value = decode(view.get("private_metadata"))
    except BadValue:
        log.warning("a confirmation dialog came back with a bad value (user %s)", user)
        return
    try:
        refusal = await escalation.confirm(
            value.i, value.s or "", Actor(user, context["request_id"])
        )
    except KeyError:
        refusal = "This incident no longer exists."
    channel = await _channel(escalation, value.i)
    if refusal and channel:
        await client.chat_postEphemeral(channel=channel, user=user, text=refusal)


async def _channel(escalation: Escalation, incident_id: int) -> str | None:
    try:
        return (await escalation.walkthrough.store.incident(incident_id)).channel
    except KeyError:
        return None
