"""Cross-cutting concerns: the walkthrough in every listener's context, a
request id for the audit log, and Slack's retried deliveries dropped."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

from slack_bolt.async_app import AsyncApp, AsyncBoltContext
from slack_bolt.response import BoltResponse

from bot.slack.autotriage import AutoTriage
from bot.slack.escalation import Escalation
from bot.slack.walkthrough import Walkthrough

log = logging.getLogger(__name__)
Next = Callable[[], Awaitable[BoltResponse | None]]


def register(
    app: AsyncApp, walkthrough: Walkthrough, autotriage: AutoTriage, escalation: Escalation
) -> None:
    async def inject(context: AsyncBoltContext, next: Next) -> BoltResponse | None:
        context["walkthrough"] = walkthrough
        context["autotriage"] = autotriage
        context["escalation"] = escalation
        context["request_id"] = uuid.uuid4().hex[:16]
        return await next()

    async def drop_retries(body: dict[str, Any], next: Next) -> BoltResponse | None:
        # Slack delivers an event again when it thinks we were slow; the event
        # id stays the same, so the first delivery wins and the rest are acked.
        event_id = body.get("event_id") if body.get("type") == "event_callback" else None
        if event_id and not walkthrough.store.first_time(f"event:{event_id}"):
            log.info("dropped a repeated delivery of %s", event_id)
            return BoltResponse(status=200, body="")
        return await next()

    app.middleware(inject)
    app.middleware(drop_retries)
