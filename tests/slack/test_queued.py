"""Admission control (bot.slack.queued): a request is told it is queued
only when the queue is deep, not during a burst of acks; a full queue
refuses rather than queuing forever."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from bot.incidents.work import Work
from bot.slack import queued
from bot.store import SqliteStore
from bot.store.aio import AsyncStore
from bot.store.models import NewUnit
from tests.faults.waiting import until


async def _nothing() -> None:
    pass


def _fill(work: Work, count: int) -> None:
    for i in range(count):
        work.submit(f"u{i}", _nothing)


async def test_a_burst_is_not_deep_however_many_are_ahead() -> None:
    work = Work(quiet_max=30)
    with work.acking():
        _fill(work, queued.NOTE_AT * 3)
        assert not queued.deep(work)  # they were queued just now
    await work.drain()


async def test_a_backlog_is_deep_from_note_at_units(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(queued, "NOTE_AFTER_S", 0.0)  # as if the oldest had waited long
    work = Work(quiet_max=30)
    with work.acking():
        _fill(work, queued.NOTE_AT - 1)
        assert not queued.deep(work)
        _fill(work, 1)
        assert queued.deep(work)
        assert (
            queued.note(work.ahead)
            == f"⏳ Queued, {queued.NOTE_AT} ahead: this starts as soon as they have."
        )
    await work.drain()
    assert not queued.deep(work)


async def test_a_full_queue_refuses() -> None:
    work = Work(queued_max=1, quiet_max=30)
    body: dict[str, Any] = {}
    with work.acking():
        assert queued.later(work, "first", _nothing, body=body, client=None) == 0  # type: ignore[arg-type]
        assert queued.later(work, "second", _nothing, body=body, client=None) is None  # type: ignore[arg-type]
    await work.drain()


async def test_a_burst_of_acks_is_recorded_in_one_store_call(tmp_path: Path) -> None:
    """One write for the units acked together, after their acks: not one
    store call (and one answer for the loop to take) per unit."""
    store = Counting(SqliteStore(tmp_path / "t.db"))
    work = Work(quiet_max=30)
    done = asyncio.Event()

    async def unit() -> None:
        done.set()

    with work.acking():
        for i in range(20):
            kept = queued.Kept(store, f"U{i}", f"r{i}", {"channel": "C1"})
            queued.later(work, f"u{i}", unit, body={}, client=None, kept=kept)  # type: ignore[arg-type]
        assert store.writes == []  # never while the acks are on their way
    await work.drain()
    assert await until(lambda: store.finished == 20)
    assert store.writes == [20]
    assert store.sync.unfinished_units() == []  # each finished once it ran


class Counting(AsyncStore):
    def __init__(self, sync: SqliteStore) -> None:
        super().__init__(sync)
        self.writes: list[int] = []
        self.finished = 0

    async def queue_units(self, units: list[NewUnit]) -> list[int]:
        self.writes.append(len(units))
        return await super().queue_units(units)

    async def finish_unit(self, unit_id: int) -> None:
        await super().finish_unit(unit_id)
        self.finished += 1
