"""How fast the bot acknowledges Slack while it is busy.

50 concurrent `/triage <target>` commands over real HTTP to the bot's Bolt
endpoint, then 50 concurrent `Run all` clicks whose checks (a probe of a peer
that never answers, so each waits out its 5 s deadline) run while the acks
are measured. Slack wants an ack within 3 s. Prints p50/p99 and the ratio of
p99 to the slowest check. Usage: python bench/ack_latency.py [N]
"""

from __future__ import annotations

import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.slack.payloads import Act, ButtonValue  # noqa: E402
from tests.peers.mail import greeting, serving  # noqa: E402
from tests.peers.slack import BoltClient, SlackStandIn  # noqa: E402
from tests.slack.bot import SECRET, running_bot  # noqa: E402


async def timed(call: object) -> float:
    started = time.perf_counter()
    response = await call  # type: ignore[misc]
    assert response.status_code == 200, response.text
    return (time.perf_counter() - started) * 1000


def quantiles(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    return statistics.median(ordered), ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]


async def measure(n: int, slack: BoltClient, stand_in: SlackStandIn) -> None:
    commands = await asyncio.gather(
        *(timed(slack.command("smtp-relay", channel=f"C{i}")) for i in range(n))
    )
    await asyncio.to_thread(
        stand_in.wait_for, lambda: len(stand_in.calls("chat.postMessage")) >= 2 * n, 30
    )
    headers = {
        c.args["channel"]: c.response["ts"]
        for c in stand_in.calls("chat.postMessage")
        if "thread_ts" not in c.args or not c.args.get("thread_ts")
    }
    clicks = await asyncio.gather(
        *(
            timed(
                slack.action(
                    Act.RUN_ALL.value,
                    ButtonValue(incident=i + 1).encode(),
                    channel=channel,
                    message_ts=ts,
                )
            )
            for i, (channel, ts) in enumerate(
                sorted(headers.items(), key=lambda kv: int(kv[0][1:]))
            )
        )
    )
    for label, samples in (("/triage", commands), ("Run all click", clicks)):
        p50, p99 = quantiles(list(samples))
        print(
            f"{label:<14} n={len(samples)} ack p50 {p50:6.1f} ms  p99 {p99:6.1f} ms"
            f"  p99/3 s budget {p99 / 3000:5.3f}  p99/5 s check {p99 / 5000:5.3f}"
        )


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 50
    with (
        SlackStandIn() as stand_in,
        serving(greeting(None)) as silent,
        tempfile.TemporaryDirectory() as tmp,
        running_bot(
            stand_in.url,
            Path(tmp) / "bench.db",
            [
                f"targets.smtp-relay.host={silent.host}",
                f"targets.smtp-relay.port={silent.port}",
                "aws.endpoint_url=http://127.0.0.1:9",
                "aws.max_attempts=1",
            ],
        ) as bot,
    ):

        async def go() -> None:
            async with BoltClient(bot.base, SECRET, slack=stand_in) as slack:
                await measure(n, slack, stand_in)

        asyncio.run(go())


if __name__ == "__main__":
    main()
