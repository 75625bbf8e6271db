"""Work in progress, recorded before it starts: Slack deliveries being
handled, and step runs, auto-triages and actions. A process killed halfway
leaves these rows unfinished under its owner id; the next process takes
the delivery over when Slack retries it, and repairs the rest at start-up."""

from __future__ import annotations

import json
import time
from typing import Any

from bot import redact
from bot.store import rows as convert
from bot.store.connection import Connection, Guarded
from bot.store.models import NewUnit, QueuedUnit, Work, WorkKind

# A delivery still in hand after this long is taken over by a retry even in
# the same process (its handler hung or died without releasing it).
CLAIM_LEASE_S = 120.0


class WorkLog(Connection):
    # Deliveries

    def claim(self, key: str, *, keep_s: float = 3600.0, lease_s: float = CLAIM_LEASE_S) -> bool:
        """True if this process should handle `key` now: it is new, or the
        process that took it died (or let its lease run out) before finishing."""
        now = time.time()
        with self._tx() as db:
            db.execute("DELETE FROM seen WHERE at < ?", (now - keep_s,))
            row = db.execute("SELECT done, owner, at FROM seen WHERE key = ?", (key,)).fetchone()
            if row is not None and (
                row["done"] or (row["owner"] == self.owner and now - row["at"] < lease_s)
            ):
                return False
            db.execute(
                "INSERT OR REPLACE INTO seen (key, at, done, owner) VALUES (?, ?, 0, ?)",
                (key, now, self.owner),
            )
            return True

    def once(self, key: str, *, keep_s: float = 3600.0) -> bool:
        """True the first time `key` is seen (within `keep_s`), and never
        again, whoever asks: one run per dialog, across restarts."""
        now = time.time()
        with self._tx() as db:
            db.execute("DELETE FROM seen WHERE at < ?", (now - keep_s,))
            cursor = db.execute(
                "INSERT OR IGNORE INTO seen (key, at, done, owner) VALUES (?, ?, 1, ?)",
                (key, now, self.owner),
            )
            return cursor.rowcount == 1

    def finish_claim(self, key: str) -> None:
        with self._tx() as db:
            db.execute("UPDATE seen SET done = 1 WHERE key = ?", (key,))

    def release(self, key: str) -> None:
        """Give a delivery back: its retry is handled afresh."""
        with self._tx() as db:
            db.execute("DELETE FROM seen WHERE key = ? AND done = 0", (key,))

    # Jobs one process runs at a time, and shared pacing

    def lease(self, name: str, *, ttl: float) -> bool:
        """True if this process holds the job `name` for the next `ttl`
        seconds: nobody held it, its holder let it lapse, or it is ours."""
        now = time.time()
        with self._tx() as db:
            cursor = db.execute(
                "INSERT INTO leases (name, owner, until) VALUES (?, ?, ?)"
                " ON CONFLICT (name) DO UPDATE SET owner = excluded.owner, until = excluded.until"
                " WHERE leases.owner = excluded.owner OR leases.until < ?",
                (name, self.owner, now + ttl, now),
            )
            return cursor.rowcount == 1

    def reserve(self, key: str, *, interval: float) -> float:
        """Book the next free moment for `key` (one use per `interval`
        seconds, whoever asks): the seconds to wait for it."""
        now = time.time()
        with self._tx() as db:
            row = db.execute("SELECT next_at FROM pace WHERE key = ?", (key,)).fetchone()
            slot = max(now, row["next_at"] if row else now)
            db.execute(
                "INSERT OR REPLACE INTO pace (key, next_at) VALUES (?, ?)", (key, slot + interval)
            )
        return slot - now

    # Work that changes a thread or the infrastructure

    def start_work(
        self,
        kind: WorkKind,
        incident_id: int,
        *,
        key: str = "",
        actor: str,
        request_id: str,
        params: dict[str, Any] | None = None,
    ) -> int:
        with self._tx() as db:
            return self._insert_work(
                db, kind, incident_id, key=key, actor=actor, request_id=request_id, params=params
            )

    def start_run(
        self,
        kind: WorkKind,
        incident_id: int,
        *,
        key: str,
        actor: str,
        request_id: str,
        params: dict[str, Any] | None = None,
    ) -> int | None:
        """start_work, unless this process runs the same work now (None).
        Another owner's unfinished run is a dead process's (one process per
        file): it is finished as interrupted and this one starts."""
        with self._tx() as db:
            rows = db.execute(
                "SELECT id, owner FROM work WHERE kind = ? AND incident_id = ? AND key = ?"
                " AND finished_at IS NULL",
                (kind, incident_id, key),
            ).fetchall()
            if any(r["owner"] == self.owner for r in rows):
                return None
            for r in rows:
                db.execute(
                    "UPDATE work SET finished_at = ?, outcome = 'interrupted' WHERE id = ?",
                    (time.time(), r["id"]),
                )
            return self._insert_work(
                db, kind, incident_id, key=key, actor=actor, request_id=request_id, params=params
            )

    def start_exclusive(
        self,
        kind: WorkKind,
        incident_id: int,
        *,
        key: str,
        actor: str,
        request_id: str,
        params: dict[str, Any] | None = None,
    ) -> int | None:
        """start_work, unless this process has unfinished work of `kind` on
        the incident, whatever its key (None): one action per incident at a
        time. Another owner's is a dead process's (one process per file): it
        does not block, and is left unfinished for start-up repair to tell."""
        with self._tx() as db:
            running = db.execute(
                "SELECT 1 FROM work WHERE kind = ? AND incident_id = ? AND owner = ?"
                " AND finished_at IS NULL LIMIT 1",
                (kind, incident_id, self.owner),
            ).fetchone()
            if running is not None:
                return None
            return self._insert_work(
                db, kind, incident_id, key=key, actor=actor, request_id=request_id, params=params
            )

    def _insert_work(
        self,
        db: Guarded,
        kind: WorkKind,
        incident_id: int,
        *,
        key: str,
        actor: str,
        request_id: str,
        params: dict[str, Any] | None,
    ) -> int:
        cursor = db.execute(
            "INSERT INTO work (kind, incident_id, key, actor, request_id, params, started_at,"
            " owner) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (kind, incident_id, key, actor, request_id, _dump(params), time.time(), self.owner),
        )
        work_id = cursor.lastrowid
        assert work_id is not None
        return work_id

    def note_work(self, work_id: int, params: dict[str, Any]) -> None:
        """Add to what is known of work in progress (e.g. the state before it)."""
        with self._tx() as db:
            row = db.execute("SELECT params FROM work WHERE id = ?", (work_id,)).fetchone()
            merged = {**json.loads(row["params"]), **redact.active().redact_tree(params)}
            db.execute("UPDATE work SET params = ? WHERE id = ?", (convert.dump(merged), work_id))

    def finish_work(self, work_id: int, outcome: str) -> None:
        with self._tx() as db:
            db.execute(
                "UPDATE work SET finished_at = ?, outcome = ? WHERE id = ? AND finished_at IS NULL",
                (time.time(), redact.active().redact(outcome), work_id),
            )

    def work(self, work_id: int) -> Work:
        row = self._db.execute("SELECT * FROM work WHERE id = ?", (work_id,)).fetchone()
        if row is None:
            raise KeyError(f"no work {work_id}")
        return _work(row)

    def unfinished_work(self) -> list[Work]:
        """Work started by another process (one that is gone) and never finished."""
        rows = self._db.execute(
            "SELECT * FROM work WHERE finished_at IS NULL AND owner != ? ORDER BY id",
            (self.owner,),
        )
        return [_work(r) for r in rows]

    def last_unfinished(self, kind: WorkKind, incident_id: int, key: str) -> Work | None:
        """The latest such work cut short (or still running) for this incident and key."""
        row = self._db.execute(
            "SELECT * FROM work WHERE kind = ? AND incident_id = ? AND key = ?"
            " ORDER BY id DESC LIMIT 1",
            (kind, incident_id, key),
        ).fetchone()
        work = _work(row) if row is not None else None
        return work if work is not None and work.outcome in {None, "interrupted"} else None

    # Units acked and queued in memory (bot.incidents.work)

    def queue_unit(self, name: str, *, actor: str, request_id: str, params: dict[str, Any]) -> int:
        return self.queue_units([NewUnit(name, actor, request_id, params)])[0]

    def queue_units(self, units: list[NewUnit]) -> list[int]:
        ids = []
        with self._tx() as db:
            for unit in units:
                cursor = db.execute(
                    "INSERT INTO queued (name, actor, request_id, params, queued_at, owner)"
                    " VALUES (?, ?, ?, ?, ?, ?)",
                    (unit.name, unit.actor, unit.request_id, _dump(unit.params), time.time(),
                     self.owner),
                )  # fmt: skip
                assert cursor.lastrowid is not None
                ids.append(cursor.lastrowid)
        return ids

    def finish_unit(self, unit_id: int) -> None:
        with self._tx() as db:
            db.execute(
                "UPDATE queued SET finished_at = ? WHERE id = ? AND finished_at IS NULL",
                (time.time(), unit_id),
            )

    def unfinished_units(self) -> list[QueuedUnit]:
        """Units queued by another process (one that is gone) that never ended."""
        rows = self._db.execute(
            "SELECT * FROM queued WHERE finished_at IS NULL AND owner != ? ORDER BY id",
            (self.owner,),
        )
        return [queued_unit(r) for r in rows]


def queued_unit(row: Any) -> QueuedUnit:
    return QueuedUnit(
        id=row["id"], name=row["name"], actor=row["actor"], request_id=row["request_id"],
        params=json.loads(row["params"]), queued_at=row["queued_at"], owner=row["owner"],
    )  # fmt: skip


def _dump(params: dict[str, Any] | None) -> str:
    # Work rows are read back into the thread and the audit: no secrets.
    return convert.dump(redact.active().redact_tree(params or {}))


def _work(row: Any) -> Work:
    return Work(
        id=row["id"], kind=row["kind"], incident_id=row["incident_id"], key=row["key"],
        actor=row["actor"], request_id=row["request_id"], params=json.loads(row["params"]),
        started_at=row["started_at"], owner=row["owner"], finished_at=row["finished_at"],
        outcome=row["outcome"],
    )  # fmt: skip
