"""The few facts of an incident's timeline kept nowhere else (an alert's
source times, each repeat), and every step run in order: what
bot.timeline reads besides the incident, its alerts and its audit log."""

from __future__ import annotations

import time
from typing import Any

from bot.store import rows as convert
from bot.store.connection import Connection
from bot.store.models import StepRun, TimelineEvent


class EventLog(Connection):
    def note_event(
        self,
        incident_id: int,
        kind: str,
        *,
        source_at: float | None = None,
        params: dict[str, Any] | None = None,
    ) -> None:
        """`kind` is a word (alert_fired, alert_repeated, alert_resolved);
        `source_at` the source's own time of it, when the source says."""
        with self._tx() as db:
            db.execute(
                "INSERT INTO timeline (incident_id, at, kind, source_at, params)"
                " VALUES (?, ?, ?, ?, ?)",
                (incident_id, time.time(), kind, source_at, convert.dump_redacted(params or {})),
            )

    def events_of(self, incident_id: int) -> list[TimelineEvent]:
        rows = self._db.execute(
            "SELECT * FROM timeline WHERE incident_id = ? ORDER BY id", (incident_id,)
        )
        return [convert.event(r) for r in rows]

    def runs_of(self, incident_id: int) -> list[StepRun]:
        """Every run of every step, oldest first (latest_runs keeps the last)."""
        rows = self._db.execute(
            "SELECT * FROM step_runs WHERE incident_id = ? ORDER BY id", (incident_id,)
        )
        return [convert.run(r) for r in rows]
