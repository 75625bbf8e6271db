"""Races the database decides: two stores (two pools, or two connections
to one SQLite file) asked at once, many times over."""

from __future__ import annotations

import asyncio

from bot.store import Store
from tests.store.conftest import Stores

RACERS = 50


async def replicas(stores: Stores) -> list[Store]:
    """Where claims and runs race: two replicas on PostgreSQL; on SQLite,
    within the one process a file serves (another owner of a SQLite file
    is a dead process, whose claims and runs are taken over by design)."""
    if stores.kind == "sqlite":
        return [await stores.open()]
    return [await stores.open(), await stores.open()]


async def test_many_replicas_opening_one_outage_open_exactly_one_incident(stores: Stores) -> None:
    one, other = await stores.open(), await stores.open()
    results = await asyncio.gather(
        *(
            (one if i % 2 else other).open_outage(
                channel="C1",
                runbook="probe-failure",
                target="smtp-relay",
                variables={},
                opened_by=f"alert:{i}",
            )
            for i in range(RACERS)
        )
    )
    assert sum(opened for _, opened in results) == 1
    assert len({incident.id for incident, _ in results}) == 1
    winner = await one.open_incident_for("probe-failure", "smtp-relay")
    assert winner is not None and winner.id == results[0][0].id


async def test_fifty_concurrent_claims_of_one_delivery_have_one_winner(stores: Stores) -> None:
    racers = await replicas(stores)
    won = await asyncio.gather(
        *(racers[i % len(racers)].claim("event:Ev-race") for i in range(RACERS))
    )
    assert sum(won) == 1
    one, other = racers[0], await stores.open()
    once = await asyncio.gather(
        *((one if i % 2 else other).once("view:V-race") for i in range(RACERS))
    )
    assert sum(once) == 1


async def test_concurrent_decisions_on_one_approval_have_one_winner(stores: Stores) -> None:
    one, other = await stores.open(), await stores.open()
    n = (
        await one.open_incident(channel="C1", runbook="r", target="t", variables={}, opened_by="U")
    ).id
    request = await one.request_approval(n, "restart", requester="U1", ttl=60)
    decided = await asyncio.gather(
        *(
            (one if i % 2 else other).decide(
                request.id, status="approved" if i % 3 else "rejected", by=f"U{i}"
            )
            for i in range(RACERS)
        )
    )
    assert sum(decided) == 1
    winner = decided.index(True)
    assert (await other.approval(request.id)).decided_by == f"U{winner}"


async def test_concurrent_clicks_on_one_step_start_one_run(stores: Stores) -> None:
    racers = await replicas(stores)
    n = (
        await racers[0].open_incident(
            channel="C1", runbook="r", target="t", variables={}, opened_by="U"
        )
    ).id
    started = await asyncio.gather(
        *(
            racers[i % len(racers)].start_run(
                "step", n, key="outside-in", actor=f"U{i}", request_id=f"r{i}"
            )
            for i in range(RACERS)
        )
    )
    assert sum(run is not None for run in started) == 1


async def test_concurrent_actions_on_one_incident_start_one(stores: Stores) -> None:
    racers = await replicas(stores)
    n = (
        await racers[0].open_incident(
            channel="C1", runbook="r", target="t", variables={}, opened_by="U"
        )
    ).id
    started = await asyncio.gather(
        *(
            racers[i % len(racers)].start_exclusive(
                "action",
                n,
                key=("restart", "force-deploy")[i % 2],
                actor=f"U{i}",
                request_id=f"r{i}",
            )
            for i in range(RACERS)
        )
    )
    assert sum(run is not None for run in started) == 1


async def test_one_process_holds_a_lease_until_it_lapses(stores: Stores) -> None:
    first, second = await stores.open(), await stores.open()
    assert await first.lease("resolutions", ttl=60)
    assert not await second.lease("resolutions", ttl=60)
    assert await first.lease("resolutions", ttl=0)  # renewed by its holder, lapsing now
    assert await second.lease("resolutions", ttl=60)  # ... and taken over
    assert not await first.lease("resolutions", ttl=60)


async def test_posting_slots_are_shared_by_every_process(stores: Stores) -> None:
    first, second = await stores.open(), await stores.open()
    waits = await asyncio.gather(
        *(s.reserve("post:C1", interval=10) for s in [first, second, first, second])
    )
    # One slot now, then one each 10 s later, whichever process booked it.
    assert sorted(round(w / 10) for w in waits) == [0, 1, 2, 3]
    assert await first.reserve("post:C2", interval=10) < 1  # another channel is free


async def test_repeats_racing_on_two_replicas_take_one_fired_again_note(stores: Stores) -> None:
    """Repeats of an incident's alerts (one alert, and another of the same
    incident) reaching two replicas within milliseconds: one note."""
    one, other = await stores.open(), await stores.open()
    n = (
        await one.open_incident(channel="C1", runbook="r", target="t", variables={}, opened_by="U")
    ).id
    for fingerprint in ("f1", "f2"):
        await one.bind_alert(n, fingerprint=fingerprint, source="am", name="ProbeDown")
    took = await asyncio.gather(
        *(
            (one if i % 2 else other).note_alert(n, f"f{1 + i % 3 // 2}", every=600.0)
            for i in range(RACERS)
        )
    )
    assert sum(took) == 1
    noted = [b.noted_at for b in await other.alerts_of(n) if b.noted_at is not None]
    assert len(noted) == 1
