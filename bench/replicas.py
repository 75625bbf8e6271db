"""Ack latency and alert -> findings with 1 vs 3 `triage serve --http`
replicas on one PostgreSQL database (127.0.0.1:5432, a fresh database per
run, dropped after).

- ack: ROUNDS x 30 app_mention events (distinct ids), 10 at a time, spread
  round-robin over the replicas; the time to each HTTP 200 (Slack's 3 s
  budget), p50 / p99;
- alert -> findings: 4 Alertmanager webhooks for 4 different targets
  (4 outages) posted at once, spread over the replicas; from the post to
  the auto-triage's work row finished in the store (findings edited in).

Each target's one check is a TCP banner read from a loopback peer that
answers at once, so the figures are the bot's own cost, not a peer's.
Prints both setups and the ratios. Usage: python bench/replicas.py [ROUNDS]
"""

from __future__ import annotations

import asyncio
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402
import psycopg  # noqa: E402

from tests.e2e.replicas import ALERT_SECRET, CHANNEL, SECRET, gate, replicas  # noqa: E402
from tests.peers.slack import BoltClient, SlackStandIn  # noqa: E402
from tests.store import pg  # noqa: E402

TARGETS = 4
RUNBOOK = (
    "id: gate\ntitle: Gate\nsummary: bench\ntargets:\n"
    + "".join(
        f"  svc{n}: {{title: Svc {n}, impact: none, protocol: smtp, host: 127.0.0.1, port: PORT}}\n"
        for n in range(TARGETS)
    )
    + "triggers:\n  alertmanager:\n    - alertname: GateDown\n      label: instance\n"
    + "      targets: {"
    + ", ".join(f'"gate:{n}": svc{n}' for n in range(TARGETS))
    + "}\nsteps:\n  - id: hold\n    title: Hold\n    checks:\n"
    + '      - {id: held, type: tcp, host: 127.0.0.1, port: PORT, banner: "^220", timeout: 5}\n'
)


def alert(n: int) -> bytes:
    return json.dumps({
        "receiver": "triage", "status": "firing", "version": "4",
        "groupKey": f'{{}}:{{instance="gate:{n}"}}', "externalURL": "http://am.invalid",
        "groupLabels": {}, "commonLabels": {"alertname": "GateDown"},
        "alerts": [{
            "status": "firing", "labels": {"alertname": "GateDown", "instance": f"gate:{n}"},
            "annotations": {}, "fingerprint": f"f{n:04d}",
            "startsAt": "2026-11-30T06:00:00Z", "endsAt": "0001-01-01T00:00:00Z",
        }],
    }).encode()  # fmt: skip


async def acks(bolts: list[BoltClient], rounds: int) -> list[float]:
    times: list[float] = []

    async def one(n: int) -> None:
        ts = f"1767000000.{n:06d}"
        event = {"type": "app_mention", "user": "U2", "channel": CHANNEL,
                 "text": "<@U0TRIAGEBOT> help", "ts": ts, "event_ts": ts}  # fmt: skip
        started = time.perf_counter()
        reply = await bolts[n % len(bolts)].event(event, event_id=f"EvBench{n}")
        assert reply.status_code == 200
        times.append((time.perf_counter() - started) * 1000)

    for batch in range(rounds * 3):
        await asyncio.gather(*(one(batch * 10 + k) for k in range(10)))
    return times


async def findings(bases: list[str], url: str) -> list[float]:
    sent: dict[int, float] = {}
    async with httpx.AsyncClient(timeout=180) as http:

        async def post(n: int) -> None:
            sent[n] = time.time()
            reply = await http.post(
                f"{bases[n % len(bases)]}/alerts/alertmanager", content=alert(n),
                headers={"X-Alert-Secret": ALERT_SECRET},
            )  # fmt: skip
            assert reply.status_code == 202, reply.text

        await asyncio.gather(*(post(n) for n in range(TARGETS)))
    deadline = time.monotonic() + 300
    sql = (
        "SELECT i.target, w.finished_at FROM work w JOIN incidents i ON i.id = w.incident_id"
        " WHERE w.kind = 'triage' AND w.finished_at IS NOT NULL"
    )
    while True:
        with psycopg.connect(url) as db:
            done = dict(db.execute(sql).fetchall())
        if len(done) >= TARGETS or time.monotonic() > deadline:
            break
        await asyncio.sleep(0.05)  # polling the store for a condition, with a deadline
    assert len(done) == TARGETS, f"{len(done)} of {TARGETS} triages finished"
    return [(done[f"svc{n}"] - sent[n]) * 1000 for n in range(TARGETS)]


def p(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


async def measure(
    count: int, rounds: int, stand_in: SlackStandIn
) -> tuple[list[float], list[float]]:
    with (
        pg.fresh_database() as (url, _),
        gate() as peer,
        tempfile.TemporaryDirectory() as tmp,
    ):
        peer.opened.set()
        with replicas(
            count, url=url, slack_api=stand_in, peer=peer, tmp_path=Path(tmp), runbook=RUNBOOK
        ) as running:
            bolts = [BoltClient(r.base, SECRET, slack=stand_in, timeout=30) for r in running]
            for bolt in bolts:
                await bolt.__aenter__()
            try:
                # Findings first: each mention's reply is paced at one post
                # a second per channel, and would queue ahead of the triages.
                found = await findings([r.base for r in running], url)
                ack = await acks(bolts, rounds)
            finally:
                for bolt in bolts:
                    await bolt.__aexit__(None, None, None)
    return ack, found


def main() -> None:
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 2
    results: dict[int, tuple[list[float], list[float]]] = {}
    with SlackStandIn() as stand_in:
        for count in (1, 3):
            results[count] = asyncio.run(measure(count, rounds, stand_in))
    print(f"{'replicas':>8} | {'ack p50':>8} | {'ack p99':>8} | {'findings p50':>12} | "
          f"{'findings max':>12}  (ms)")  # fmt: skip
    for count, (ack, found) in results.items():
        print(f"{count:>8} | {statistics.median(ack):8.1f} | {p(ack, 0.99):8.1f} | "
              f"{statistics.median(found):12.1f} | {max(found):12.1f}")  # fmt: skip
    (a1, f1), (a3, f3) = results[1], results[3]
    print(f"3 vs 1 replica: ack p99 x{p(a3, 0.99) / p(a1, 0.99):.2f}, "
          f"findings p50 x{statistics.median(f3) / statistics.median(f1):.2f}, "
          f"findings max x{max(f3) / max(f1):.2f}")  # fmt: skip


if __name__ == "__main__":
    main()
