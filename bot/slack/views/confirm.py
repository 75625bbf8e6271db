"""The confirmation dialog was submitted: close it at once, then run the
action (or ask for approval). Who may is checked again here: a dialog can
outlive a change to the allow list."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncBoltContext
from slack_sdk.web.async_client import AsyncWebClient

from bot.slack.ackflush import after_ack
from bot.slack.escalation import Escalation
from bot.slack.payloads import BadValue, decode
from bot.slack.walkthrough import Actor


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
        refusal = await escalation.confirm(
            value.i, value.s or "", Actor(user, context["request_id"])
        )
    except (BadValue, KeyError):
        refusal = "This dialog is not valid any more."
    if refusal:
        incident = escalation.walkthrough.store.incident(value.i) if "value" in locals() else None
        channel = incident.channel if incident else None
        if channel:
            await client.chat_postEphemeral(channel=channel, user=user, text=refusal)
