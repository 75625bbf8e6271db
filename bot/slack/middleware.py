"""Cross-cutting concerns: the bot's parts (the metrics included) in every
listener's context, a request id for the audit and on every log line
written while the request is handled (its acked-and-continued work
included), Slack's retried deliveries dropped, and acks ahead of queued
work."""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_bolt.middleware.async_middleware import AsyncMiddleware
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_bolt.response import BoltResponse

from bot import logs
from bot.incidents.escalation import EscalationActions
from bot.incidents.service import IncidentService
from bot.incidents.work import Work
from bot.metrics import Metrics
from bot.slack.autotriage import AutoTriage
from bot.store import Store, StoreUnavailable

log = logging.getLogger(__name__)
# Slack wants an answer within 3 s. A store that cannot say within this
# whether a delivery is new (its file locked by another process) is not
# waited for: the event is handled, since handling it twice (auto-triage
# joins alerts to one incident anyway) is better than losing it.
CLAIM_WAIT_S = 1.0
Next = Callable[[], Awaitable[BoltResponse | None]]


def register(
    app: AsyncApp,
    incidents: IncidentService,
    autotriage: AutoTriage,
    escalation: EscalationActions,
    metrics: Metrics,
) -> None:
    app.middleware(_Parts(incidents, autotriage, escalation, metrics))
    _acks_first(app, incidents.work)


class _Parts(AsyncMiddleware):
    """Every request: the bot's parts in the listener's context, a request
    id (for the audit, and on every log line written while the request and
    its queued work are handled), and Slack's repeated deliveries dropped.

    One class-based middleware, not a function per concern: Bolt builds a
    function middleware's keyword arguments afresh on every request, which
    for three of them was a quarter of the bot's own time per ack (issue 19,
    bench/RESULTS.md); a class gets the request as it is."""

    def __init__(
        self,
        incidents: IncidentService,
        autotriage: AutoTriage,
        escalation: EscalationActions,
        metrics: Metrics,
    ) -> None:
        self.incidents = incidents
        self.parts = {
            "incidents": incidents, "poster": autotriage.poster, "autotriage": autotriage,
            "escalation": escalation, "metrics": metrics,
        }  # fmt: skip

    async def async_process(
        self, *, req: AsyncBoltRequest, resp: BoltResponse, next: Next
    ) -> BoltResponse | None:
        context = req.context
        context.update(self.parts)
        context["request_id"] = request_id = uuid.uuid4().hex[:16]
        logs.request_id.set(request_id)
        return await self._once(req.body, next)

    async def _once(self, body: dict[str, Any], next: Next) -> BoltResponse | None:
        # Slack delivers an event again when it got no answer in 3 s; the
        # event id stays the same. The delivery is claimed before the work and
        # marked done once answered, so a retry is dropped while this process
        # has it in hand, and handled again if the process that claimed it
        # died first (or answered with an error).
        #
        # `next()` returns once the listener has acked and queued its work
        # (bot.slack.queued), before that work runs, so the claim is marked
        # done early. That is sound because the queued unit is written to
        # the store in the background as it is queued and kept until it
        # ends: Slack retries only a delivery it got no ack for, and such a
        # retry of an acked one is a duplicate of a recorded unit, which a
        # restart tells or (an alert) runs again; a unit that fails is told
        # to its person. Left: a kill between the ack and that write (ms;
        # at most about half a second under a burst) loses the unit: the ack
        # waits on no store, by design.
        event_id = body.get("event_id") if body.get("type") == "event_callback" else None
        if not event_id:
            return await next()
        store = self.incidents.store
        key = f"event:{event_id}"
        claimed = await _claim(store, key)
        if claimed is False:
            log.info("dropped a repeated delivery of %s", event_id)
            return BoltResponse(status=200, body="")
        try:
            response = await next()
        except BaseException:
            await _settle(store.release(key), wait=claimed is not None)
            raise
        if response is not None and response.status >= 400:
            await _settle(store.release(key), wait=claimed is not None)
        else:
            await _settle(store.finish_claim(key), wait=claimed is not None)
        return response


def _acks_first(app: AsyncApp, work: Work) -> None:
    """While a request is dispatched, until its ack is ready, queued work
    waits (bot.incidents.work). Around Bolt's dispatch, which both the HTTP
    endpoint and Socket Mode call, and which returns once the listener has
    returned, at its ack (bot.slack.app: process_before_response): a
    middleware cannot tell, as Bolt's `next()` returns before the listener
    runs."""
    dispatch = app.async_dispatch

    async def acking(req: AsyncBoltRequest) -> BoltResponse:
        with work.acking():
            return await dispatch(req)

    app.async_dispatch = acking  # type: ignore[method-assign]


async def _claim(store: Store, key: str) -> bool | None:
    """True: ours to handle; False: a repeat; None: the store did not answer
    in time (or at all). Not cancelled when late: cancelling a call on a
    hung network can itself hang, and the ack must not wait for it."""
    task = asyncio.ensure_future(store.claim(key))
    done, _ = await asyncio.wait({task}, timeout=CLAIM_WAIT_S)
    if not done:
        _keep(task)
        log.warning("the store is slow (locked?): handling %s without the duplicate check", key)
        return None
    try:
        return task.result()
    except StoreUnavailable as exc:  # the handler meets it too, and says so in Slack
        log.warning("no duplicate check for %s: %s", key, exc)
        return None


async def _settle(call: Awaitable[None], *, wait: bool) -> None:
    """Mark a delivery done (or give it back): awaited when the store
    answered the claim; in the background when it did not, so a slow or
    unreachable store never holds up Slack's ack."""
    if wait:
        await call
    else:
        _keep(asyncio.ensure_future(call))


_pending: set[asyncio.Future[Any]] = set()


def _keep(task: asyncio.Future[Any]) -> None:
    _pending.add(task)
    task.add_done_callback(_done)


def _done(task: asyncio.Future[Any]) -> None:
    _pending.discard(task)
    if not task.cancelled() and task.exception() is not None:
        log.warning("a late store call failed: %s", task.exception())
