"""Time from an alert message to the bot's first reply in its thread, and
to the findings, against the slowest check of that triage.

An Alertmanager message for smtp-relay, whose relay accepts and never speaks
(so its probe waits out the 5 s deadline); AWS unreachable. Prints the
ratios. Usage: python bench/alert_to_reply.py [ROUNDS]
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

from bot.store import SqliteStore  # noqa: E402
from tests.peers.mail import greeting, serving  # noqa: E402
from tests.peers.slack import BoltClient, SlackStandIn  # noqa: E402
from tests.slack.bot import SECRET, running_bot  # noqa: E402

EVENT = ROOT / "tests" / "alerts" / "fixtures" / "slack-am-default-webhook-firing.json"


async def one(slack: BoltClient, stand_in: SlackStandIn, n: int) -> tuple[float, float]:
    event = json.loads(EVENT.read_text()) | {"ts": f"1717236{n:03d}.000100"}
    started = time.perf_counter()
    await slack.event(event, event_id=f"Ev{n}")

    def replied() -> bool:
        return any(m.thread_ts == event["ts"] for m in stand_in.messages("C0ALERTS").values())

    def found() -> bool:
        return any(
            m.thread_ts == event["ts"] and "Findings" in json.dumps(m.blocks)
            for m in stand_in.messages("C0ALERTS").values()
        )

    await stand_in.wait_for_async(replied, timeout=30)
    first = time.perf_counter() - started
    await stand_in.wait_for_async(found, timeout=30)
    return first * 1000, (time.perf_counter() - started) * 1000


def main() -> None:
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 3
    with (
        SlackStandIn() as stand_in,
        serving(greeting(None)) as silent,
        tempfile.TemporaryDirectory() as tmp,
    ):
        sets = ["alerts.channels=[C0ALERTS]", "vars.control_domain=example.com",
                f"targets.smtp-relay.host={silent.host}", f"targets.smtp-relay.port={silent.port}",
                "aws.endpoint_url=http://127.0.0.1:9", "aws.max_attempts=1"]  # fmt: skip
        db = Path(tmp) / "bench.db"
        with running_bot(stand_in.url, db, sets, post_interval=1.0) as bot:

            async def go() -> list[tuple[float, float]]:
                async with BoltClient(bot.base, SECRET, slack=stand_in) as slack:
                    out = []
                    for n in range(rounds):
                        out.append(await one(slack, stand_in, n))
                        bot.store.resolve(n + 1, by="bench")  # the next alert opens a new incident
                    return out

            timings = asyncio.run(go())
        store = SqliteStore(db)
        slowest = statistics.median(
            max(
                c["duration_ms"]
                for r in store.latest_runs(i + 1).values()
                for c in r.result["checks"]
            )
            for i in range(rounds)
        )
    first = statistics.median(t[0] for t in timings)
    findings = statistics.median(t[1] for t in timings)
    print(
        f"alert -> first thread reply {first:8.1f} ms | -> findings {findings:8.1f} ms"
        f" | slowest check {slowest:8.1f} ms"
    )
    print(
        f"first reply / slowest check {first / slowest:6.3f}"
        f" | findings / slowest check {findings / slowest:6.3f}"
    )


if __name__ == "__main__":
    main()
