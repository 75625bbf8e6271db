"""The PostgreSQL store: several replicas share one database, and the
database decides every race between them (bot.store.protocol.Store).

- one open incident per outage: the partial unique index one_open_incident
  and INSERT ... ON CONFLICT DO NOTHING (the loser reads the winner's row);
- one handling per delivery: claim/once are INSERT ... ON CONFLICT on `seen`;
- one run of a step at a time: start_run locks the incident's row;
- one action per incident at a time: start_exclusive, under the same lock;
- one decision per approval: UPDATE ... WHERE status = 'pending' RETURNING.

Liveness without a leader or heartbeats of our own: every pooled connection
names its process in `application_name` ("triage:<owner>"), so a replica
is alive while PostgreSQL lists one of its sessions in pg_stat_activity. A
replica killed with -9 loses its sessions at once; its claims and its
unfinished work are then taken over (a live replica's never are).
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import psycopg
from psycopg.conninfo import conninfo_to_dict
from psycopg.rows import dict_row
from psycopg_pool import AsyncConnectionPool, PoolClosed, PoolTimeout

from bot import redact
from bot.store import migrations
from bot.store import rows as convert
from bot.store.audit_names import audit_action
from bot.store.connection import StoreUnavailable
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
from bot.store.worklog import CLAIM_LEASE_S, queued_unit

# pg_advisory_xact_lock key for migrations ("triage" in ASCII, then 1).
MIGRATION_LOCK = 0x7472696167650001
CONNECT_TIMEOUT_S = 5.0
APP_PREFIX = "triage:"
# Is the owner of this row alive? (a session of it is connected)
_ALIVE = "EXISTS (SELECT 1 FROM pg_stat_activity WHERE application_name = 'triage:' || {})"

Conn = psycopg.AsyncConnection[dict[str, Any]]
log = logging.getLogger(__name__)
# Between attempts to reach a server that did not answer at start-up.
RETRY_FIRST_S = 1.0
RETRY_MAX_S = 30.0
# Longest a store call may take, waits for another replica's row lock included.
ANSWER_WITHIN_S = 10.0
# What the driver and the pool raise when the server cannot be reached (or
# the pool is not open yet): the bot sees StoreUnavailable, never these.
_UNREACHABLE = (psycopg.OperationalError, PoolTimeout, PoolClosed)


def is_url(where: str) -> bool:
    return where.startswith(("postgresql://", "postgres://"))


class PostgresStore:
    def __init__(self, url: str, *, min_size: int = 2, max_size: int = 10) -> None:
        self.url = url
        self._owner = uuid.uuid4().hex
        self.connected = asyncio.Event()  # set once the pool is open and migrated
        self._sizes = (min_size, max_size)
        self._pool = self._new_pool()

    def _new_pool(self) -> AsyncConnectionPool[Conn]:
        # min_size >= 1 keeps a session open for pg_stat_activity to show this
        # process alive; check_connection replaces sessions a server restart cut.
        return AsyncConnectionPool(
            self.url,
            min_size=self._sizes[0],
            max_size=self._sizes[1],
            open=False,
            timeout=CONNECT_TIMEOUT_S,
            check=AsyncConnectionPool.check_connection,
            kwargs={
                "autocommit": True,
                "row_factory": dict_row,
                "application_name": APP_PREFIX + self._owner,
                "connect_timeout": int(CONNECT_TIMEOUT_S),
            },
        )

    @property
    def owner(self) -> str:
        return self._owner

    @property
    def shared(self) -> bool:
        return True

    async def connect(self) -> None:
        """Open the pool and bring the schema up to date; StoreUnavailable
        (one line, no password) if the server does not answer."""
        try:
            # One plain connection first: its error says why (refused, auth,
            # no such database), where the pool's would only say it timed out.
            probe = await psycopg.AsyncConnection.connect(
                self.url, connect_timeout=int(CONNECT_TIMEOUT_S)
            )
            await probe.close()
            await self._pool.open(wait=True, timeout=CONNECT_TIMEOUT_S)
            await self._migrate()
        except _UNREACHABLE as exc:
            await self._pool.close()
            self._pool = self._new_pool()  # a closed pool cannot be opened again
            raise self._unavailable(exc) from exc
        self.connected.set()

    async def connect_patiently(self) -> None:
        """connect(), again and again until the server answers: a replica
        started while PostgreSQL is down serves /healthz (and says "store
        unavailable" in Slack) instead of exiting into a crash loop. Each
        change of state is logged once, not every attempt."""
        pause = RETRY_FIRST_S
        said = ""
        while True:
            try:
                await self.connect()
            except StoreUnavailable as exc:
                if str(exc) != said:
                    log.error("%s; retrying every %.0f s at most", exc, RETRY_MAX_S)
                    said = str(exc)
                await asyncio.sleep(pause)  # a retry's pace, not a wait on a condition
                pause = min(pause * 2, RETRY_MAX_S)
                continue
            if said:
                log.warning("the PostgreSQL store answers now")
            return

    def _unavailable(self, exc: BaseException | str) -> StoreUnavailable:
        where = conninfo_to_dict(self.url)
        return StoreUnavailable(
            f"cannot use the PostgreSQL store at {where.get('host', '?')}:"
            f"{where.get('port', 5432)}/{where.get('dbname', '?')}: {_first_line(exc)}"
        )

    @asynccontextmanager
    async def _conn(self) -> AsyncIterator[Conn]:
        """A pooled connection; an unreachable server is StoreUnavailable,
        and so is one that stops answering (a hung network sends no reset:
        without a deadline a click would wait forever, and say nothing)."""
        try:
            async with asyncio.timeout(ANSWER_WITHIN_S), self._pool.connection() as db:
                yield db
        except TimeoutError as exc:
            raise self._unavailable(f"no answer within {ANSWER_WITHIN_S:.0f} s") from exc
        except _UNREACHABLE as exc:
            raise self._unavailable(exc) from exc

    async def _migrate(self) -> None:
        async with self._pool.connection() as db, db.transaction():
            await db.execute("SELECT pg_advisory_xact_lock(%s)", (MIGRATION_LOCK,))
            await db.execute(migrations.VERSION_TABLE)
            cur = await db.execute("SELECT COALESCE(MAX(version), 0) AS v FROM schema_version")
            current = (await cur.fetchone() or {"v": 0})["v"]
            for version, statements in migrations.pending(migrations.POSTGRES, current):
                for statement in statements:
                    await db.execute(statement.encode())
                await db.execute(
                    "INSERT INTO schema_version VALUES (%s, %s)", (version, time.time())
                )

    async def schema_version(self) -> int:
        return int((await self._one("SELECT MAX(version) AS v FROM schema_version"))["v"])

    async def ping(self) -> None:
        await self._one("SELECT 1 AS one")

    async def aclose(self) -> None:
        await self._pool.close()

    # Helpers

    async def _one(self, sql: str, args: tuple[Any, ...] = ()) -> dict[str, Any]:
        row = await self._maybe(sql, args)
        if row is None:
            raise KeyError(sql)
        return row

    async def _maybe(self, sql: str, args: tuple[Any, ...] = ()) -> dict[str, Any] | None:
        async with self._conn() as db:
            cur = await db.execute(sql.encode(), args)
            return await cur.fetchone()

    async def _all(self, sql: str, args: tuple[Any, ...] = ()) -> list[dict[str, Any]]:
        async with self._conn() as db:
            cur = await db.execute(sql.encode(), args)
            return await cur.fetchall()

    async def _run(self, sql: str, args: tuple[Any, ...] = ()) -> int:
        async with self._conn() as db:
            cur = await db.execute(sql.encode(), args)
            return cur.rowcount

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
        row = await self._one(
            "INSERT INTO incidents (channel, thread_ts, runbook, target, variables, alert,"
            " opened_by, opened_at) VALUES (%s, %s, %s, %s, %s, %s, %s, %s) RETURNING id",
            _incident_values(
                channel=channel,
                thread_ts=thread_ts,
                runbook=runbook,
                target=target,
                variables=variables,
                alert=alert,
                opened_by=opened_by,
            ),
        )
        return await self.incident(row["id"])

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
        found = await self.open_incident_for(runbook, target)
        if found is not None:
            return found, False
        values = _incident_values(
            channel=channel,
            thread_ts=thread_ts,
            runbook=runbook,
            target=target,
            variables=variables,
            alert=alert,
            opened_by=opened_by,
        )
        row = await self._maybe(
            "INSERT INTO incidents (channel, thread_ts, runbook, target, variables, alert,"
            " opened_by, opened_at, one_open) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, 1)"
            " ON CONFLICT (runbook, target) WHERE status = 'open' AND one_open = 1"
            " DO NOTHING RETURNING id",
            values,
        )
        if row is not None:
            return await self.incident(row["id"]), True
        # Another replica won the race; its row is committed (the index waited for it).
        winner = await self.open_incident_for(runbook, target)
        if winner is None:  # and was resolved in between: open ours after all
            return await self.open_outage(
                channel=channel, runbook=runbook, target=target, variables=variables,
                opened_by=opened_by, thread_ts=thread_ts, alert=alert,
            )  # fmt: skip
        return winner, False

    async def incident(self, incident_id: int) -> Incident:
        row = await self._maybe("SELECT * FROM incidents WHERE id = %s", (incident_id,))
        if row is None:
            raise KeyError(f"no incident {incident_id}")
        messages = await self._all(
            "SELECT step_id, ts FROM step_messages WHERE incident_id = %s", (incident_id,)
        )
        return convert.incident(row, {r["step_id"]: r["ts"] for r in messages})

    async def set_thread(self, incident_id: int, thread_ts: str) -> None:
        await self._run(
            "UPDATE incidents SET thread_ts = %s WHERE id = %s", (thread_ts, incident_id)
        )

    async def resolve(self, incident_id: int, *, by: str) -> Incident:
        await self._run(
            "UPDATE incidents SET status = 'resolved', resolved_by = %s, resolved_at = %s"
            " WHERE id = %s AND status = 'open'",
            (by, time.time(), incident_id),
        )
        return await self.incident(incident_id)

    async def set_dry_run(self, incident_id: int, on: bool) -> Incident:
        await self._run("UPDATE incidents SET dry_run = %s WHERE id = %s", (int(on), incident_id))
        return await self.incident(incident_id)

    async def set_step_message(self, incident_id: int, step_id: str, ts: str) -> None:
        await self._run(
            "INSERT INTO step_messages (incident_id, step_id, ts) VALUES (%s, %s, %s)"
            " ON CONFLICT (incident_id, step_id) DO UPDATE SET ts = EXCLUDED.ts",
            (incident_id, step_id, ts),
        )

    async def open_incident_for(self, runbook: str, target: str) -> Incident | None:
        row = await self._maybe(
            "SELECT id FROM incidents WHERE runbook = %s AND target = %s AND status = 'open'"
            " ORDER BY id DESC LIMIT 1",
            (runbook, target),
        )
        return await self.incident(row["id"]) if row else None

    async def headless_alert_incidents(self) -> list[int]:
        rows = await self._all(
            "SELECT id FROM incidents i WHERE status = 'open' AND opened_by LIKE 'alert:%%'"
            " AND NOT EXISTS (SELECT 1 FROM step_messages m"
            " WHERE m.incident_id = i.id AND m.step_id = 'header') ORDER BY id"
        )
        return [r["id"] for r in rows]

    # Step runs

    async def record_run(
        self, incident_id: int, step_id: str, *, by: str, result: dict[str, Any]
    ) -> None:
        await self._run(
            'INSERT INTO step_runs (incident_id, step_id, "by", at, result)'
            " VALUES (%s, %s, %s, %s, %s)",
            (incident_id, step_id, by, time.time(), convert.dump_redacted(result)),
        )

    async def latest_runs(self, incident_id: int) -> dict[str, StepRun]:
        rows = await self._all(
            "SELECT * FROM step_runs WHERE id IN (SELECT MAX(id) FROM step_runs"
            " WHERE incident_id = %s GROUP BY step_id) ORDER BY id",
            (incident_id,),
        )
        return {r["step_id"]: convert.run(r) for r in rows}

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
        """As SqliteStore.bind_alert: a firing after a resolution takes the
        new start, a repeat keeps the first known."""
        row = await self._one(
            "INSERT INTO alerts (fingerprint, incident_id, source, name, status, fired_at,"
            " starts_at) VALUES (%s, %s, %s, %s, 'firing', %s, %s)"
            " ON CONFLICT (fingerprint, incident_id) DO UPDATE SET times = alerts.times + 1,"
            " starts_at = CASE WHEN alerts.status = 'resolved' THEN EXCLUDED.starts_at"
            " ELSE COALESCE(alerts.starts_at, EXCLUDED.starts_at) END,"
            " fired_at = CASE WHEN alerts.status = 'resolved' THEN EXCLUDED.fired_at"
            " ELSE alerts.fired_at END,"
            " status = 'firing', resolved_at = NULL RETURNING *",
            (fingerprint, incident_id, source, name, time.time(), starts_at),
        )
        return convert.alert_binding(row)

    async def note_alert(
        self, incident_id: int, fingerprint: str, *, every: float = 0.0, now: float | None = None
    ) -> bool:
        """As SqliteStore.note_alert. The incident's row lock orders replicas
        noting repeats of its alerts (even of two different alerts); the
        UPDATE after it is a new statement, so under READ COMMITTED it sees
        the note the replica before it committed, and takes none."""
        now = time.time() if now is None else now
        async with self._conn() as db, db.transaction():
            await db.execute(b"SELECT id FROM incidents WHERE id = %s FOR UPDATE", (incident_id,))
            cur = await db.execute(
                b"UPDATE alerts SET noted_at = %s WHERE incident_id = %s AND fingerprint = %s"
                b" AND NOT EXISTS (SELECT 1 FROM alerts WHERE incident_id = %s"
                b" AND noted_at IS NOT NULL AND noted_at > %s)",
                (now, incident_id, fingerprint, incident_id, now - every),
            )
            return cur.rowcount == 1

    async def resolve_alert(self, fingerprint: str) -> list[AlertBinding]:
        """One statement: of two replicas resolving the same alert (its
        webhook and its Slack message), only one gets the bindings back."""
        rows = await self._all(
            "UPDATE alerts SET status = 'resolved', resolved_at = %s WHERE fingerprint = %s"
            " AND status = 'firing' AND incident_id IN"
            " (SELECT id FROM incidents WHERE status = 'open') RETURNING *",
            (time.time(), fingerprint),
        )
        return [convert.alert_binding(r) for r in rows]

    async def alerts_of(self, incident_id: int) -> list[AlertBinding]:
        rows = await self._all("SELECT * FROM alerts WHERE incident_id = %s", (incident_id,))
        return [convert.alert_binding(r) for r in rows]

    async def firing_alerts(self) -> list[AlertBinding]:
        rows = await self._all(
            "SELECT a.* FROM alerts a JOIN incidents i ON i.id = a.incident_id"
            " WHERE i.status = 'open' AND a.status = 'firing' ORDER BY a.incident_id"
        )
        return [convert.alert_binding(r) for r in rows]

    async def runs_of(self, incident_id: int) -> list[StepRun]:
        rows = await self._all(
            "SELECT * FROM step_runs WHERE incident_id = %s ORDER BY id", (incident_id,)
        )
        return [convert.run(r) for r in rows]

    # Timeline facts kept nowhere else (bot.store.eventlog)

    async def note_event(
        self,
        incident_id: int,
        kind: str,
        *,
        source_at: float | None = None,
        params: dict[str, Any] | None = None,
    ) -> None:
        await self._run(
            "INSERT INTO timeline (incident_id, at, kind, source_at, params)"
            " VALUES (%s, %s, %s, %s, %s)",
            (incident_id, time.time(), kind, source_at, convert.dump_redacted(params or {})),
        )

    async def events_of(self, incident_id: int) -> list[TimelineEvent]:
        rows = await self._all(
            "SELECT * FROM timeline WHERE incident_id = %s ORDER BY id", (incident_id,)
        )
        return [convert.event(r) for r in rows]

    # Approvals

    async def request_approval(
        self, incident_id: int, action_id: str, *, requester: str, ttl: float
    ) -> Approval:
        now = time.time()
        row = await self._one(
            "INSERT INTO approvals (incident_id, action_id, requester, requested_at, expires_at)"
            " VALUES (%s, %s, %s, %s, %s) RETURNING *",
            (incident_id, action_id, requester, now, now + ttl),
        )
        return Approval(**row)

    async def approval(self, approval_id: int) -> Approval:
        row = await self._maybe("SELECT * FROM approvals WHERE id = %s", (approval_id,))
        if row is None:
            raise KeyError(f"no approval request {approval_id}")
        return Approval(**row)

    async def set_approval_message(self, approval_id: int, ts: str) -> None:
        await self._run("UPDATE approvals SET message_ts = %s WHERE id = %s", (ts, approval_id))

    async def decide(self, approval_id: int, *, status: str, by: str) -> bool:
        """Only the first of two approvers clicking on two replicas wins."""
        row = await self._maybe(
            "UPDATE approvals SET status = %s, decided_by = %s"
            " WHERE id = %s AND status = 'pending' RETURNING id",
            (status, by, approval_id),
        )
        return row is not None

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
        await self._run(
            "INSERT INTO audit (at, incident_id, actor, action, params, outcome, request_id)"
            " VALUES (%s, %s, %s, %s, %s, %s, %s)",
            (
                time.time(), incident_id, actor, audit_action(action),  # one spelling per click
                convert.dump(redact.active().redact_tree(params or {})),
                redact.active().redact(outcome), request_id,
            ),
        )  # fmt: skip

    async def audit_log(self, *, incident_id: int | None = None) -> list[AuditRecord]:
        if incident_id is None:
            rows = await self._all("SELECT * FROM audit ORDER BY id")
        else:
            rows = await self._all(
                "SELECT * FROM audit WHERE incident_id = %s ORDER BY id", (incident_id,)
            )
        return [convert.audit(r) for r in rows]

    # Deliveries

    async def claim(
        self, key: str, *, keep_s: float = 3600.0, lease_s: float = CLAIM_LEASE_S
    ) -> bool:
        """True if this replica should handle `key` now: it is new, or the
        replica that took it is gone or let its lease run out. A retry that
        reaches another replica while the first still handles it is dropped."""
        now = time.time()
        await self._run("DELETE FROM seen WHERE at < %s", (now - keep_s,))
        row = await self._maybe(
            "INSERT INTO seen (key, at, done, owner) VALUES (%s, %s, 0, %s)"
            " ON CONFLICT (key) DO UPDATE SET at = EXCLUDED.at, done = 0, owner = EXCLUDED.owner"
            " WHERE seen.done = 0 AND (seen.at < %s OR (seen.owner <> EXCLUDED.owner AND NOT "
            + _ALIVE.format("seen.owner")
            + ")) RETURNING key",
            (key, now, self._owner, now - lease_s),
        )
        return row is not None

    async def once(self, key: str, *, keep_s: float = 3600.0) -> bool:
        now = time.time()
        await self._run("DELETE FROM seen WHERE at < %s", (now - keep_s,))
        row = await self._maybe(
            "INSERT INTO seen (key, at, done, owner) VALUES (%s, %s, 1, %s)"
            " ON CONFLICT (key) DO NOTHING RETURNING key",
            (key, now, self._owner),
        )
        return row is not None

    async def finish_claim(self, key: str) -> None:
        await self._run("UPDATE seen SET done = 1 WHERE key = %s", (key,))

    async def release(self, key: str) -> None:
        await self._run("DELETE FROM seen WHERE key = %s AND done = 0", (key,))

    # Jobs one replica runs at a time, and shared pacing

    async def lease(self, name: str, *, ttl: float) -> bool:
        """Held by one replica: taken over when it lapses or its holder is gone."""
        now = time.time()
        row = await self._maybe(
            "INSERT INTO leases (name, owner, until) VALUES (%s, %s, %s)"
            " ON CONFLICT (name) DO UPDATE SET owner = EXCLUDED.owner, until = EXCLUDED.until"
            " WHERE leases.owner = EXCLUDED.owner OR leases.until < %s OR NOT "
            + _ALIVE.format("leases.owner")
            + " RETURNING name",
            (name, self._owner, now + ttl, now),
        )
        return row is not None

    async def reserve(self, key: str, *, interval: float) -> float:
        """One statement, so replicas posting to one channel queue up in the
        row's lock: each gets the slot after the last one booked."""
        now = time.time()
        row = await self._one(
            "INSERT INTO pace (key, next_at) VALUES (%s, %s) ON CONFLICT (key) DO UPDATE"
            " SET next_at = GREATEST(pace.next_at, %s) + %s RETURNING next_at",
            (key, now + interval, now, interval),
        )
        return max(0.0, float(row["next_at"]) - interval - now)

    # Work in progress

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
        async with self._conn() as db:
            return await self._insert_work(
                db, kind, incident_id, key=key, actor=actor, request_id=request_id, params=params
            )

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
        """The incident's row lock serialises replicas starting work on it;
        a live owner's unfinished run answers "already running" (None)."""
        async with self._conn() as db, db.transaction():
            await db.execute(b"SELECT id FROM incidents WHERE id = %s FOR UPDATE", (incident_id,))
            cur = await db.execute(
                (
                    "SELECT id, owner = %s OR " + _ALIVE.format("owner") + " AS alive FROM work"
                    " WHERE kind = %s AND incident_id = %s AND key = %s AND finished_at IS NULL"
                ).encode(),
                (self._owner, kind, incident_id, key),
            )
            running = await cur.fetchall()
            if any(r["alive"] for r in running):
                return None
            for r in running:
                await db.execute(
                    b"UPDATE work SET finished_at = %s, outcome = 'interrupted' WHERE id = %s",
                    (time.time(), r["id"]),
                )
            return await self._insert_work(
                db, kind, incident_id, key=key, actor=actor, request_id=request_id, params=params
            )

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
        """As start_run, but any unfinished work of `kind` on the incident,
        whatever its key, answers "already running" while its owner lives.
        A dead replica's is left unfinished: it blocks nothing, and the
        repair sweep tells its thread."""
        async with self._conn() as db, db.transaction():
            await db.execute(b"SELECT id FROM incidents WHERE id = %s FOR UPDATE", (incident_id,))
            cur = await db.execute(
                (
                    "SELECT 1 FROM work WHERE kind = %s AND incident_id = %s"
                    " AND finished_at IS NULL AND (owner = %s OR "
                    + _ALIVE.format("owner")
                    + ") LIMIT 1"
                ).encode(),
                (kind, incident_id, self._owner),
            )
            if await cur.fetchone() is not None:
                return None
            return await self._insert_work(
                db, kind, incident_id, key=key, actor=actor, request_id=request_id, params=params
            )

    async def _insert_work(
        self,
        db: Conn,
        kind: WorkKind,
        incident_id: int,
        *,
        key: str,
        actor: str,
        request_id: str,
        params: dict[str, Any] | None,
    ) -> int:
        cur = await db.execute(
            b"INSERT INTO work (kind, incident_id, key, actor, request_id, params, started_at,"
            b" owner) VALUES (%s, %s, %s, %s, %s, %s, %s, %s) RETURNING id",
            (
                kind, incident_id, key, actor, request_id,
                convert.dump_redacted(params or {}), time.time(), self._owner,
            ),
        )  # fmt: skip
        row = await cur.fetchone()
        assert row is not None
        return int(row["id"])

    async def note_work(self, work_id: int, params: dict[str, Any]) -> None:
        async with self._conn() as db, db.transaction():
            cur = await db.execute(b"SELECT params FROM work WHERE id = %s FOR UPDATE", (work_id,))
            row = await cur.fetchone()
            if row is None:
                raise KeyError(f"no work {work_id}")
            merged = {**json.loads(row["params"]), **redact.active().redact_tree(params)}
            await db.execute(
                b"UPDATE work SET params = %s WHERE id = %s", (convert.dump(merged), work_id)
            )

    async def finish_work(self, work_id: int, outcome: str) -> None:
        await self._run(
            "UPDATE work SET finished_at = %s, outcome = %s WHERE id = %s AND finished_at IS NULL",
            (time.time(), redact.active().redact(outcome), work_id),
        )

    async def unfinished_work(self) -> list[Work]:
        """Work left unfinished by a replica that is gone (a live one's is its own)."""
        rows = await self._all(
            "SELECT * FROM work WHERE finished_at IS NULL AND owner <> %s AND NOT "
            + _ALIVE.format("work.owner")
            + " ORDER BY id",
            (self._owner,),
        )
        return [_work(r) for r in rows]

    async def last_unfinished(self, kind: WorkKind, incident_id: int, key: str) -> Work | None:
        row = await self._maybe(
            "SELECT * FROM work WHERE kind = %s AND incident_id = %s AND key = %s"
            " ORDER BY id DESC LIMIT 1",
            (kind, incident_id, key),
        )
        work = _work(row) if row is not None else None
        return work if work is not None and work.outcome in {None, "interrupted"} else None

    # Units acked and queued in memory (bot.incidents.work)

    async def queue_unit(
        self, name: str, *, actor: str, request_id: str, params: dict[str, Any]
    ) -> int:
        return (await self.queue_units([NewUnit(name, actor, request_id, params)]))[0]

    async def queue_units(self, units: list[NewUnit]) -> list[int]:
        ids = []
        async with self._conn() as db, db.transaction():
            for unit in units:
                cur = await db.execute(
                    b"INSERT INTO queued (name, actor, request_id, params, queued_at, owner)"
                    b" VALUES (%s, %s, %s, %s, %s, %s) RETURNING id",
                    (unit.name, unit.actor, unit.request_id, convert.dump_redacted(unit.params),
                     time.time(), self._owner),
                )  # fmt: skip
                row = await cur.fetchone()
                assert row is not None
                ids.append(int(row["id"]))
        return ids

    async def finish_unit(self, unit_id: int) -> None:
        await self._run(
            "UPDATE queued SET finished_at = %s WHERE id = %s AND finished_at IS NULL",
            (time.time(), unit_id),
        )

    async def unfinished_units(self) -> list[QueuedUnit]:
        """Units a replica that is gone queued and never ended (a live one's are its own)."""
        rows = await self._all(
            "SELECT * FROM queued WHERE finished_at IS NULL AND owner <> %s AND NOT "
            + _ALIVE.format("queued.owner")
            + " ORDER BY id",
            (self._owner,),
        )
        return [queued_unit(r) for r in rows]


def _incident_values(
    *,
    channel: str,
    thread_ts: str | None,
    runbook: str,
    target: str,
    variables: dict[str, Any],
    alert: dict[str, Any] | None,
    opened_by: str,
) -> tuple[Any, ...]:
    return (
        channel, thread_ts, runbook, target,
        convert.dump(variables), convert.dump_redacted(alert or {}), opened_by, time.time(),
    )  # fmt: skip


def _work(row: dict[str, Any]) -> Work:
    return Work(
        id=row["id"], kind=row["kind"], incident_id=row["incident_id"], key=row["key"],
        actor=row["actor"], request_id=row["request_id"], params=json.loads(row["params"]),
        started_at=row["started_at"], owner=row["owner"], finished_at=row["finished_at"],
        outcome=row["outcome"],
    )  # fmt: skip


def _first_line(exc: BaseException | str) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0]
