"""`@triage smtp-relay` in a channel: the incident opens in that message's
thread. Repeated deliveries are dropped by middleware before this runs."""

from __future__ import annotations

import logging
import re
from typing import Any

from slack_bolt.async_app import AsyncBoltContext
from slack_sdk.web.async_client import AsyncWebClient

from bot.incidents.service import Actor, IncidentService
from bot.metrics import Metrics
from bot.runbooks.catalogue import Open
from bot.slack import queued, render
from bot.slack.poster import Poster

log = logging.getLogger(__name__)
_MENTION = re.compile(r"<@[A-Z0-9]+>")


async def handle(
    event: dict[str, Any], body: dict[str, Any], context: AsyncBoltContext, client: AsyncWebClient
) -> None:
    """Acked by Bolt before this runs; the work is queued behind other acks."""
    incidents: IncidentService = context["incidents"]
    where = {
        "channel": event.get("channel"),
        "thread_ts": event.get("thread_ts") or event.get("ts"),
    }
    kept = queued.Kept(incidents.store, str(event.get("user") or ""), context["request_id"], where)
    queued.later(
        incidents.work, "mention", lambda: _open(event, context), body=body, client=client,
        kept=kept,
    )  # fmt: skip


async def _open(event: dict[str, Any], context: AsyncBoltContext) -> None:
    incidents: IncidentService = context["incidents"]
    text = _MENTION.sub(" ", event.get("text") or "")
    choice = incidents.catalogue.choose(text)
    thread = event.get("thread_ts") or event["ts"]
    if isinstance(choice, Open):
        incident = await incidents.open(
            channel=event["channel"], target=choice.target, runbook=choice.runbook,
            actor=Actor(event.get("user", "?"), context["request_id"]), thread_ts=thread,
        )  # fmt: skip
        metrics: Metrics = context["metrics"]
        metrics.incident_opened("mention")
        log.info("incident %d opened by a mention for %s", incident.id, incident.target)
        return
    word = getattr(choice, "word", "")
    blocks = render.unknown_blocks(
        word, getattr(choice, "suggestions", []), getattr(choice, "reason", "no target given")
    )
    poster: Poster = context["poster"]
    await poster.post(
        event["channel"], text="triage: which target?", blocks=blocks, thread_ts=thread
    )
