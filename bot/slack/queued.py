"""Listeners ack, then queue their work (bot.incidents.work): nothing but
the ack happens on the request's path, so no request's work delays another
request's ack.

When the queue is deep the person is told so ("queued, N ahead"), rather
than the acks slowing down; a unit that fails is logged and told like a
listener's error (bot.slack.errors); a full queue refuses, and says so.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Coroutine
from typing import Any

from slack_sdk.web.async_client import AsyncWebClient

from bot.incidents.work import Full, Work, started
from bot.slack import errors

# A request is told it waits when the queue is deep: this many units ahead,
# the oldest waiting this long (a burst of acks holds work back for a
# fraction of a second, which is not worth a message; a backlog is).
NOTE_AT = 20
NOTE_AFTER_S = 1.0
BUSY = "⏳ triage is too busy to take this now, so nothing was done. Try again in a minute."


def deep(work: Work) -> bool:
    return work.ahead >= NOTE_AT and work.waited() >= NOTE_AFTER_S


def note(ahead: int) -> str:
    return f"⏳ Queued, {ahead} ahead: this starts as soon as they have."


async def say(work: Work, sending: Coroutine[Any, Any, object]) -> None:
    """Send a note (a response_url post) started within a stretch of work."""
    await (await started(work, sending))


def later(
    work: Work,
    name: str,
    unit: Callable[[], Awaitable[object]],
    *,
    body: dict[str, Any],
    client: AsyncWebClient,
) -> int | None:
    """Queue `unit`; returns how many were ahead, or None if the queue is full."""

    async def failed(error: BaseException) -> None:
        await errors.tell(error, body, client)

    try:
        return work.submit(name, unit, failed=failed)
    except Full:
        return None
