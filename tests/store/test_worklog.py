"""Deliveries claimed and work recorded before it starts: what start-up
repair and Slack's retries rely on."""

from __future__ import annotations

import logging
import sqlite3
import threading
import time
from pathlib import Path

import pytest

from bot.store import SqliteStore, Store, StoreUnavailable
from bot.store.models import NewUnit
from tests.faults.locker import store_locked
from tests.store.conftest import Stores


async def incident(store: Store) -> int:
    opened = await store.open_incident(
        channel="C1", runbook="probe-failure", target="smtp-relay", variables={}, opened_by="U1"
    )
    return opened.id


async def test_a_claim_is_dropped_while_held_and_after_done_and_taken_over_from_the_dead(
    stores: Stores,
) -> None:
    first = await stores.open()
    assert await first.claim("event:Ev1")
    assert not await first.claim("event:Ev1")  # in hand here: a retry is dropped
    await stores.kill(first)
    successor = await stores.open()  # a new process, the first one dead
    assert await successor.claim("event:Ev1")
    await successor.finish_claim("event:Ev1")
    assert not await successor.claim("event:Ev1")
    assert not await (await stores.open()).claim("event:Ev1")  # done is done


# One process per SQLite file: there, another owner is a dead one.
@pytest.mark.parametrize("where", ["postgres"], indirect=True)
async def test_a_claim_held_by_a_live_replica_is_not_taken_over(stores: Stores) -> None:
    first, second = await stores.open(), await stores.open()
    assert await first.claim("event:Ev3")
    assert not await second.claim("event:Ev3")  # a retry reaching the other replica
    await stores.kill(first)
    assert await second.claim("event:Ev3")


async def test_a_released_claim_is_handled_again(store: Store) -> None:
    assert await store.claim("event:Ev2")
    await store.release("event:Ev2")
    assert await store.claim("event:Ev2")


async def test_once_is_once_whoever_asks(stores: Stores) -> None:
    one, other = await stores.open(), await stores.open()
    assert await one.once("view:V1")
    assert not await other.once("view:V1")
    assert not await one.once("view:V1")


async def test_work_left_unfinished_by_another_process_is_listed_once_finished_is_not(
    stores: Stores,
) -> None:
    dead = await stores.open()
    n = await incident(dead)
    step = await dead.start_work("step", n, key="outside-in", actor="U1", request_id="r1")
    done = await dead.start_work("triage", n, actor="alert:am", request_id="r2")
    await dead.finish_work(done, "fail")
    action = await dead.start_work("action", n, key="restart", actor="U1", request_id="r3")
    await dead.note_work(action, {"desired_before": 2})
    assert await dead.unfinished_work() == []  # its own running work is not "unfinished"
    await stores.kill(dead)

    alive = await stores.open()
    left = await alive.unfinished_work()
    assert [(w.kind, w.key) for w in left] == [("step", "outside-in"), ("action", "restart")]
    assert left[1].params == {"desired_before": 2}
    await alive.finish_work(step, "interrupted")
    await alive.finish_work(action, "interrupted")
    assert await alive.unfinished_work() == []
    interrupted = await alive.last_unfinished("action", n, "restart")
    assert interrupted is not None and interrupted.params["desired_before"] == 2


# One process per SQLite file: there, another owner is a dead one.
@pytest.mark.parametrize("where", ["postgres"], indirect=True)
async def test_a_live_replicas_work_is_not_unfinished(stores: Stores) -> None:
    running, starting = await stores.open(), await stores.open()
    n = await incident(running)
    await running.start_work("step", n, key="outside-in", actor="U1", request_id="r1")
    assert await starting.unfinished_work() == []  # start-up repair leaves it alone


async def test_a_step_runs_once_at_a_time_and_is_taken_over_from_the_dead(
    stores: Stores,
) -> None:
    first = await stores.open()
    n = await incident(first)
    run = await first.start_run("step", n, key="outside-in", actor="U1", request_id="r1")
    assert run is not None
    assert await first.start_run("step", n, key="outside-in", actor="U2", request_id="r2") is None
    other = await first.start_run("step", n, key="inside", actor="U2", request_id="r3")
    assert other is not None  # another step of the same incident may run
    await first.finish_work(run, "pass")
    again = await first.start_run("step", n, key="outside-in", actor="U2", request_id="r4")
    assert again is not None
    await stores.kill(first)

    successor = await stores.open()
    taken = await successor.start_run("step", n, key="outside-in", actor="U3", request_id="r5")
    assert taken is not None
    cut = await successor.last_unfinished("step", n, "outside-in")
    assert cut is not None and cut.id == taken  # the dead run was closed as interrupted
    assert all(w.key != "outside-in" for w in await successor.unfinished_work())


