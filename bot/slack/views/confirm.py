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
from bot.slack import queued
from bot.slack.payloads import BadValue, decode

log = logging.getLogger(__name__)


async def handle(
    ack: AsyncAck, body: dict[str, Any], view: dict[str, Any], context: AsyncBoltContext,
    client: AsyncWebClient,
) -> None:  # fmt: skip
    await ack()
    escalation: EscalationActions = context["escalation"]
    work = escalation.incidents.work
    user = body["user"]["id"]
    actor = Actor(user, context["request_id"])

    async def submitted() -> None:  # queued, like every listener's work
        await _submitted(escalation, actor, view, client)

    # What a restart needs to tell this submission if it is cut short before
    # the action's own journal records it: the incident (its channel).
    metadata = str(view.get("private_metadata") or "")[:200]
    kept = queued.Kept(escalation.incidents.store, user, actor.request_id, {"value": metadata})
    if queued.later(work, "confirm", submitted, body=body, client=client, kept=kept) is None:
        log.warning("the work queue is full: a confirmation by %s was refused", user)
        refusal = escalation.refused(actor, "confirm", "the bot is too busy", view=view.get("id"))
        queued.aside(work, "confirm refused", refusal)


async def _submitted(
    escalation: EscalationActions, actor: Actor, view: dict[str, Any], client: AsyncWebClient
) -> None:
    try:
        value = decode(view.get("private_metadata"))
    except BadValue as exc:
        log.warning("a confirmation dialog came back with a bad value (user %s)", actor.user)
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
        await client.chat_postEphemeral(channel=channel, user=actor.user, text=refusal)


async def unknown(
    ack: AsyncAck, body: dict[str, Any], view: dict[str, Any], context: AsyncBoltContext
) -> None:
    """A dialog this bot never opens: closed, refused, audited."""
    await ack()
    escalation: EscalationActions = context["escalation"]
    user = str((body.get("user") or {}).get("id") or "unknown")
    refusal = escalation.refused(
        Actor(user, context["request_id"]), "unknown_dialog", "unknown dialog",
        callback_id=str(view.get("callback_id"))[:200], view=view.get("id"),
    )  # fmt: skip
    queued.aside(escalation.incidents.work, "unknown dialog", refusal)


async def _channel(escalation: EscalationActions, incident_id: int) -> str | None:
    try:
        return (await escalation.incidents.store.incident(incident_id)).channel
    except KeyError:
        return None
