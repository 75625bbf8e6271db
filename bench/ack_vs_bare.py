"""Ack latency of our bot versus a bare Bolt AsyncApp that only acks.

Both apps are served the same way: `AsyncApp.web_app()` on aiohttp (through
`bot.slack.server.start_http`) on a loop thread of this process, the same
signing secret, the Web API pointed at the same Slack stand-in, and the same
signed requests from `BoltClient` over real loopback HTTP. The bare app has a
`/triage` command listener and a catch-all action listener that only ack.

Each round (alternating bare / ours, a fresh bot and store per round) sends,
each batch N concurrent requests in new channels:
  1. `/triage smtp-relay`;
  2. `Run all` clicks on the incidents just opened; our checks (a relay and
     two vantage points that accept and never answer, so each waits out its
     5 s deadline) start running;
  3. `/triage smtp-relay` again while those checks are still running.
Prints p50/p99 per batch and for all acks pooled, and the ratios
p99(ours)/p99(bare) and p50(ours)/p50(bare).

Usage: python bench/ack_vs_bare.py [--n 50] [--rounds 3]
"""

from __future__ import annotations

import argparse
import asyncio
import re
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Awaitable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.slack.payloads import Act  # noqa: E402
from bot.slack.server import start_http  # noqa: E402
from tests.peers.mail import Peer, greeting, serving  # noqa: E402
from tests.peers.slack import BoltClient, SlackStandIn  # noqa: E402
from tests.slack.bot import SECRET, TOKEN, running_bot  # noqa: E402

BATCHES = ("/triage", "Run all click", "/triage, checks running")
CHECK_DEADLINE_S = 5.0
Samples = dict[str, list[float]]


def bare_app(api_url: str) -> AsyncApp:
    app = AsyncApp(client=AsyncWebClient(token=TOKEN, base_url=api_url), signing_secret=SECRET)

    @app.command("/triage")
    async def command(ack: AsyncAck) -> None:
        await ack()

    @app.action(re.compile(".*"))
    async def action(ack: AsyncAck) -> None:
        await ack()

    return app


@contextmanager
def running_bare(api_url: str) -> Iterator[str]:
    """The bare app on 127.0.0.1:0 on its own loop thread; yields the base URL."""
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True, name="bare")
    thread.start()
    start = start_http(bare_app(api_url), host="127.0.0.1", port=0)
    runner, port = asyncio.run_coroutine_threadsafe(start, loop).result(timeout=10)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        asyncio.run_coroutine_threadsafe(runner.cleanup(), loop).result(timeout=10)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=10)
        loop.close()


async def timed(call: Awaitable[httpx.Response]) -> float:
    started = time.perf_counter()
    response = await call
    if response.status_code != 200:
        raise RuntimeError(f"ack was {response.status_code}: {response.text[:200]}")
    return (time.perf_counter() - started) * 1000


def run_all_value(blocks: list[dict[str, Any]]) -> str | None:
    """The value of the Run all button in a message's blocks, if it has one."""
    for block in blocks:
        for element in block.get("elements", []) or []:
            if isinstance(element, dict) and element.get("action_id") == Act.RUN_ALL.value:
                return str(element.get("value"))
    return None


async def headers(stand_in: SlackStandIn, channels: list[str]) -> dict[str, tuple[str, str]]:
    """channel -> (ts, Run all value) of each incident header, once all are posted."""

    def found() -> dict[str, tuple[str, str]]:
        out = {}
        for channel in channels:
            for ts, message in stand_in.messages(channel).items():
                value = run_all_value(message.blocks or [])
                if value is not None:
                    out[channel] = (ts, value)
                    break
        return out if len(out) == len(channels) else {}

    return await stand_in.wait_for_async(found, timeout=60)


