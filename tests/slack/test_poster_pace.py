"""Two replicas posting to one channel keep one pace between them: the
slots are booked in the store they share (SharedPace)."""

from __future__ import annotations

import asyncio
import itertools
import time
from collections.abc import AsyncIterator
from typing import Any

import pytest

from bot.slack.poster import Poster
from bot.store import Store
from bot.store.postgres import PostgresStore
from tests.store import pg

INTERVAL = 0.3


class Recorder:
    """A Web client that notes when each message was posted."""

    def __init__(self, times: list[float]) -> None:
        self.times = times

    async def chat_postMessage(self, **kwargs: Any) -> dict[str, Any]:
        self.times.append(time.monotonic())
        return {"ts": f"{len(self.times)}.0"}


@pytest.fixture
async def shared() -> AsyncIterator[list[Store]]:
    with pg.fresh_schema() as url:
        stores: list[Store] = [PostgresStore(url, min_size=1), PostgresStore(url, min_size=1)]
        for store in stores:
            await store.connect()  # type: ignore[attr-defined]
        try:
            yield stores
        finally:
            for store in stores:
                await store.aclose()


async def post_twice_each(posters: list[Poster]) -> None:
    await asyncio.gather(*(p.post("C1", text="hi", blocks=[]) for p in posters for _ in range(2)))


async def test_replicas_sharing_a_store_post_one_at_a_time_per_channel(
    shared: list[Store],
) -> None:
    times: list[float] = []
    posters = [Poster(Recorder(times), post_interval=INTERVAL) for _ in shared]  # type: ignore[arg-type]
    for poster, store in zip(posters, shared, strict=True):
        poster.share_pace(store)
    await post_twice_each(posters)
    times.sort()
    gaps = [b - a for a, b in itertools.pairwise(times)]
    # Four posts, one slot each: never two within the interval (a little
    # slack for the two clocks: the store's wall clock, the test's monotonic).
    assert min(gaps) > INTERVAL * 0.8, gaps


class Edits:
    """A Web client that notes every chat.update's text and when it came."""

    def __init__(self) -> None:
        self.texts: list[str] = []
        self.times: list[float] = []

    async def chat_update(self, **kwargs: Any) -> dict[str, Any]:
        self.texts.append(kwargs["text"])
        self.times.append(time.monotonic())
        return {"ok": True}


async def test_edits_of_one_message_waiting_their_turn_coalesce_to_the_latest() -> None:
    """Findings streamed as checks finish: the latest state wins, the ones
    in between are never sent, and every caller returns once it is shown."""
    client = Edits()
    poster = Poster(client, edit_interval=INTERVAL)  # type: ignore[arg-type]
    await poster.update("C1", "1.0", text="first", blocks=[])
    await poster.update("C1", "1.0", text="second", blocks=[])
    # Four more while the message's next turn is INTERVAL away.
    await asyncio.gather(
        *(poster.update("C1", "1.0", text=f"state {i}", blocks=[]) for i in range(4))
    )
    assert client.texts == ["first", "second", "state 3"]
    await poster.update("C1", "2.0", text="another message", blocks=[])
    assert client.texts[-1] == "another message"


async def test_a_message_takes_two_edits_at_once_then_one_per_interval() -> None:
    """A state change and the findings right after it go out together, not
    the findings an interval later (a finding took 1.01-1.02 s to show in
    about one bench run in four); the pace stays one edit per interval."""
    client = Edits()
    poster = Poster(client, edit_interval=INTERVAL)  # type: ignore[arg-type]
    for text in ("running", "first findings", "more findings", "done"):
        await poster.update("C1", "1.0", text=text, blocks=[])
    first, second, third, fourth = client.times
    assert second - first < INTERVAL / 2
    assert third - first >= INTERVAL * 0.99
    assert fourth - third >= INTERVAL * 0.99
