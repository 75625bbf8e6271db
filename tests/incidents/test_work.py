"""The work queue after acks (bot.incidents.work): acks first, one stretch
of work at a time, a failed unit told, a bounded queue."""

from __future__ import annotations

import asyncio
import gc
import itertools
import socket
from collections.abc import Iterator

import pytest

from bot import logs
from bot.acks import ACKS, Collector
from bot.incidents.work import Full, Work, started

# How long a unit is given to show that it did *not* begin: a deadline on a
# condition that must stay false, far below the work's own quiet_max.
NOT_WITHIN_S = 0.1


async def test_work_waits_while_a_request_is_being_acked() -> None:
    work = Work(quiet_max=30)
    began = asyncio.Event()

    async def unit() -> None:
        began.set()

    with work.acking():
        assert work.submit("u", unit) == 0
        with pytest.raises(TimeoutError):
            await asyncio.wait_for(began.wait(), NOT_WITHIN_S)
        assert work.ahead == 1
    await asyncio.wait_for(began.wait(), 5)
    await work.drain()
    assert work.ahead == 0


async def test_work_goes_ahead_under_acks_that_never_let_up() -> None:
    """quiet_max bounds the wait: work is slower under load, never starved."""
    work = Work(quiet_max=0.01)
    began = asyncio.Event()

    async def unit() -> None:
        began.set()

    with work.acking():
        work.submit("u", unit)
        await asyncio.wait_for(began.wait(), 5)


async def test_stretches_run_one_at_a_time() -> None:
    work = Work()
    inside, most = 0, 0

    async def unit() -> None:
        nonlocal inside, most
        for _ in range(3):
            async with work.turn():
                inside += 1
                most = max(most, inside)
                await asyncio.sleep(0)  # another unit would get in here if it could
                inside -= 1

    for i in range(10):
        work.submit(f"u{i}", unit)
    await work.drain()
    assert most == 1


async def test_a_failed_unit_is_told_and_the_others_still_run() -> None:
    work = Work()
    told: list[BaseException] = []
    ran: list[str] = []

    async def broken() -> None:
        raise RuntimeError("boom")

    async def fine() -> None:
        ran.append("fine")

    async def tell(error: BaseException) -> None:
        told.append(error)

    work.submit("broken", broken, failed=tell)
    work.submit("fine", fine)
    await work.drain()
    assert [str(e) for e in told] == ["boom"] and ran == ["fine"]


async def test_units_count_who_is_ahead_and_a_full_queue_refuses() -> None:
    work = Work(queued_max=3, quiet_max=30)

    async def unit() -> None:
        pass

    with work.acking():
        assert [work.submit(f"u{i}", unit) for i in range(3)] == [0, 1, 2]
        with pytest.raises(Full):
            work.submit("one too many", unit)
    await work.drain()
    assert work.ahead == 0


async def test_started_gives_a_run_its_start_within_one_stretch() -> None:
    work = Work()
    steps: list[str] = []

    async def run() -> str:
        steps.append("started")
        await asyncio.sleep(0)
        steps.append("still starting")
        return "done"

    task = await started(work, run())
    assert steps == ["started", "still starting"]  # before the stretch ended
    assert await task == "done"


async def test_work_waits_a_grace_after_the_last_ack() -> None:
    """Requests come in bursts: work started between two of them would hold
    up the next one's ack."""
    work = Work(quiet_max=30, grace=0.5)
    began = asyncio.Event()

    async def unit() -> None:
        began.set()

    with work.acking():
        work.submit("u", unit)
    with pytest.raises(TimeoutError):  # the ack is answered; the grace is not over
        await asyncio.wait_for(began.wait(), NOT_WITHIN_S)
    await asyncio.wait_for(began.wait(), 5)


async def test_an_ack_within_the_grace_keeps_work_waiting() -> None:
    work = Work(quiet_max=30, grace=0.3)
    began = asyncio.Event()

    async def unit() -> None:
        began.set()

    with work.acking():
        work.submit("u", unit)
    await asyncio.sleep(0.2)  # the burst goes on: another request within the grace
    with work.acking():
        pass
    with pytest.raises(TimeoutError):  # 0.3 s after the second, not the first
        await asyncio.wait_for(began.wait(), 0.2)
    await asyncio.wait_for(began.wait(), 5)


async def test_work_that_waited_its_longest_goes_ahead_for_a_while() -> None:
    """Under acks that never let up, work gets a fair share, not one stretch
    per quiet_max."""
    work = Work(quiet_max=0.2, overdue=30)
    with work.acking():
        await asyncio.wait_for(work.quiet(), 5)  # waited its longest
        # The next stretches do not wait again (they would, 0.2 s each).
        for _ in range(3):
            await asyncio.wait_for(work.quiet(), NOT_WITHIN_S)