async def test_one_action_per_incident_runs_at_a_time_whatever_its_key(stores: Stores) -> None:
    store = await stores.open()
    n, m = await incident(store), await incident(store)
    run = await store.start_exclusive("action", n, key="restart", actor="U1", request_id="r1")
    assert run is not None
    running = await store.last_unfinished("action", n, "restart")  # as a rerun looks it up
    assert running is not None and running.id == run
    for key in ("restart", "force-deploy"):  # the same action, or another, on that incident
        assert (
            await store.start_exclusive("action", n, key=key, actor="U2", request_id="r2") is None
        )
    assert await store.start_exclusive("action", m, key="restart", actor="U2", request_id="r3")
    await store.finish_work(run, "restarted")
    after = await store.start_exclusive(
        "action", n, key="force-deploy", actor="U2", request_id="r4"
    )
    assert after is not None


# One process per SQLite file: there, another owner is a dead one.
@pytest.mark.parametrize("where", ["postgres"], indirect=True)
async def test_an_action_on_a_live_replica_refuses_another_replicas_until_it_finishes(
    stores: Stores,
) -> None:
    first, second = await stores.open(), await stores.open()
    n = await incident(first)
    run = await first.start_exclusive("action", n, key="restart", actor="U1", request_id="r1")
    assert run is not None
    for key in ("restart", "force-deploy"):
        assert (
            await second.start_exclusive("action", n, key=key, actor="U2", request_id="r2") is None
        )
    await first.finish_work(run, "restarted")
    again = await second.start_exclusive("action", n, key="restart", actor="U2", request_id="r3")
    assert again is not None


async def test_an_action_left_by_a_dead_process_blocks_nothing_and_is_left_for_repair(
    stores: Stores,
) -> None:
    dead = await stores.open()
    n = await incident(dead)
    cut = await dead.start_exclusive("action", n, key="restart", actor="U1", request_id="r1")
    assert cut is not None
    await dead.note_work(cut, {"desired_before": 2})
    await stores.kill(dead)

    successor = await stores.open()
    run = await successor.start_exclusive("action", n, key="other", actor="U2", request_id="r2")
    assert run is not None and run != cut
    # Still unfinished: the repair sweep tells its thread; a rerun resumes it.
    assert [w.id for w in await successor.unfinished_work()] == [cut]
    resumed = await successor.last_unfinished("action", n, "restart")
    assert resumed is not None and resumed.params["desired_before"] == 2


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


async def test_a_dead_processs_queued_units_are_left_for_the_next_redacted(
    stores: Stores,
) -> None:
    dead = await stores.open()
    told = await dead.queue_unit("open", actor="U1", request_id="r1", params={"channel": "C1"})
    done = await dead.queue_unit("mention", actor="U2", request_id="r2", params={})
    token = "xoxb-1234567890-abcdefghijkl"  # a secret in what a unit keeps
    await dead.queue_unit("SKIP", actor="U3", request_id="r3", params={"value": token})
    await dead.finish_unit(done)
    assert await dead.unfinished_units() == []  # its own queue is not "unfinished"
    await stores.kill(dead)

    alive = await stores.open()
    left = await alive.unfinished_units()
    assert [(u.name, u.actor, u.request_id) for u in left] == [
        ("open", "U1", "r1"),
        ("SKIP", "U3", "r3"),
    ]
    assert left[0].params == {"channel": "C1"} and left[0].id == told
    assert token not in str(left[1].params)
    for unit in left:
        await alive.finish_unit(unit.id)
    assert await alive.unfinished_units() == []


async def test_a_burst_of_units_is_recorded_at_once_in_order_redacted(stores: Stores) -> None:
    dead = await stores.open()
    token = "xoxb-1234567890-abcdefghijkl"
    units = [NewUnit(f"u{i}", f"U{i}", f"r{i}", {"i": i, "value": token}) for i in range(30)]
    ids = await dead.queue_units(units)
    assert len(set(ids)) == 30 and ids == sorted(ids)
    await dead.finish_unit(ids[0])
    await stores.kill(dead)

    left = await (await stores.open()).unfinished_units()
    assert [(u.id, u.name, u.params["i"]) for u in left] == [
        (ids[i], f"u{i}", i) for i in range(1, 30)
    ]
    assert token not in str([u.params for u in left])
