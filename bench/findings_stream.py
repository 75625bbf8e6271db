"""Findings as they arrive (issue 19): how long after a check finishes is its
finding in the thread, while another check of the same run hangs to its
deadline? Goal: within 1 s of its own completion.

The bot as `triage serve` builds it (build_bot, Slack's real pace: one
post per second per channel, one edit per second per message), served over
HTTP on a loop thread of this process; the Slack Web API stand-in
(tests/peers/slack) records every chat.update with its arrival time; the
relay is a peer that accepts and never answers (its checks wait out their
5 s deadline), AWS a closed port (the ECS and load balancer checks fail at
once). One process, so the check's completion (the service's on_check) and
the edit's arrival (the stand-in) are read on one clock.

Per round, in a new channel: `/triage smtp-relay`, then `Run step` on the
first step (the step message streams its checks' lines; its own checks are
skipped or hang), then `Run all` on the header (the header streams what
fails). For every check that finished before the hanging ones, the latency
is the first chat.update of the message that shows it minus the check's
completion. `--concurrent N` runs N incidents' rounds at once.

Usage: python bench/findings_stream.py [--rounds 5] [--concurrent 1]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

HANG_S = 5.0  # the relay checks' deadline in runbooks/probe-failure.yaml
GOAL_S = 1.0


@dataclass
class Finished:
    """When each check ended, by (its incident's channel, check title)."""

    at: dict[tuple[str, str], float] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)


@contextmanager
def bot(api_url: str, db: Path, sets: list[str], finished: Finished) -> Iterator[str]:
    from bot.app.build import build_bot
    from bot.app.settings import BotSettings
    from bot.checks import aws
    from bot.runbooks.loader import load_site
    from bot.slack.config import SlackConfig
    from bot.slack.server import EVENTS_PATH, start_http
    from bot.store import SqliteStore
    from tests.slack.bot import SECRET, TOKEN

    aws.clear_clients()
    store = SqliteStore(db)
    site = load_site(None, sets)
    settings = BotSettings(site=site, db=db, runbook_dirs=[ROOT / "runbooks"])
    config = SlackConfig(bot_token=TOKEN, signing_secret=SECRET, api_url=api_url)  # real pace
    built = build_bot(settings, slack=config, store=store)
    engine_for = built.incidents.engine_for

    def timed(binding: Any, incident: Any = None, *, also: Any = None) -> Any:
        """The service's engines, also noting when each check of which incident ended."""

        def ended(step_id: str, run: Any) -> None:
            with finished.lock:
                key = (incident.channel, run.title or run.id)
                finished.at.setdefault(key, time.monotonic())
            if also is not None:
                also(step_id, run)

        return engine_for(binding, incident, also=ended if incident is not None else also)

    built.incidents.engine_for = timed  # type: ignore[method-assign]
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    runner, port = asyncio.run_coroutine_threadsafe(
        start_http(built.app, host="127.0.0.1", port=0), loop
    ).result(timeout=10)
    try:
        yield f"http://127.0.0.1:{port}{EVENTS_PATH}".removesuffix(EVENTS_PATH)
    finally:
        asyncio.run_coroutine_threadsafe(runner.cleanup(), loop).result(timeout=10)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=10)
        store.close()


def first_update_showing(stand_in: Any, ts: str, needle: str, after: float) -> float | None:
    for call in stand_in.calls("chat.update"):
        mine = call.ok and call.args.get("ts") == ts and call.at >= after
        if mine and needle in json.dumps(call.args.get("blocks"), ensure_ascii=False):
            return float(call.at)
    return None


