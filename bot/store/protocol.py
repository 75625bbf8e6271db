"""The store as the bot sees it: one async interface, two databases.

`AsyncStore` (bot.store.aio) serves it from a SQLite file on a thread of
its own (one process, zero setup); `PostgresStore` (bot.store.postgres)
from a PostgreSQL server shared by several replicas, where the database
itself decides every race (one open incident per outage, one claim per
delivery, one decision per approval, one run of a step at a time, one
action per incident at a time)."""

from __future__ import annotations

from typing import Any, Protocol

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


class Store(Protocol):
    @property
    def owner(self) -> str:
        """This process, as the owner of the deliveries and work it takes."""
        ...

    @property
    def shared(self) -> bool:
        """Whether other processes share this store (replicas on PostgreSQL)."""
        ...

    async def ping(self) -> None:
        """Raise unless the database answers a trivial query."""

    async def aclose(self) -> None: ...

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
    ) -> Incident: ...

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
        """Open the one incident of this outage (runbook, target), or find
        the one already open: (incident, True if this call opened it). Two
        replicas receiving the same alert race here and exactly one wins;
        the database's unique index decides, not process memory."""
        ...

    async def incident(self, incident_id: int) -> Incident: ...
    async def set_thread(self, incident_id: int, thread_ts: str) -> None: ...
    async def resolve(self, incident_id: int, *, by: str) -> Incident: ...
    async def set_dry_run(self, incident_id: int, on: bool) -> Incident: ...
    async def set_step_message(self, incident_id: int, step_id: str, ts: str) -> None: ...
    async def open_incident_for(self, runbook: str, target: str) -> Incident | None: ...
    async def headless_alert_incidents(self) -> list[int]: ...

    # Step runs

    async def record_run(
        self, incident_id: int, step_id: str, *, by: str, result: dict[str, Any]
    ) -> None: ...

    async def latest_runs(self, incident_id: int) -> dict[str, StepRun]: ...

    async def runs_of(self, incident_id: int) -> list[StepRun]:
        """Every run of every step, oldest first."""
        ...

    # Alerts

    async def bind_alert(
        self,
        incident_id: int,
        *,
        fingerprint: str,
        source: str,
        name: str,
        starts_at: float | None = None,
    ) -> AlertBinding: ...

    async def note_alert(
        self, incident_id: int, fingerprint: str, *, every: float = 0.0, now: float | None = None
    ) -> bool:
        """Take the incident's "fired again" note for this alert (noted_at =
        `now`) unless any of its alerts was noted less than `every` seconds
        before `now`; True if this call took it. Decided by the database, so
        of replicas given repeats of one alert at once, one posts the note."""
        ...

    async def resolve_alert(self, fingerprint: str) -> list[AlertBinding]:
        """The bindings this call resolved: none if another path (or replica)
        resolved the alert first, so its recovery line is posted once."""
        ...

    async def alerts_of(self, incident_id: int) -> list[AlertBinding]: ...
    async def firing_alerts(self) -> list[AlertBinding]: ...

    # Timeline facts kept nowhere else

    async def note_event(
        self,
        incident_id: int,
        kind: str,
        *,
        source_at: float | None = None,
        params: dict[str, Any] | None = None,
    ) -> None: ...

    async def events_of(self, incident_id: int) -> list[TimelineEvent]: ...

    # Approvals

    async def request_approval(
        self, incident_id: int, action_id: str, *, requester: str, ttl: float
    ) -> Approval: ...

    async def approval(self, approval_id: int) -> Approval: ...
    async def set_approval_message(self, approval_id: int, ts: str) -> None: ...
    async def decide(self, approval_id: int, *, status: str, by: str) -> bool: ...

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
    ) -> None: ...

    async def audit_log(self, *, incident_id: int | None = None) -> list[AuditRecord]: ...

    # Deliveries and work in progress

    async def claim(self, key: str) -> bool: ...
    async def once(self, key: str) -> bool: ...
    async def finish_claim(self, key: str) -> None: ...
    async def release(self, key: str) -> None: ...

    async def lease(self, name: str, *, ttl: float) -> bool:
        """True if this process holds the periodic job `name` for `ttl`
        seconds (renewed by asking again): one replica polls, repairs."""
        ...

    async def reserve(self, key: str, *, interval: float) -> float:
        """Book the next free moment for `key`, one per `interval` seconds
        across every replica; the seconds to wait until it."""
        ...

    async def start_work(
        self,
        kind: WorkKind,
        incident_id: int,
        *,
        key: str = "",
        actor: str,
        request_id: str,
        params: dict[str, Any] | None = None,
    ) -> int: ...

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
        """Like start_work, but None ("already running") while a live
        process runs the same (kind, incident, key): two clicks on two
        replicas run a step once. Work left by a dead process is finished
        as interrupted and taken over."""
        ...

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
        """Like start_run, but one of `kind` per incident whatever its key:
        None while any unfinished work of `kind` on the incident belongs to
        this process or a live one (an escalation action: one change at a
        time per incident, across replicas). Work left by a dead process
        blocks nothing and stays unfinished, for repair to tell its thread."""
        ...

    async def note_work(self, work_id: int, params: dict[str, Any]) -> None: ...
    async def finish_work(self, work_id: int, outcome: str) -> None: ...
    async def unfinished_work(self) -> list[Work]: ...
    async def last_unfinished(self, kind: WorkKind, incident_id: int, key: str) -> Work | None: ...

    # Units acked and queued in memory (bot.incidents.work): recorded just
    # after the ack, finished when the unit ends; a dead process's are told
    # (or, for an alert, run again) at start-up (bot.slack.recovery).

    async def queue_unit(
        self, name: str, *, actor: str, request_id: str, params: dict[str, Any]
    ) -> int: ...

    async def queue_units(self, units: list[NewUnit]) -> list[int]:
        """Several at once, in one transaction: their ids, in order (a burst
        of acks is recorded in one call, not one per unit)."""
        ...

    async def finish_unit(self, unit_id: int) -> None: ...

    async def unfinished_units(self) -> list[QueuedUnit]:
        """Units queued by a process that is gone and never ended."""
        ...
