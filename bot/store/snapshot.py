"""One incident's records read at once through the async store, then read
again like a store: bot.timeline builds from either (the CLI passes the
SQLite store itself), so the bot never runs it on a store's thread and
both databases serve it alike."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from bot.store.models import AlertBinding, AuditRecord, Incident, StepRun, TimelineEvent
from bot.store.protocol import Store


class Records(Protocol):
    """What bot.timeline reads of one incident: SqliteStore or a Snapshot."""

    def incident(self, incident_id: int) -> Incident: ...
    def events_of(self, incident_id: int) -> list[TimelineEvent]: ...
    def alerts_of(self, incident_id: int) -> list[AlertBinding]: ...
    def runs_of(self, incident_id: int) -> list[StepRun]: ...
    def latest_runs(self, incident_id: int) -> dict[str, StepRun]: ...
    def audit_log(self, *, incident_id: int | None = None) -> list[AuditRecord]: ...


@dataclass(frozen=True)
class Snapshot:
    record: Incident
    events: list[TimelineEvent]
    alerts: list[AlertBinding]
    runs: list[StepRun]
    audits: list[AuditRecord]

    def _check(self, incident_id: int) -> None:
        if incident_id != self.record.id:
            raise KeyError(f"the snapshot is of incident {self.record.id}, not {incident_id}")

    def incident(self, incident_id: int) -> Incident:
        self._check(incident_id)
        return self.record

    def events_of(self, incident_id: int) -> list[TimelineEvent]:
        self._check(incident_id)
        return list(self.events)

    def alerts_of(self, incident_id: int) -> list[AlertBinding]:
        self._check(incident_id)
        return list(self.alerts)

    def runs_of(self, incident_id: int) -> list[StepRun]:
        self._check(incident_id)
        return list(self.runs)

    def latest_runs(self, incident_id: int) -> dict[str, StepRun]:
        self._check(incident_id)
        latest: dict[str, StepRun] = {}
        for run in self.runs:  # as the stores order it: by each step's last run
            latest.pop(run.step_id, None)
            latest[run.step_id] = run
        return latest

    def audit_log(self, *, incident_id: int | None = None) -> list[AuditRecord]:
        if incident_id is not None:
            self._check(incident_id)
        return list(self.audits)


async def snapshot(store: Store, incident_id: int) -> Snapshot:
    return Snapshot(
        record=await store.incident(incident_id),
        events=await store.events_of(incident_id),
        alerts=await store.alerts_of(incident_id),
        runs=await store.runs_of(incident_id),
        audits=await store.audit_log(incident_id=incident_id),
    )
