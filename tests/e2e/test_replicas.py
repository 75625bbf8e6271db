"""Three `triage serve --http` processes on one PostgreSQL database behind
an imaginary load balancer (each request to whichever replica), the strict
Slack stand-in, and a TCP peer the test holds back: the races of #17 are
decided by the database, a replica's death loses nothing, and cut database
sessions are recovered without a restart."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from contextlib import AsyncExitStack
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest

from bot.slack.payloads import Act
from tests.e2e.replicas import (
    ALERT_SECRET,
    CHANNEL,
    SECRET,
    Gate,
    Replica,
    gate,
    replicas,
    wait_until,
)
from tests.peers.slack import BoltClient, SlackStandIn
from tests.slack.thread import button
from tests.store import pg

# Several bot processes on two shared cores; no AWS is asked (the runbook's
# checks are TCP only), so no credentials are needed or passed on.
pytestmark = pytest.mark.timeout(300)


@pytest.fixture
def database() -> Iterator[tuple[str, str]]:
    with pg.fresh_database() as made:
        yield made


@pytest.fixture
def peer() -> Iterator[Gate]:
    with gate() as held:
        yield held


def rows(url: str, sql: str) -> list[tuple[Any, ...]]:
    with psycopg.connect(url) as db:
        return db.execute(sql.encode()).fetchall()


def count(url: str, sql: str) -> int:
    return int(rows(url, sql)[0][0])


async def clients(
    stack: AsyncExitStack, running: list[Replica], slack_api: SlackStandIn
) -> list[BoltClient]:
    return [
        await stack.enter_async_context(BoltClient(r.base, SECRET, slack=slack_api, timeout=60))
        for r in running
    ]


def mention(n: int) -> dict[str, Any]:
    ts = f"1767000000.{n:06d}"
    return {"type": "app_mention", "user": "U2", "channel": CHANNEL,
            "text": "<@U0TRIAGEBOT> svc", "ts": ts, "event_ts": ts}  # fmt: skip


def with_button(slack_api: SlackStandIn, act: Act) -> list[Any]:
    return [
        m
        for m in slack_api.messages(CHANNEL).values()
        if any(
            e.get("action_id") == act.value for b in m.blocks or [] for e in b.get("elements", [])
        )
    ]


def lines(running: list[Replica], needle: str) -> int:
    return sum(r.text().count(needle) for r in running)


async def test_the_same_alert_to_every_replica_is_one_incident(
    slack_api: SlackStandIn, database: tuple[str, str], peer: Gate, tmp_path: Path
) -> None:
    peer.opened.set()
    url, _ = database
    body = json.dumps({
        "receiver": "triage", "status": "firing", "version": "4",
        "groupKey": "{}:{alertname=\"GateDown\"}", "externalURL": "http://am.invalid",
        "groupLabels": {"alertname": "GateDown"}, "commonLabels": {"alertname": "GateDown"},
        "alerts": [{
            "status": "firing", "labels": {"alertname": "GateDown", "instance": "gate:1"},
            "annotations": {"summary": "the gate is down"}, "fingerprint": "9a1b",
            "startsAt": "2026-11-30T06:00:00Z", "endsAt": "0001-01-01T00:00:00Z",
        }],
    }).encode()  # fmt: skip
    with replicas(3, url=url, slack_api=slack_api, peer=peer, tmp_path=tmp_path) as running:
        async with httpx.AsyncClient(timeout=60) as http:
            replies = await asyncio.gather(*(
                http.post(f"{r.base}/alerts/alertmanager", content=body,
                          headers={"X-Alert-Secret": ALERT_SECRET})
                for r in running
            ))  # fmt: skip
        assert [r.status_code for r in replies] == [202] * 3, [r.text for r in replies]
        finished = "SELECT count(*) FROM work WHERE kind = 'triage' AND finished_at IS NOT NULL"
        assert wait_until(lambda: count(url, finished) >= 1)
    assert count(url, "SELECT count(*) FROM incidents") == 1
    assert count(url, "SELECT count(*) FROM alerts") == 1  # one binding of the one alert
    assert count(url, "SELECT count(*) FROM work WHERE kind = 'triage'") == 1  # triaged once
    assert count(url, "SELECT count(*) FROM step_runs") == 2  # each step once


async def test_four_deliveries_of_one_event_over_three_replicas_get_one_reply(
    slack_api: SlackStandIn, database: tuple[str, str], peer: Gate, tmp_path: Path
) -> None:
    peer.opened.set()
    url, _ = database
    with replicas(3, url=url, slack_api=slack_api, peer=peer, tmp_path=tmp_path) as running:
        async with AsyncExitStack() as stack:
            bolts = await clients(stack, running, slack_api)
            replies = await asyncio.gather(*(
                bolts[n % 3].event(mention(1), event_id="Ev0REPLICAS", retry_num=n or None)
                for n in range(4)
            ))  # fmt: skip
            # Every claim was decided before its delivery was acked.
            assert wait_until(lambda: with_button(slack_api, Act.RUN_STEP))
        assert [r.status_code for r in replies] == [200] * 4
        assert lines(running, "dropped a repeated delivery of Ev0REPLICAS") == 3
    assert count(url, "SELECT count(*) FROM incidents") == 1
    assert len(with_button(slack_api, Act.RUN_ALL)) == 1  # one header: one reply


async def test_fifty_clicks_over_replicas_on_ten_incidents_run_each_step_once(
    slack_api: SlackStandIn, database: tuple[str, str], peer: Gate, tmp_path: Path
) -> None:
    url, _ = database
    with replicas(3, url=url, slack_api=slack_api, peer=peer, tmp_path=tmp_path) as running:
        async with AsyncExitStack() as stack:
            bolts = await clients(stack, running, slack_api)
            for n in range(10):
                await bolts[n % 3].event(mention(n), event_id=f"EvOpen{n}")
            assert wait_until(lambda: len(with_button(slack_api, Act.RUN_STEP)) >= 10)
            steps = with_button(slack_api, Act.RUN_STEP)
            clicks = [
                bolts[(i + k) % 3].action(
                    Act.RUN_STEP.value, button(step, Act.RUN_STEP.value), channel=CHANNEL,
                    message_ts=step.ts, thread_ts=step.thread_ts,
                )
                for i, step in enumerate(steps)
                for k in range(5)
            ]  # fmt: skip
            replies = await asyncio.gather(*clicks)
            assert [r.status_code for r in replies] == [200] * 50
            # Held at the peer: every click is decided while its step runs.
            assert wait_until(lambda: lines(running, "is already running") >= 40), [
                r.text()[-2000:] for r in running
            ]
            assert wait_until(lambda: peer.connections >= 10)
            held = peer.connections
            peer.opened.set()
            assert wait_until(lambda: count(url, "SELECT count(*) FROM step_runs") >= 10)
    assert held == 10
    assert lines(running, "is already running") == 40
    per_incident = rows(url, "SELECT incident_id, count(*) FROM step_runs GROUP BY incident_id")
    assert sorted(n for _, n in per_incident) == [1] * 10


async def test_a_replica_killed_mid_run_all_is_finished_by_another(
    slack_api: SlackStandIn, database: tuple[str, str], peer: Gate, tmp_path: Path
) -> None:
    url, _ = database
    with replicas(3, url=url, slack_api=slack_api, peer=peer, tmp_path=tmp_path) as running:
        async with AsyncExitStack() as stack:
            bolts = await clients(stack, running, slack_api)
            await bolts[0].event(mention(1), event_id="EvKill")
            assert wait_until(lambda: with_button(slack_api, Act.RUN_ALL))
            [header] = with_button(slack_api, Act.RUN_ALL)
            reply = await bolts[0].action(
                Act.RUN_ALL.value, button(header, Act.RUN_ALL.value), channel=CHANNEL,
                message_ts=header.ts, thread_ts=header.thread_ts,
            )  # fmt: skip
            assert reply.status_code == 200
            assert wait_until(lambda: peer.connections >= 2)  # both steps held, on replica 0
            running[0].kill()
            peer.opened.set()
            done = "SELECT count(*) FROM work WHERE kind = 'run_all' AND outcome <> 'interrupted'"
            assert wait_until(lambda: count(url, done) == 1), [r.text()[-2000:] for r in running]
    outcomes = rows(url, "SELECT outcome FROM work WHERE kind = 'run_all' ORDER BY id")
    assert outcomes[0] == ("interrupted",) and len(outcomes) == 2
    per_step = rows(url, "SELECT step_id, count(*) FROM step_runs GROUP BY step_id ORDER BY 1")
    assert per_step == [("hold", 1), ("second", 1)]  # nothing lost, nothing run twice


async def test_cut_database_sessions_are_recovered_without_a_restart(
    slack_api: SlackStandIn, database: tuple[str, str], peer: Gate, tmp_path: Path
) -> None:
    """What a PostgreSQL restart does to its clients, on a shared server:
    every session of the bot's database is terminated."""
    peer.opened.set()
    url, name = database
    with replicas(2, url=url, slack_api=slack_api, peer=peer, tmp_path=tmp_path) as running:
        async with AsyncExitStack() as stack:
            bolts = await clients(stack, running, slack_api)
            assert pg.terminate_sessions(name) >= 2
            for n, bolt in enumerate(bolts):
                reply = await bolt.event(mention(n), event_id=f"EvCut{n}")
                assert reply.status_code == 200
            assert wait_until(lambda: len(with_button(slack_api, Act.RUN_STEP)) >= 2)
            for r in running:
                assert wait_until(lambda r=r: _store_ok(r)), r.text()[-2000:]  # type: ignore[misc]
        assert all(r.process.poll() is None for r in running)
    assert count(url, "SELECT count(*) FROM incidents") == 2


def _store_ok(replica: Replica) -> bool:
    return bool(httpx.get(f"{replica.base}/healthz").json().get("store") == "ok")
