"""The store as the bot uses it: every call awaited, run on one thread of
its own, so that a slow or locked database file never holds up the event
loop (acks to Slack, /healthz, checks in flight keep going while a write
waits for a lock). One thread also means one writer, which is what SQLite
wants. bot.store.postgres implements the same coroutines (bot.store.protocol
.Store) with an async driver instead."""

from __future__ import annotations

import asyncio
import functools
import sqlite3
from collections.abc import Callable
from typing import Any, ParamSpec, TypeVar

from bot.store.models import (
    AlertBinding,
    Approval,
    AuditRecord,
    Incident,
    NewUnit,
    QueuedUnit,
    StepRun,
    TimelineEvent,
    Work,
    WorkKind,
)
from bot.store.sqlite import SqliteStore
from bot.store.thread import StoreThread

P = ParamSpec("P")
T = TypeVar("T")


class AsyncStore:
    def __init__(self, store: SqliteStore) -> None:
        self.sync = store  # for start-up, shutdown and tests; never on the event loop
        # Calls wait for pending acks before they start, except `first` ones.
        self._thread = StoreThread()

    @property
    def owner(self) -> str:
        return self.sync.owner

    @property
    def shared(self) -> bool:
        return False  # one process per SQLite file

    async def call(self, call: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
        done = self._thread.submit(functools.partial(call, *args, **kwargs))
        result: T = await asyncio.wrap_future(done)
        return result

    async def call_first(self, call: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
        """A call an ack waits for (the Events API delivery claim): ahead of
        the others, and not held back by pending acks."""
        done = self._thread.submit(functools.partial(call, *args, **kwargs), first=True)
        result: T = await asyncio.wrap_future(done)
        return result

    def close(self) -> None:
        self._thread.shutdown()
        self.sync.close()

    async def aclose(self) -> None:
        await asyncio.to_thread(self.close)

    async def ping(self) -> None:
        """Read the file on a connection of its own, off the store's thread:
        a write waiting out another process's lock there must not read as an
        unreachable store (WAL readers are not blocked by writers)."""
        await asyncio.to_thread(_read, self.sync.path)

    # Incidents

    async def open_incident(
        self,
        *,
        channel: str,
        runbook: str,
        target: str,
        variables: dict[str, Any],
        opened_by: str,
        thread_ts: str | None = None,
        alert: dict[str, Any] | None = None,
    ) -> Incident:
        return await self.call(
            self.sync.open_incident, channel=channel, runbook=runbook, target=target,
            variables=variables, opened_by=opened_by, thread_ts=thread_ts, alert=alert,
        )  # fmt: skip

    async def open_outage(
        self,
        *,
        channel: str,
        runbook: str,
        target: str,
        variables: dict[str, Any],
        opened_by: str,
        thread_ts: str | None = None,
        alert: dict[str, Any] | None = None,
    ) -> tuple[Incident, bool]:
        return await self.call(
            self.sync.open_outage, channel=channel, runbook=runbook, target=target,
            variables=variables, opened_by=opened_by, thread_ts=thread_ts, alert=alert,
        )  # fmt: skip

    async def incident(self, incident_id: int) -> Incident:
        return await self.call(self.sync.incident, incident_id)

    async def set_thread(self, incident_id: int, thread_ts: str) -> None:
        await self.call(self.sync.set_thread, incident_id, thread_ts)

    async def resolve(self, incident_id: int, *, by: str) -> Incident:
        return await self.call(self.sync.resolve, incident_id, by=by)

    async def set_dry_run(self, incident_id: int, on: bool) -> Incident:
        return await self.call(self.sync.set_dry_run, incident_id, on)

    async def set_step_message(self, incident_id: int, step_id: str, ts: str) -> None:
        await self.call(self.sync.set_step_message, incident_id, step_id, ts)

    async def open_incident_for(self, runbook: str, target: str) -> Incident | None:
        return await self.call(self.sync.open_incident_for, runbook, target)

    async def headless_alert_incidents(self) -> list[int]:
        return await self.call(self.sync.headless_alert_incidents)

    # Step runs

    async def record_run(
        self, incident_id: int, step_id: str, *, by: str, result: dict[str, Any]
    ) -> None:
        await self.call(self.sync.record_run, incident_id, step_id, by=by, result=result)

    async def latest_runs(self, incident_id: int) -> dict[str, StepRun]:
        return await self.call(self.sync.latest_runs, incident_id)

    # Alerts

    async def bind_alert(
        self,
        incident_id: int,
        *,
        fingerprint: str,
        source: str,
        name: str,
        starts_at: float | None = None,
    ) -> AlertBinding:
        return await self.call(
            self.sync.bind_alert, incident_id, fingerprint=fingerprint, source=source, name=name,
            starts_at=starts_at,
        )  # fmt: skip

    async def note_alert(
        self, incident_id: int, fingerprint: str, *, every: float = 0.0, now: float | None = None
    ) -> bool:
        return await self.call(self.sync.note_alert, incident_id, fingerprint, every=every, now=now)

    async def resolve_alert(self, fingerprint: str) -> list[AlertBinding]:
        return await self.call(self.sync.resolve_alert, fingerprint)

    async def alerts_of(self, incident_id: int) -> list[AlertBinding]:
        return await self.call(self.sync.alerts_of, incident_id)

    async def firing_alerts(self) -> list[AlertBinding]:
        return await self.call(self.sync.firing_alerts)

    async def runs_of(self, incident_id: int) -> list[StepRun]:
        return await self.call(self.sync.runs_of, incident_id)

    # Timeline facts kept nowhere else (bot.store.eventlog)

    async def note_event(
        self,
        incident_id: int,
        kind: str,
        *,
        source_at: float | None = None,
        params: dict[str, Any] | None = None,
    ) -> None:
        await self.call(self.sync.note_event, incident_id, kind, source_at=source_at, params=params)

    async def events_of(self, incident_id: int) -> list[TimelineEvent]:
        return await self.call(self.sync.events_of, incident_id)

    # Approvals

    async def request_approval(
        self, incident_id: int, action_id: str, *, requester: str, ttl: float
    ) -> Approval:
        return await self.call(
            self.sync.request_approval, incident_id, action_id, requester=requester, ttl=ttl
        )

    async def approval(self, approval_id: int) -> Approval:
        return await self.call(self.sync.approval, approval_id)

    async def set_approval_message(self, approval_id: int, ts: str) -> None:
        await self.call(self.sync.set_approval_message, approval_id, ts)

    async def decide(self, approval_id: int, *, status: str, by: str) -> bool:
        return await self.call(self.sync.decide, approval_id, status=status, by=by)

    # Audit log

    async def audit(
        self,
        *,
        actor: str,
        action: str,
        outcome: str,
        request_id: str,
        incident_id: int | None = None,
        params: dict[str, Any] | None = None,
    ) -> None:
        await self.call(
            self.sync.audit, actor=actor, action=action, outcome=outcome,
            request_id=request_id, incident_id=incident_id, params=params,
        )  # fmt: skip

    async def audit_log(self, *, incident_id: int | None = None) -> list[AuditRecord]:
        return await self.call(self.sync.audit_log, incident_id=incident_id)

    # Deliveries and work in progress

    async def claim(self, key: str) -> bool:
        return await self.call_first(self.sync.claim, key)

    async def once(self, key: str) -> bool:
        return await self.call(self.sync.once, key)

    async def finish_claim(self, key: str) -> None:
        await self.call_first(self.sync.finish_claim, key)

    async def release(self, key: str) -> None:
        await self.call_first(self.sync.release, key)

    async def lease(self, name: str, *, ttl: float) -> bool:
        return await self.call(self.sync.lease, name, ttl=ttl)

    async def reserve(self, key: str, *, interval: float) -> float:
        return await self.call(self.sync.reserve, key, interval=interval)

    async def start_work(
        self,
        kind: WorkKind,
        incident_id: int,
        *,
        key: str = "",
        actor: str,
        request_id: str,
        params: dict[str, Any] | None = None,
    ) -> int:
        return await self.call(
            self.sync.start_work, kind, incident_id,
            key=key, actor=actor, request_id=request_id, params=params,
        )  # fmt: skip

    async def start_run(
        self,
        kind: WorkKind,
        incident_id: int,
        *,
        key: str,
        actor: str,
        request_id: str,
        params: dict[str, Any] | None = None,
    ) -> int | None:
        return await self.call(
            self.sync.start_run, kind, incident_id,
            key=key, actor=actor, request_id=request_id, params=params,
        )  # fmt: skip

    async def start_exclusive(
        self,
        kind: WorkKind,
        incident_id: int,
        *,
        key: str,
        actor: str,
        request_id: str,
        params: dict[str, Any] | None = None,
    ) -> int | None:
        return await self.call(
            self.sync.start_exclusive, kind, incident_id,
            key=key, actor=actor, request_id=request_id, params=params,
        )  # fmt: skip

    async def note_work(self, work_id: int, params: dict[str, Any]) -> None:
        await self.call(self.sync.note_work, work_id, params)

    async def finish_work(self, work_id: int, outcome: str) -> None:
        await self.call(self.sync.finish_work, work_id, outcome)

    async def unfinished_work(self) -> list[Work]:
        return await self.call(self.sync.unfinished_work)

    async def last_unfinished(self, kind: WorkKind, incident_id: int, key: str) -> Work | None:
        return await self.call(self.sync.last_unfinished, kind, incident_id, key)

    async def queue_unit(
        self, name: str, *, actor: str, request_id: str, params: dict[str, Any]
    ) -> int:
        return await self.call(
            self.sync.queue_unit, name, actor=actor, request_id=request_id, params=params
        )

    async def queue_units(self, units: list[NewUnit]) -> list[int]:
        return await self.call(self.sync.queue_units, units)

    async def finish_unit(self, unit_id: int) -> None:
        await self.call(self.sync.finish_unit, unit_id)

    async def unfinished_units(self) -> list[QueuedUnit]:
        return await self.call(self.sync.unfinished_units)


def _read(path: str) -> None:
    db = sqlite3.connect(path, timeout=1.0)
    try:
        db.execute("SELECT 1 FROM sqlite_master LIMIT 1").fetchall()
    finally:
        db.close()
