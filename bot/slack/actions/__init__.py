"""Buttons, one declaration per action id (bot.slack.actions.incident and
.escalate), each behind the one wrapper (bot.slack.actions.button); anything
else is refused and audited (a forged or outdated click is an attempt too)."""

import re
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncBoltContext, AsyncRespond

from bot.incidents.service import IncidentService
from bot.slack import queued
from bot.slack.actions import escalate, incident
from bot.slack.actions.button import NOT_VALID, listener


def register(app: AsyncApp) -> None:
    ids, on_button = listener({**incident.BUTTONS, **escalate.BUTTONS})
    app.action(ids)(on_button)
    # Registered last: Bolt runs the first listener that matches.
    app.action(re.compile(r"(?s).*"))(on_unknown)


async def on_unknown(
    ack: AsyncAck, body: dict[str, Any], context: AsyncBoltContext, respond: AsyncRespond
) -> None:
    await ack()
    incidents: IncidentService = context["incidents"]
    queued.aside(incidents.work, "unknown action", _refuse(body, context, respond))


async def _refuse(body: dict[str, Any], context: AsyncBoltContext, respond: AsyncRespond) -> None:
    incidents: IncidentService = context["incidents"]
    action = (body.get("actions") or [{}])[0] or {}
    await incidents.store.audit(
        actor=str((body.get("user") or {}).get("id") or "unknown"),
        action="unknown_action",
        outcome="refused: unknown action id",
        request_id=context["request_id"],
        params={"action_id": str(action.get("action_id"))[:200],
                "value": str(action.get("value"))[:200]},
    )  # fmt: skip
    if body.get("response_url"):
        await respond(text=NOT_VALID, response_type="ephemeral", replace_original=False)
