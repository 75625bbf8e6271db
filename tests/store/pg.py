"""The machine's PostgreSQL (127.0.0.1:5432, database `test`, user
`postgres`, trust auth) as a test peer: each test gets a schema of its own,
created and dropped here, and never touches any other schema."""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import psycopg
import pytest

SERVER = "postgresql://postgres@127.0.0.1:5432/test"


def answers() -> str | None:
    """None if the server answers, else why not."""
    try:
        psycopg.connect(SERVER, connect_timeout=3).close()
    except psycopg.Error as exc:
        return str(exc).strip().splitlines()[0]
    return None


def require() -> None:
    """Skip without a server, except under CI, where a missing server fails."""
    why = answers()
    if why is None:
        return
    if os.environ.get("CI"):
        pytest.fail(f"CI: no PostgreSQL at 127.0.0.1:5432 ({why})")
    pytest.skip(f"no PostgreSQL at 127.0.0.1:5432 ({why})")


@contextmanager
def fresh_schema() -> Iterator[str]:
    """A URL whose search_path is a new, empty schema; dropped afterwards."""
    require()
    name = f"t_{uuid.uuid4().hex}"
    with psycopg.connect(SERVER, autocommit=True) as db:
        db.execute(f'CREATE SCHEMA "{name}"'.encode())
    try:
        yield f"{SERVER}?options=-csearch_path%3D{name}"
    finally:
        with psycopg.connect(SERVER, autocommit=True) as db:
            db.execute(f'DROP SCHEMA "{name}" CASCADE'.encode())


@contextmanager
def fresh_database() -> Iterator[tuple[str, str]]:
    """(URL, name) of a new, empty database; dropped afterwards with every
    session still on it. For tests that cut the bot's sessions: those are
    exactly the sessions on this database, nobody else's."""
    require()
    name = f"t_{uuid.uuid4().hex}"
    with psycopg.connect(SERVER, autocommit=True) as db:
        db.execute(f'CREATE DATABASE "{name}"'.encode())
    try:
        yield SERVER.rsplit("/", 1)[0] + f"/{name}", name
    finally:
        with psycopg.connect(SERVER, autocommit=True) as db:
            db.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'.encode())


def terminate_sessions(database: str) -> int:
    """pg_terminate_backend on every session of `database` (what a server
    restart does to its clients); how many were cut."""
    with psycopg.connect(SERVER, autocommit=True) as db:
        rows = db.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
            " WHERE datname = %s AND pid <> pg_backend_pid()",
            (database,),
        ).fetchall()
    return len(rows)


def wait_gone(owner: str, deadline_s: float = 10.0) -> None:
    """Until PostgreSQL no longer lists a session of `owner` (its backends
    exit just after their clients close them)."""
    deadline = time.monotonic() + deadline_s
    with psycopg.connect(SERVER, autocommit=True) as db:
        while db.execute(
            "SELECT 1 FROM pg_stat_activity WHERE application_name = %s", (f"triage:{owner}",)
        ).fetchone():
            assert time.monotonic() < deadline, f"sessions of {owner} still listed"
            time.sleep(0.02)
