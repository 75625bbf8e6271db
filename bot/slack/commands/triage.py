"""`/triage [target [runbook]]`: help, a "did you mean", or a new incident.

The reply to a bad word is the ack itself (ephemeral, no Web API call); a new
incident is acked first and opened after, queued (bot.slack.queued).
"""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncBoltContext, AsyncRespond
from slack_sdk.web.async_client import AsyncWebClient

from bot.incidents.service import Actor, IncidentService
from bot.metrics import Metrics
from bot.runbooks.catalogue import Help, Unknown
from bot.slack import queued, render
from bot.slack.help import help_blocks

log = logging.getLogger(__name__)


async def handle(
    ack: AsyncAck,
    command: dict[str, Any],
    context: AsyncBoltContext,
    respond: AsyncRespond,
    client: AsyncWebClient,
) -> None:
    incidents: IncidentService = context["incidents"]
    catalogue = incidents.catalogue
    choice = catalogue.choose(command.get("text") or "")
    if isinstance(choice, Help):
        blocks = help_blocks(catalogue.entries(), choice.query)
        await ack(text="triage targets", blocks=blocks)
        return
    if isinstance(choice, Unknown):
        blocks = render.unknown_blocks(choice.word, choice.suggestions, choice.reason)
        # The word is shown (escaped) in the blocks only, never raw in the text.
        await ack(text=choice.reason, blocks=blocks)
        return
    work = incidents.work
    if queued.deep(work):  # said in the ack itself: no Web API call
        await ack(text=queued.note(work.ahead))
    else:
        await ack()
    metrics: Metrics = context["metrics"]
    actor = Actor(command["user_id"], context["request_id"])

    async def open_it() -> None:
        incident = await incidents.open(
            channel=command["channel_id"], target=choice.target, runbook=choice.runbook,
            actor=actor,
        )  # fmt: skip
        metrics.incident_opened("command")
        log.info("incident %d opened by /triage for %s", incident.id, incident.target)

    kept = queued.Kept(
        incidents.store, actor.user, actor.request_id,
        {"channel": command["channel_id"], "text": str(command.get("text") or "")[:200]},
    )  # fmt: skip
    if queued.later(work, "open", open_it, body=command, client=client, kept=kept) is None:
        queued.aside(work, "busy note", respond(text=queued.BUSY, response_type="ephemeral"))