async def one_round(
    slack: Any, stand_in: Any, channel: str, finished: Finished
) -> list[tuple[str, float]]:
    """Latencies (s) from a check's completion to the first edit showing it."""
    from bot.slack.payloads import Act
    from tests.slack.thread import button

    def posted(count: int) -> list[Any] | None:
        messages = list(stand_in.messages(channel).values())
        return messages[:count] if len(messages) >= count else None

    assert (await slack.command("smtp-relay", channel=channel)).status_code == 200
    header, step = await stand_in.wait_for_async(lambda: posted(2), timeout=30)
    started = time.monotonic()
    for message, act in ((step, Act.RUN_STEP), (header, Act.RUN_ALL)):
        value = button(message, act.value)
        reply = await slack.action(
            act.value, value, channel=channel, message_ts=message.ts, thread_ts=message.thread_ts
        )
        assert reply.status_code == 200
    # Both runs end once the relay's checks time out; give their edits time.
    await asyncio.sleep(HANG_S + 3)  # a fixed wait in a bench, not a test
    latencies = []
    with finished.lock:
        done = dict(finished.at)
    for (in_channel, name), at in done.items():
        if in_channel != channel or at < started or at > started + HANG_S - 0.5:
            continue  # another round's, or a hanging check's (shown with the final)
        for ts, where in ((step.ts, "step"), (header.ts, "header")):
            shown = first_update_showing(stand_in, ts, name, at)
            if shown is not None:
                latencies.append((where, shown - at))
                break
    return latencies


async def run(rounds: int, concurrent: int) -> None:
    from tests.peers.mail import greeting, serving
    from tests.peers.slack import BoltClient, SlackStandIn
    from tests.slack.bot import SECRET

    finished = Finished()
    with (
        SlackStandIn() as stand_in,
        serving(greeting(None)) as silent,
        tempfile.TemporaryDirectory() as tmp,
    ):
        sets = [
            f"targets.smtp-relay.host={silent.host}",
            f"targets.smtp-relay.port={silent.port}",
            "aws.endpoint_url=http://127.0.0.1:9",
            "aws.max_attempts=1",
        ]
        os.environ.setdefault("AWS_ACCESS_KEY_ID", "bench")
        os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "bench")
        os.environ.setdefault("AWS_DEFAULT_REGION", "us-west-1")
        with bot(stand_in.url, Path(tmp) / "t.db", sets, finished) as base:
            async with BoltClient(base, SECRET, slack=stand_in) as slack:
                latencies: list[tuple[str, float]] = []
                for r in range(rounds):
                    got = await asyncio.gather(
                        *(
                            one_round(slack, stand_in, f"CFIND{r}x{i}", finished)
                            for i in range(concurrent)
                        )
                    )
                    latencies += [x for batch in got for x in batch]
                    with finished.lock:
                        finished.at.clear()
        refused = len(stand_in.refused())
    report(latencies, rounds, concurrent, refused)


def report(shown: list[tuple[str, float]], rounds: int, concurrent: int, refused: int) -> None:
    latencies = [s for _, s in shown]
    print(
        f"findings streamed: {rounds} rounds x {concurrent} incidents at once;"
        f" {len(latencies)} checks finished before the hanging ones; stand-in refusals {refused}"
    )
    print(f"machine: {os.cpu_count()} cores; load average {os.getloadavg()}")
    if not latencies:
        print("no finding was shown before the hanging checks' deadline -> NOT met")
        return
    ordered = sorted(latencies)
    p50 = statistics.median(ordered)
    worst = ordered[-1]
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
    print(f"completion -> in the thread, s: p50 {p50:.3f}, p99 {p99:.3f}, max {worst:.3f}")
    for where in ("step", "header"):
        mine = sorted(s for w, s in shown if w == where)
        if mine:
            print(
                f"  in the {where} message: {len(mine)}, p50 {statistics.median(mine):.3f},"
                f" max {mine[-1]:.3f}"
            )
    print(f"goal: every finding within {GOAL_S:g} s -> {'met' if worst <= GOAL_S else 'NOT met'}")


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--concurrent", type=int, default=1)
    args = parser.parse_args()
    asyncio.run(run(args.rounds, args.concurrent))


if __name__ == "__main__":
    main()
