"""Deliveries claimed and work recorded before it starts: what start-up
repair and Slack's retries rely on."""

from __future__ import annotations

import logging
import sqlite3
import threading
import time
from pathlib import Path

import pytest

from bot.store import SqliteStore, StoreUnavailable
from tests.faults.locker import store_locked


def incident(store: SqliteStore) -> int:
    return store.open_incident(
        channel="C1", runbook="probe-failure", target="smtp-relay", variables={}, opened_by="U1"
    ).id


def test_a_claim_is_dropped_while_held_and_after_done_and_taken_over_from_the_dead(
    tmp_path: Path,
) -> None:
    first = SqliteStore(tmp_path / "t.db")
    assert first.claim("event:Ev1")
    assert not first.claim("event:Ev1")  # in hand here: a retry is dropped
    successor = SqliteStore(tmp_path / "t.db")  # a new process, the first one dead
    assert successor.claim("event:Ev1")
    successor.finish_claim("event:Ev1")
    assert not successor.claim("event:Ev1")
    assert not SqliteStore(tmp_path / "t.db").claim("event:Ev1")  # done is done


def test_a_released_claim_is_handled_again(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "t.db")
    assert store.claim("event:Ev2")
    store.release("event:Ev2")
    assert store.claim("event:Ev2")


def test_work_left_unfinished_by_another_process_is_listed_once_finished_is_not(
    tmp_path: Path,
) -> None:
    dead = SqliteStore(tmp_path / "t.db")
    n = incident(dead)
    step = dead.start_work("step", n, key="outside-in", actor="U1", request_id="r1")
    done = dead.start_work("triage", n, actor="alert:am", request_id="r2")
    dead.finish_work(done, "fail")
    action = dead.start_work("action", n, key="restart", actor="U1", request_id="r3")
    dead.note_work(action, {"desired_before": 2})
    assert dead.unfinished_work() == []  # its own running work is not "unfinished"

    alive = SqliteStore(tmp_path / "t.db")
    left = alive.unfinished_work()
    assert [(w.kind, w.key) for w in left] == [("step", "outside-in"), ("action", "restart")]
    assert left[1].params == {"desired_before": 2}
    alive.finish_work(step, "interrupted")
    alive.finish_work(action, "interrupted")
    assert alive.unfinished_work() == []
    interrupted = alive.last_unfinished("action", n, "restart")
    assert interrupted is not None and interrupted.params["desired_before"] == 2


def test_a_write_waits_for_another_process_lock_instead_of_failing(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="bot.store.connection")
    db = tmp_path / "t.db"
    store = SqliteStore(db, write_patience=60)
    impatient = SqliteStore(db, write_patience=0)
    with store_locked(db) as locker:
        with pytest.raises(sqlite3.OperationalError, match="locked"):
            impatient.audit(actor="U1", action="x", outcome="y", request_id="r")
        writer = threading.Thread(
            target=store.audit,
            kwargs={"actor": "U1", "action": "run_action", "outcome": "done", "request_id": "r"},
        )
        writer.start()
        deadline = time.monotonic() + 30
        while "locked by another process" not in caplog.text:  # it met the lock and waits
            assert time.monotonic() < deadline and writer.is_alive()
            time.sleep(0.02)
        locker.release()
        writer.join(timeout=30)
    assert [r.outcome for r in store.audit_log()] == ["done"]


def test_a_store_that_cannot_be_opened_says_which_and_why(tmp_path: Path) -> None:
    with pytest.raises(StoreUnavailable, match="unable to open"):
        SqliteStore(tmp_path / "missing" / "t.db")