async def batches(
    n: int, tag: str, slack: BoltClient, stand_in: SlackStandIn, *, ours: bool
) -> tuple[Samples, float]:
    """The three batches; returns the ack times and how long after the clicks
    the third batch finished (it must be inside the checks' deadline)."""
    await timed(slack.command("", channel=f"C{tag}w"))  # warm-up: auth.test, first request
    first = [f"C{tag}a{i}" for i in range(n)]
    samples: Samples = {}
    samples[BATCHES[0]] = await asyncio.gather(
        *(timed(slack.command("smtp-relay", channel=c)) for c in first)
    )
    if ours:
        clicked = await headers(stand_in, first)
    else:  # nothing was posted: click a message that never existed
        clicked = {c: (f"1717000000.{i:06d}", '{"i":1}') for i, c in enumerate(first)}
    clicks_at = time.perf_counter()
    samples[BATCHES[1]] = await asyncio.gather(
        *(
            timed(slack.action(Act.RUN_ALL.value, value, channel=c, message_ts=ts))
            for c, (ts, value) in clicked.items()
        )
    )
    samples[BATCHES[2]] = await asyncio.gather(
        *(timed(slack.command("smtp-relay", channel=f"C{tag}b{i}")) for i in range(n))
    )
    return samples, time.perf_counter() - clicks_at


def quantiles(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    return statistics.median(ordered), ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]


def report(n: int, rounds: int, results: dict[str, Samples], lag: list[float]) -> None:
    print(
        f"ack latency, ms: {n} concurrent signed requests per batch, {rounds} rounds pooled"
        f" ({rounds * n} acks per batch); third batch done {max(lag):.2f} s after the clicks"
        f" (checks' deadline {CHECK_DEADLINE_S:.0f} s)"
    )

    def pooled(who: str, label: str) -> list[float]:
        wanted = BATCHES if label == "all acks" else (label,)
        return [x for b in wanted for x in results[who][b]]

    for label in (*BATCHES, "all acks"):
        b50, b99 = quantiles(pooled("bare", label))
        o50, o99 = quantiles(pooled("ours", label))
        print(
            f"{label:<24} bare p50 {b50:6.1f} p99 {b99:6.1f} | ours p50 {o50:6.1f} p99 {o99:6.1f}"
            f" | p50 ours/bare {o50 / b50:5.2f} | p99 ours/bare {o99 / b99:5.2f}",
            flush=True,
        )
    b99 = quantiles(pooled("bare", "all acks"))[1]
    o99 = quantiles(pooled("ours", "all acks"))[1]
    met = o99 <= 1.2 * b99 and o99 < 50
    print(
        f"target ack p99 <= 1.2 x bare and < 50 ms: ours {o99:.1f} ms = {o99 / b99:.2f} x bare"
        f" -> {'met' if met else 'NOT met'}"
    )


def sets(silent: Peer) -> list[str]:
    at = f"{silent.host}:{silent.port}"
    return [
        f"targets.smtp-relay.host={silent.host}",
        f"targets.smtp-relay.port={silent.port}",
        "vantage_points.vpc.kind=blackbox",
        f"vantage_points.vpc.url=http://{at}",
        "vantage_points.prometheus.kind=prometheus",
        f"vantage_points.prometheus.url=http://{at}",
        "aws.endpoint_url=http://127.0.0.1:9",
        "aws.max_attempts=1",
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=50, help="concurrent requests per batch")
    parser.add_argument("--rounds", type=int, default=3, help="rounds per app, alternating")
    args = parser.parse_args()
    results: dict[str, Samples] = {
        "bare": {b: [] for b in BATCHES},
        "ours": {b: [] for b in BATCHES},
    }
    lag: list[float] = []
    with SlackStandIn() as stand_in, serving(greeting(None)) as silent:
        for r in range(args.rounds):
            for who in ("bare", "ours"):
                with tempfile.TemporaryDirectory() as tmp:
                    if who == "bare":
                        app = running_bare(stand_in.url)
                    else:
                        bot = running_bot(stand_in.url, Path(tmp) / "bench.db", sets(silent))
                        app = _base(bot)
                    with app as base:

                        async def go(
                            base: str = base, who: str = who, r: int = r
                        ) -> tuple[Samples, float]:
                            async with BoltClient(base, SECRET, slack=stand_in) as slack:
                                tag = f"{r}{who[0]}"
                                return await batches(
                                    args.n, tag, slack, stand_in, ours=who == "ours"
                                )

                        samples, after = asyncio.run(go())
                    for label, values in samples.items():
                        results[who][label].extend(values)
                    if who == "ours":
                        lag.append(after)
    report(args.n, args.rounds, results, lag)


@contextmanager
def _base(bot: Any) -> Iterator[str]:
    with bot as running:
        yield running.base


if __name__ == "__main__":
    main()
