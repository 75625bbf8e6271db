"""The confirmation dialog was submitted: close it at once, then run the
action (or ask for approval). Who may is checked again here: a dialog can
outlive a change to the allow list."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncBoltContext
from slack_sdk.web.async_client import AsyncWebClient

from bot.incidents.escalation import EscalationActions
from bot.incidents.service import Actor
from bot.slack.ackflush import after_ack
from bot.slack.payloads import BadValue, decode

log = logging.getLogger(__name__)


async def handle(
    ack: AsyncAck, body: dict[str, Any], view: dict[str, Any], context: AsyncBoltContext,
    client: AsyncWebClient,
) -> None:  # fmt: skip
    await ack()
    await after_ack()
    escalation: EscalationActions = context["escalation"]
    user = body["user"]["id"]
    actor = Actor(user, context["request_id"])
    try:
        value = decode(view.get("private_metadata"))
    except BadValue as exc:
        log.warning("a confirmation dialog came back with a bad value (user %s)", user)
        await escalation.refused(actor, "confirm", f"bad dialog value: {exc}", view=view.get("id"))
        return
    # One run per dialog: a replayed or doubled submission of the same view
    # (Slack's view id) does nothing more. Kept in the store, so it holds
    # across a restart of the bot.
    view_id = str(view.get("id") or "")
    if not view_id or not await escalation.incidents.store.once(f"view:{view_id}"):
        await escalation.refused(
            actor, "confirm", "this dialog was already submitted", i=value.incident, s=value.step,
            view=view_id,
        )  # fmt: skip
        return
    try:
        refusal = await escalation.confirm(value.incident, value.step or "", actor)
    except KeyError:
        refusal = "This incident no longer exists."
    channel = await _channel(escalation, value.incident)
    if refusal and channel:
        await client.chat_postEphemeral(channel=channel, user=user, text=refusal)


async def unknown(
    ack: AsyncAck, body: dict[str, Any], view: dict[str, Any], context: AsyncBoltContext
) -> None:
    """A dialog this bot never opens: closed, refused, audited."""
    await ack()
    escalation: EscalationActions = context["escalation"]
    user = str((body.get("user") or {}).get("id") or "unknown")
    await escalation.refused(
        Actor(user, context["request_id"]), "unknown_dialog", "unknown dialog",
        callback_id=str(view.get("callback_id"))[:200], view=view.get("id"),
    )  # fmt: skip


async def _channel(escalation: EscalationActions, incident_id: int) -> str | None:
    try:
        return (await escalation.incidents.store.incident(incident_id)).channel
    except KeyError:
        return None
