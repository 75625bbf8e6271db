"""The SQLite store. Each call is one short transaction; WAL lets `triage
audit` read while the bot writes. The bot uses it through its async facade
(bot.store.aio), which runs every call on one thread of its own; the CLI
calls it directly."""

from __future__ import annotations

import time
from typing import Any

from bot import redact
from bot.store import rows as convert
from bot.store.audit_names import audit_action
from bot.store.connection import Guarded
from bot.store.eventlog import EventLog
from bot.store.models import AlertBinding, Approval, AuditRecord, Incident, StepRun
from bot.store.worklog import WorkLog


class SqliteStore(WorkLog, EventLog):
    # Incidents

    def open_incident(
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
        with self._tx() as db:
            cursor = db.execute(
                "INSERT INTO incidents (channel, thread_ts, runbook, target, variables, alert,"
                " opened_by, opened_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    channel, thread_ts, runbook, target,
                    convert.dump(variables), convert.dump_redacted(alert or {}),
                    opened_by, time.time(),
                ),
            )  # fmt: skip
            incident_id = cursor.lastrowid
        assert incident_id is not None
        return self.incident(incident_id)

    def open_outage(
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
        """The open incident for (runbook, target), or a new one marked as
        the outage's (one_open): (incident, True if opened here). The unique
        index one_open_incident lets only one such incident be open."""
        with self._tx() as db:
            found = self._open_for(db, runbook, target)
            if found is None:
                cursor = db.execute(
                    "INSERT INTO incidents (channel, thread_ts, runbook, target, variables, alert,"
                    " opened_by, opened_at, one_open) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 1)"
                    " ON CONFLICT (runbook, target) WHERE status = 'open' AND one_open = 1"
                    " DO NOTHING",
                    (
                        channel, thread_ts, runbook, target,
                        convert.dump(variables), convert.dump_redacted(alert or {}),
                        opened_by, time.time(),
                    ),
                )  # fmt: skip
                if cursor.rowcount == 1 and cursor.lastrowid is not None:
                    return self.incident(cursor.lastrowid), True
                found = self._open_for(db, runbook, target)
        assert found is not None
        return self.incident(found), False

    @staticmethod
    def _open_for(db: Guarded, runbook: str, target: str) -> int | None:
        row = db.execute(
            "SELECT id FROM incidents WHERE runbook = ? AND target = ? AND status = 'open'"
            " ORDER BY id DESC LIMIT 1",
            (runbook, target),
        ).fetchone()
        return int(row["id"]) if row else None

    def incident(self, incident_id: int) -> Incident:
        row = self._db.execute("SELECT * FROM incidents WHERE id = ?", (incident_id,)).fetchone()
        if row is None:
            raise KeyError(f"no incident {incident_id}")
        return convert.incident(row, self._step_messages(incident_id))

    def set_thread(self, incident_id: int, thread_ts: str) -> None:
        with self._tx() as db:
            db.execute("UPDATE incidents SET thread_ts = ? WHERE id = ?", (thread_ts, incident_id))

    def resolve(self, incident_id: int, *, by: str) -> Incident:
        with self._tx() as db:
            db.execute(
                "UPDATE incidents SET status = 'resolved', resolved_by = ?, resolved_at = ?"
                " WHERE id = ? AND status = 'open'",
                (by, time.time(), incident_id),
            )
        return self.incident(incident_id)

    def set_dry_run(self, incident_id: int, on: bool) -> Incident:
        with self._tx() as db:
            db.execute("UPDATE incidents SET dry_run = ? WHERE id = ?", (int(on), incident_id))
        return self.incident(incident_id)

    def set_step_message(self, incident_id: int, step_id: str, ts: str) -> None:
        with self._tx() as db:
            db.execute(
                "INSERT OR REPLACE INTO step_messages (incident_id, step_id, ts) VALUES (?, ?, ?)",
                (incident_id, step_id, ts),
            )

    def _step_messages(self, incident_id: int) -> dict[str, str]:
        rows = self._db.execute(
            "SELECT step_id, ts FROM step_messages WHERE incident_id = ?", (incident_id,)
        )
        return {r["step_id"]: r["ts"] for r in rows}

    def headless_alert_incidents(self) -> list[int]:
        """Open incidents an alert opened whose header was never posted (a
        process killed between opening and posting): start-up triages them."""
        rows = self._db.execute(
            "SELECT id FROM incidents i WHERE status = 'open' AND opened_by LIKE 'alert:%'"
            " AND NOT EXISTS (SELECT 1 FROM step_messages m"
            " WHERE m.incident_id = i.id AND m.step_id = 'header') ORDER BY id"
        )
        return [r["id"] for r in rows]

    # Step runs

    def record_run(
        self, incident_id: int, step_id: str, *, by: str, result: dict[str, Any]
    ) -> None:
        with self._tx() as db:
            db.execute(
                "INSERT INTO step_runs (incident_id, step_id, by, at, result)"
                " VALUES (?, ?, ?, ?, ?)",
                (incident_id, step_id, by, time.time(), convert.dump_redacted(result)),
            )

    def latest_runs(self, incident_id: int) -> dict[str, StepRun]:
        """The last run of each step, by step id."""
        rows = self._db.execute(
            "SELECT * FROM step_runs WHERE id IN (SELECT MAX(id) FROM step_runs"
            " WHERE incident_id = ? GROUP BY step_id) ORDER BY id",
            (incident_id,),
        )
        return {r["step_id"]: convert.run(r) for r in rows}

    def open_incident_for(self, runbook: str, target: str) -> Incident | None:
        """The open incident for this runbook and target, if there is one."""
        row = self._db.execute(
            "SELECT id FROM incidents WHERE runbook = ? AND target = ? AND status = 'open'"
            " ORDER BY id DESC LIMIT 1",
            (runbook, target),
        ).fetchone()
        return self.incident(row["id"]) if row else None

    # Alerts bound to incidents

    def bind_alert(
        self,
        incident_id: int,
        *,
        fingerprint: str,
        source: str,
        name: str,
        starts_at: float | None = None,
    ) -> AlertBinding:
        """Record that this alert fires for the incident (again). `starts_at`:
        when the source says it began; a firing after a resolution takes the
        new one, a repeat keeps the first known."""
        now = time.time()
        with self._tx() as db:
            db.execute(
                "INSERT INTO alerts (fingerprint, incident_id, source, name, status, fired_at,"
                " starts_at) VALUES (?, ?, ?, ?, 'firing', ?, ?)"
                " ON CONFLICT (fingerprint, incident_id) DO UPDATE SET times = times + 1,"
                " starts_at = CASE WHEN status = 'resolved' THEN excluded.starts_at"
                " ELSE COALESCE(starts_at, excluded.starts_at) END,"
                " fired_at = CASE WHEN status = 'resolved' THEN excluded.fired_at"
                " ELSE fired_at END,"
                " status = 'firing', resolved_at = NULL",
                (fingerprint, incident_id, source, name, now, starts_at),
            )
        return self._alert(fingerprint, incident_id)

    def note_alert(
        self, incident_id: int, fingerprint: str, *, every: float = 0.0, now: float | None = None
    ) -> bool:
        """Take the incident's "fired again" note for this alert, unless one
        (for any of its alerts) was taken less than `every` seconds ago; True
        if this call took it. One statement under the write lock decides."""
        now = time.time() if now is None else now
        with self._tx() as db:
            cur = db.execute(
                "UPDATE alerts SET noted_at = ? WHERE incident_id = ? AND fingerprint = ?"
                " AND NOT EXISTS (SELECT 1 FROM alerts WHERE incident_id = ?"
                " AND noted_at IS NOT NULL AND noted_at > ?)",
                (now, incident_id, fingerprint, incident_id, now - every),
            )
            return cur.rowcount == 1

    def resolve_alert(self, fingerprint: str) -> list[AlertBinding]:
        """Mark the alert resolved in every open incident it fires for; the
        bindings this call resolved (none if another path's resolution got
        there first: its recovery line is posted once)."""
        with self._tx() as db:
            rows = db.execute(
                "UPDATE alerts SET status = 'resolved', resolved_at = ? WHERE fingerprint = ?"
                " AND status = 'firing' AND incident_id IN"
                " (SELECT id FROM incidents WHERE status = 'open') RETURNING *",
                (time.time(), fingerprint),
            ).fetchall()
        return [convert.alert_binding(r) for r in rows]

    def alerts_of(self, incident_id: int) -> list[AlertBinding]:
        rows = self._db.execute("SELECT * FROM alerts WHERE incident_id = ?", (incident_id,))
        return [convert.alert_binding(r) for r in rows]

    def firing_alerts(self) -> list[AlertBinding]:
        """Every alert still firing for an open incident (what the bot asks
        Alertmanager about: bot.slack.resolutions)."""
        rows = self._db.execute(
            "SELECT a.* FROM alerts a JOIN incidents i ON i.id = a.incident_id"
            " WHERE i.status = 'open' AND a.status = 'firing' ORDER BY a.incident_id"
        )
        return [convert.alert_binding(r) for r in rows]

    def _alert(self, fingerprint: str, incident_id: int) -> AlertBinding:
        row = self._db.execute(
            "SELECT * FROM alerts WHERE fingerprint = ? AND incident_id = ?",
            (fingerprint, incident_id),
        ).fetchone()
        return convert.alert_binding(row)

    # Approvals of escalation actions

    def request_approval(
        self, incident_id: int, action_id: str, *, requester: str, ttl: float
    ) -> Approval:
        now = time.time()
        with self._tx() as db:
            cursor = db.execute(
                "INSERT INTO approvals"
                " (incident_id, action_id, requester, requested_at, expires_at)"
                " VALUES (?, ?, ?, ?, ?)",
                (incident_id, action_id, requester, now, now + ttl),
            )
            approval_id = cursor.lastrowid
        assert approval_id is not None
        return self.approval(approval_id)

    def approval(self, approval_id: int) -> Approval:
        row = self._db.execute("SELECT * FROM approvals WHERE id = ?", (approval_id,)).fetchone()
        if row is None:
            raise KeyError(f"no approval request {approval_id}")
        return Approval(**{k: row[k] for k in row.keys()})  # noqa: SIM118 (sqlite3.Row)

    def set_approval_message(self, approval_id: int, ts: str) -> None:
        with self._tx() as db:
            db.execute("UPDATE approvals SET message_ts = ? WHERE id = ?", (ts, approval_id))

    def decide(self, approval_id: int, *, status: str, by: str) -> bool:
        """Move a pending request to `status`; False if it was not pending
        (two approvers clicking at once: only one wins)."""
        with self._tx() as db:
            cursor = db.execute(
                "UPDATE approvals SET status = ?, decided_by = ?"
                " WHERE id = ? AND status = 'pending'",
                (status, by, approval_id),
            )
            return cursor.rowcount == 1

    # Audit log

    def audit(
        self,
        *,
        actor: str,
        action: str,
        outcome: str,
        request_id: str,
        incident_id: int | None = None,
        params: dict[str, Any] | None = None,
    ) -> None:
        with self._tx() as db:
            db.execute(
                "INSERT INTO audit (at, incident_id, actor, action, params, outcome, request_id)"
                " VALUES (?, ?, ?, ?, ?, ?, ?)",
                # Nothing in the audit log may hold a secret, whoever wrote it.
                (
                    time.time(),
                    incident_id,
                    actor,
                    audit_action(action),  # one spelling per click
                    convert.dump(redact.active().redact_tree(params or {})),
                    redact.active().redact(outcome),
                    request_id,
                ),
            )

    def audit_log(self, *, incident_id: int | None = None) -> list[AuditRecord]:
        if incident_id is None:
            rows = self._db.execute("SELECT * FROM audit ORDER BY id")
        else:
            rows = self._db.execute(
                "SELECT * FROM audit WHERE incident_id = ? ORDER BY id", (incident_id,)
            )
        return [convert.audit(r) for r in rows]
