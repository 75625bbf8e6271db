"""One SQLite connection and its transactions, patient with a locked file.

Another process may hold the database's write lock (`triage audit` on a
busy file, a backup, an operator's sqlite3 shell). SQLite waits
`busy_timeout` for it; past that a write fails with "database is locked".
Nothing the bot writes may be lost that way (an audit record least of
all), so a write that meets a lock is retried with backoff for
`write_patience` seconds (at BEGIN IMMEDIATE, where a lock is met)
before the error is let through. The store's async
facade (bot.store.aio) runs all of this on its own thread, so the waiting
never holds up the event loop.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

from bot.store import migrations
from bot.store.schema import ADDED_COLUMNS, SCHEMA

log = logging.getLogger(__name__)
T = TypeVar("T")
BUSY_TIMEOUT_S = 2.0
WRITE_PATIENCE_S = 120.0


class StoreUnavailable(Exception):
    """The store file cannot be opened or written (read-only, missing folder, locked for good)."""


def is_locked(exc: sqlite3.OperationalError) -> bool:
    text = str(exc).lower()
    return "locked" in text or "busy" in text


class _Result:
    """A statement's rows, read while the connection's lock was held."""

    def __init__(self, rows: list[sqlite3.Row], rowcount: int, lastrowid: int | None) -> None:
        self._rows = rows
        self.rowcount = rowcount
        self.lastrowid = lastrowid

    def fetchone(self) -> Any:  # as sqlite3's: a row, or None when there is none
        return self._rows[0] if self._rows else None

    def fetchall(self) -> list[sqlite3.Row]:
        return list(self._rows)

    def __iter__(self) -> Iterator[sqlite3.Row]:
        return iter(self._rows)


class Guarded:
    """The one sqlite3 connection, used by one thread at a time.

    The store runs on its own thread (bot.store.aio), but a shutdown closes
    the connection from another, and tests and start-up read it from theirs:
    Python's sqlite3 objects are not safe to use from two threads at once
    (a close during a query was seen to crash the process). Every statement
    runs, and has its rows read, under the lock; close takes it too."""

    def __init__(self, db: sqlite3.Connection, lock: threading.RLock) -> None:
        self._db = db
        self._lock = lock
        self._closed = False

    def execute(self, sql: str, params: Sequence[object] = ()) -> _Result:
        with self._lock:
            if self._closed:
                raise sqlite3.ProgrammingError("Cannot operate on a closed database.")
            cursor = self._db.execute(sql, params)
            return _Result(cursor.fetchall(), cursor.rowcount, cursor.lastrowid)

    def executescript(self, script: str) -> None:
        with self._lock:
            self._db.executescript(script)

    @property
    def in_transaction(self) -> bool:
        with self._lock:
            return self._db.in_transaction

    def close(self) -> None:
        with self._lock:
            self._closed = True
            self._db.close()


class Connection:
    def __init__(self, path: Path | str, *, write_patience: float = WRITE_PATIENCE_S) -> None:
        self.path = str(path)
        self.write_patience = write_patience
        # This process, as the owner of work it starts: work left unfinished
        # by another owner was cut short by a restart (bot.slack.recovery).
        self.owner = uuid.uuid4().hex
        self._lock = threading.RLock()
        try:
            db = sqlite3.connect(
                self.path, check_same_thread=False, isolation_level=None, timeout=BUSY_TIMEOUT_S
            )
            db.row_factory = sqlite3.Row
            self._db = Guarded(db, self._lock)
            self._db.execute("PRAGMA journal_mode=WAL")
            # With WAL, NORMAL syncs at checkpoints instead of on every
            # commit. A crash of the bot loses nothing; only a power loss can
            # drop the last moments, never corrupt the file.
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._retrying(lambda: self._db.executescript(SCHEMA))
            self._retrying(self._migrate)
            self._upgrade()
        except sqlite3.Error as exc:
            raise StoreUnavailable(f"cannot use the store {self.path}: {exc}") from exc

    def _migrate(self) -> None:
        for table, added in ADDED_COLUMNS.items():
            columns = {r["name"] for r in self._db.execute(f"PRAGMA table_info({table})")}
            for name, definition in added:
                if name not in columns:
                    self._db.execute(f"ALTER TABLE {table} ADD COLUMN {name} {definition}")

    def _upgrade(self) -> None:
        """The numbered steps after version 1 (the schema above), each once:
        under the write lock, so two processes opening one file upgrade once."""
        with self._tx() as db:
            db.execute(migrations.VERSION_TABLE)
            current = db.execute("SELECT MAX(version) FROM schema_version").fetchone()[0] or 0
            if current < 1:
                db.execute("INSERT INTO schema_version VALUES (1, ?)", (time.time(),))
            for version, statements in migrations.pending(migrations.SQLITE, max(current, 1)):
                for statement in statements:
                    db.execute(statement)
                db.execute("INSERT INTO schema_version VALUES (?, ?)", (version, time.time()))

    def schema_version(self) -> int:
        return int(self._db.execute("SELECT MAX(version) FROM schema_version").fetchone()[0])

    def close(self) -> None:
        self._db.close()

    @contextmanager
    def _tx(self) -> Iterator[Guarded]:
        """One write transaction. BEGIN IMMEDIATE takes the write lock at
        once, so a lock held elsewhere is met (and waited out) there, never
        halfway through the transaction's statements."""
        with self._lock:
            self._retrying(lambda: self._db.execute("BEGIN IMMEDIATE"))
            try:
                yield self._db
                self._db.execute("COMMIT")
            except BaseException:
                if self._db.in_transaction:
                    self._db.execute("ROLLBACK")
                raise

    def _retrying(self, attempt: Callable[[], T]) -> T:
        deadline = time.monotonic() + self.write_patience
        pause = 0.05
        while True:
            try:
                return attempt()
            except sqlite3.OperationalError as exc:
                if not is_locked(exc) or time.monotonic() + pause > deadline:
                    raise
                log.warning("the store is locked by another process; retrying in %.2f s", pause)
                time.sleep(pause)
                pause = min(pause * 2, 2.0)
