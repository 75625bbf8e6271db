"""Listeners ack, then queue their work (bot.incidents.work): nothing but
the ack happens on the request's path, so no request's work delays another
request's ack.

When the queue is deep the person is told so ("queued, N ahead"), rather
than the acks slowing down; a unit that fails is logged and told like a
listener's error (bot.slack.errors); a full queue refuses, and says so.

A unit lives in memory until it runs, and Slack does not deliver again
what was acked, so each queued unit is also written to the store (`Kept`),
in the background just after its ack (never before it, never awaited on
the ack's path, and once the burst of acks it came in is over, all its
units in one write), and finished when the unit ends or its failure is
told. A process killed in between leaves the row; the next start-up tells
the person, or triages an alert again (bot.slack.recovery). The one window
left is between the ack and that write: tens of milliseconds, at most
about half a second under a burst of acks (bot.acks.QUIET_MAX_S on the
loop, then on the store's thread).
"""

from __future__ import annotations

import asyncio
import logging
import weakref
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass, field
from typing import Any, TypeVar

from slack_sdk.web.async_client import AsyncWebClient

from bot.incidents.work import Full, Work, started
from bot.slack import errors
from bot.store import Store
from bot.store.models import NewUnit

log = logging.getLogger(__name__)
T = TypeVar("T")

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


def aside(work: Work, name: str, doing: Coroutine[Any, Any, object]) -> None:
    """What a listener has to say or record after its ack, outside the queue
    (a refusal, a "queued, N ahead" note, even when the queue is full): run
    in a stretch of work, never awaited by the listener, since Bolt answers
    Slack when the listener returns (bot.slack.app: process_before_response)."""
    _keep(_aside(work, name, doing))


async def _aside(work: Work, name: str, doing: Coroutine[Any, Any, object]) -> None:
    try:
        await say(work, doing)
    except Exception:
        log.exception("could not finish %s after an ack", name)


@dataclass(frozen=True)
class Kept:
    """The durable record of a queued unit: who asked, in which request (the
    id its own recorded work and audit carry), and enough to tell it after a
    restart (channel, thread) or, for an alert, to triage it again."""

    store: Store
    actor: str
    request_id: str
    params: dict[str, Any]


def later(
    work: Work,
    name: str,
    unit: Callable[[], Awaitable[object]],
    *,
    body: dict[str, Any],
    client: AsyncWebClient,
    kept: Kept | None = None,
) -> int | None:
    """Queue `unit`; returns how many were ahead, or None if the queue is full."""
    record: asyncio.Future[int] | None = None

    async def ran() -> None:
        await unit()
        await _finish(kept, record)

    async def failed(error: BaseException) -> None:
        try:
            await errors.tell(error, body, client)
        finally:  # told (or tried): nothing for a restart to tell again
            await _finish(kept, record)

    try:
        ahead = work.submit(name, ran, failed=failed)
    except Full:
        return None  # refused and told by the caller: nothing queued to keep
    if kept is not None:  # in the background: the ack never waits on the store
        record = _record(work, name, kept)
    return ahead


@dataclass(eq=False)
class _Burst:
    """Units acked since the last write of their records: written together."""

    units: list[tuple[NewUnit, asyncio.Future[int]]] = field(default_factory=list)
    writing: bool = False


_bursts: weakref.WeakKeyDictionary[Store, _Burst] = weakref.WeakKeyDictionary()


def _record(work: Work, name: str, kept: Kept) -> asyncio.Future[int]:
    """The unit's record id, once written with the rest of its burst."""
    burst = _bursts.setdefault(kept.store, _Burst())
    recorded: asyncio.Future[int] = asyncio.get_running_loop().create_future()
    burst.units.append((NewUnit(name, kept.actor, kept.request_id, kept.params), recorded))
    if not burst.writing:
        burst.writing = True
        _keep(_write(work, kept.store, burst))
    return recorded


async def _write(work: Work, store: Store, burst: _Burst) -> None:
    # After the acks pending now and the grace after them (at most
    # bot.acks.QUIET_MAX_S): the whole burst in one store call, one
    # transaction, one answer for the loop to take, instead of one per unit,
    # whose redaction, commit and wake-ups took the GIL from acks.
    try:
        await work.quiet()
    finally:
        units, burst.units, burst.writing = burst.units, [], False
    try:
        ids = await store.queue_units([unit for unit, _ in units])
    except Exception as exc:  # each unit's _finish says so
        for _, recorded in units:
            if not recorded.done():
                recorded.set_exception(exc)
        return
    for (_, recorded), unit_id in zip(units, ids, strict=True):
        if not recorded.done():
            recorded.set_result(unit_id)


async def _finish(kept: Kept | None, record: asyncio.Future[int] | None) -> None:
    if kept is None or record is None:
        return
    try:
        await kept.store.finish_unit(await record)
    except Exception as exc:  # the unit itself is done; a restart at worst tells it again
        log.warning("could not record a queued unit as done: %s", exc)


_pending: set[asyncio.Future[Any]] = set()


def _keep(write: Coroutine[Any, Any, T]) -> asyncio.Future[T]:
    task = asyncio.ensure_future(write)
    _pending.add(task)
    task.add_done_callback(_pending.discard)
    return task