async def test_acking_holds_the_threads_gate() -> None:
    """Work on other threads (the store's, AWS calls) holds too (bot.acks)."""
    work = Work()
    with work.acking():
        assert not ACKS.open()
    # Open again once its grace is over (a thread holding waits for this).
    await asyncio.wait_for(asyncio.to_thread(ACKS.hold), 5)
    assert ACKS.open()


async def test_a_requests_bytes_hold_work_before_bolt_has_it() -> None:
    """Bytes arriving on a connection (bot.slack.http_limits) hold work as an
    ack does, from before the loop has parsed the request: 200 Run all
    clicks sent while incidents were still opening waited 15 ms for the
    loop to read the first of them."""
    work = Work(quiet_max=30, grace=0.5)
    began = asyncio.Event()

    async def unit() -> None:
        began.set()

    work.submit("u", unit)
    work.arriving()
    assert not ACKS.open()  # the threads hold too
    with pytest.raises(TimeoutError):
        await asyncio.wait_for(began.wait(), NOT_WITHIN_S)
    # A request that never reaches Bolt (a slow body) holds work for the grace only.
    await asyncio.wait_for(began.wait(), 5)


async def test_bytes_arriving_during_an_ack_do_not_end_its_wait() -> None:
    work = Work(quiet_max=30, grace=0.01)
    with work.acking():
        work.arriving()
        with pytest.raises(TimeoutError):  # the ack is pending, whatever the grace
            await asyncio.wait_for(work.quiet(), NOT_WITHIN_S)
    await asyncio.wait_for(work.quiet(), 5)


@pytest.fixture
def collector_on() -> Iterator[None]:
    """The process's garbage collector on, and as it was afterwards."""
    was = gc.isenabled()
    gc.enable()
    try:
        yield
    finally:
        (gc.enable if was else gc.disable)()


async def test_the_collector_waits_out_a_burst_of_acks(collector_on: None) -> None:
    """A collection is work: one in a burst of 200 clicks stopped the loop
    for 8.7 ms. It is held from the first ack to the end of the grace."""
    work = Work(quiet_max=30, grace=0.05, collector=Collector(quiet_max=30))
    with work.acking():
        assert not gc.isenabled()
    work.arriving()
    assert not gc.isenabled()  # within the grace
    await asyncio.wait_for(work.quiet(), 5)
    assert gc.isenabled()


def test_the_collector_is_let_go_under_acks_that_never_let_up(collector_on: None) -> None:
    collector = Collector(quiet_max=0.0, overdue=30)
    collector.hold()
    assert not gc.isenabled()
    collector.hold()  # held its longest: let go, and left alone for `overdue`
    assert gc.isenabled()
    collector.hold()
    assert gc.isenabled() and not collector.held


def test_the_collector_is_left_as_something_else_set_it(collector_on: None) -> None:
    """`triage lint` turns it off for a while (collector_paused): a release
    must not turn it back on under that."""
    gc.disable()
    collector = Collector()
    collector.hold()
    collector.release()
    assert not gc.isenabled() and not collector.held


async def test_the_loop_polls_its_sockets_between_any_two_stretches() -> None:
    """Units ready at once take their stretches one per pass of the loop,
    with its sockets read in between: a request arriving meanwhile waits
    for one stretch, not all of them (50 in a row once left 200 clicks
    unread for 16 ms)."""
    work = Work()
    seen: list[str] = []
    here, there = socket.socketpair()
    there.send(b"x")  # never read: the loop's poll finds it readable every pass
    loop = asyncio.get_running_loop()
    loop.add_reader(here, seen.append, "poll")

    async def unit() -> None:
        async with work.turn():
            seen.append("stretch")

    try:
        await asyncio.wait_for(asyncio.gather(*(unit() for _ in range(10))), 5)
    finally:
        loop.remove_reader(here)
        here.close()
        there.close()
    stretches = [i for i, what in enumerate(seen) if what == "stretch"]
    assert len(stretches) == 10
    assert all(b - a > 1 for a, b in itertools.pairwise(stretches)), seen


async def test_units_submitted_in_a_burst_get_their_tasks_once_it_is_answered() -> None:
    """Submitting is all a listener does on the ack path: a unit's task,
    and its first steps, come after the burst (~10 us an ack otherwise)."""
    work = Work(quiet_max=30, grace=0.01)
    ran: list[str | None] = []

    async def unit() -> None:
        ran.append(logs.request_id.get())  # the submitting request's, on its log lines

    before = len(asyncio.all_tasks())
    with work.acking():
        for i in range(10):
            logs.request_id.set(f"r{i}")
            work.submit("u", unit)
        assert len(asyncio.all_tasks()) - before <= 1  # one starter, not a task per unit
        assert work.ahead == 10
    await asyncio.wait_for(work.drain(), 5)
    assert sorted(ran) == sorted(f"r{i}" for i in range(10))
    assert work.ahead == 0
