"""The SQLite store's one thread (bot.store.thread): calls in order, held
while acks are pending, except calls an ack waits for."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest

from bot.acks import AckGate
from bot.store.thread import StoreThread

NOT_WITHIN_S = 0.1


@pytest.fixture
def gate() -> AckGate:
    return AckGate(quiet_max=30)


@pytest.fixture
def thread(gate: AckGate) -> Iterator[StoreThread]:
    store_thread = StoreThread(gate)
    yield store_thread
    while gate.pending:  # never leave the thread held at shutdown
        gate.leave()
    store_thread.shutdown()


def test_calls_run_in_order(thread: StoreThread) -> None:
    ran: list[int] = []
    done = [thread.submit(lambda i=i: ran.append(i)) for i in range(20)]
    for future in done:
        future.result(timeout=5)
    assert ran == list(range(20))


def test_a_call_waits_for_pending_acks(gate: AckGate, thread: StoreThread) -> None:
    gate.enter()
    later = thread.submit(lambda: "written")
    with pytest.raises(TimeoutError):
        later.result(timeout=NOT_WITHIN_S)
    gate.leave()
    assert later.result(timeout=5) == "written"


def test_a_call_an_ack_waits_for_goes_first(gate: AckGate, thread: StoreThread) -> None:
    gate.enter()
    later = thread.submit(lambda: "written")
    first = thread.submit(lambda: "claimed", first=True)
    assert first.result(timeout=5) == "claimed"  # ahead of the held one
    assert not later.done()
    gate.leave()
    assert later.result(timeout=5) == "written"


def test_a_held_call_runs_after_quiet_max_under_acks_that_never_let_up() -> None:
    gate = AckGate(quiet_max=0.05)
    store_thread = StoreThread(gate)
    gate.enter()
    try:
        assert store_thread.submit(lambda: 1).result(timeout=5) == 1
    finally:
        gate.leave()
        store_thread.shutdown()


def test_an_error_reaches_the_caller(thread: StoreThread) -> None:
    def fails() -> None:
        raise ValueError("locked")

    with pytest.raises(ValueError, match="locked"):
        thread.submit(fails).result(timeout=5)
    assert thread.submit(lambda: "next").result(timeout=5) == "next"


def test_shutdown_runs_what_was_submitted(gate: AckGate) -> None:
    store_thread = StoreThread(gate)
    started = threading.Event()
    release = threading.Event()

    def blocking() -> None:
        started.set()
        release.wait(5)

    store_thread.submit(blocking)
    assert started.wait(5)
    queued = store_thread.submit(lambda: "last")
    release.set()
    store_thread.shutdown()
    assert queued.result(timeout=0) == "last"
    with pytest.raises(RuntimeError):
        store_thread.submit(lambda: None)
