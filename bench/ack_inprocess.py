"""Ack latency of the bot itself, without HTTP or other threads in the way:
50 concurrent signed Run all clicks dispatched straight into the Bolt app
(`app.async_dispatch`), side by side with a bare AsyncApp that only acks.

bench/ack_vs_bare.py measures the same over real HTTP, where the client, the
Slack stand-in and the bot share one process and its GIL; this one isolates
what the bot's own listeners add. Usage: python bench/ack_inprocess.py [N]
"""

from __future__ import annotations

import asyncio
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from slack_bolt.async_app import AsyncApp  # noqa: E402
from slack_bolt.request.async_request import AsyncBoltRequest  # noqa: E402
from slack_sdk.web.async_client import AsyncWebClient  # noqa: E402

from bot.slack.payloads import Act, ButtonValue  # noqa: E402
from bot.store import SqliteStore  # noqa: E402
from tests.peers.mail import greeting, serving  # noqa: E402
from tests.peers.slack import SlackStandIn, block_actions_payload, command_payload, sign  # noqa: E402
from tests.slack.bot import SECRET, TOKEN, make_bot  # noqa: E402


async def dispatch(app: AsyncApp, fields: dict[str, str]) -> float:
    body = urlencode(fields)
    headers = {**sign(body.encode(), SECRET), "content-type": "application/x-www-form-urlencoded"}
    started = time.perf_counter()
    response = await app.async_dispatch(AsyncBoltRequest(body=body, headers=headers))
    assert response.status == 200, response.body
    return (time.perf_counter() - started) * 1000


def click(n: int, stand_in: SlackStandIn) -> dict[str, str]:
    payload = block_actions_payload(
        Act.RUN_ALL.value, ButtonValue(incident=n + 1).encode(), user="U1", channel=f"C{n}",
        message_ts="1.1", thread_ts=None, block_id="b", response_url=stand_in.response_url(),
    )  # fmt: skip
    return {"payload": json.dumps(payload)}


def bare_app(stand_in: SlackStandIn) -> AsyncApp:
    client = AsyncWebClient(token=TOKEN, base_url=stand_in.url)
    app = AsyncApp(client=client, signing_secret=SECRET)

    @app.action(Act.RUN_ALL.value)
    async def only_ack(ack: Any) -> None:
        await ack()

    return app


async def measure(n: int, stand_in: SlackStandIn, silent: Any, db: Path) -> None:
    sets = [f"targets.smtp-relay.host={silent.host}", f"targets.smtp-relay.port={silent.port}",
            "aws.endpoint_url=http://127.0.0.1:9", "aws.max_attempts=1"]  # fmt: skip
    ours = make_bot(stand_in.url, SqliteStore(db), sets, signing_secret=SECRET).app
    opened = [
        command_payload("smtp-relay", channel=f"C{i}", response_url=stand_in.response_url())
        for i in range(n)
    ]
    await asyncio.gather(*(dispatch(ours, f) for f in opened))
    await asyncio.to_thread(
        stand_in.wait_for, lambda: len(stand_in.calls("chat.postMessage")) >= 2 * n, 30
    )
    bare = bare_app(stand_in)
    await dispatch(bare, click(n, stand_in))  # its first request authorizes (auth.test)
    for label, app in (("bare AsyncApp", bare), ("triage", ours)):
        acks = sorted(await asyncio.gather(*(dispatch(app, click(i, stand_in)) for i in range(n))))
        p50, p99 = statistics.median(acks), acks[min(n - 1, int(n * 0.99))]
        print(
            f"{label:<14} {n} concurrent Run all clicks: ack p50 {p50:6.1f} ms  p99 {p99:6.1f} ms"
        )
        if label == "bare AsyncApp":
            bare_p99 = p99
    print(f"p99 ours/bare {p99 / bare_p99:5.2f} (target <= 1.2 and < 50 ms)")
    await asyncio.sleep(6)  # let the checks (5 s deadline) finish before the servers stop


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 50
    os.environ.update(
        AWS_ACCESS_KEY_ID="bench", AWS_SECRET_ACCESS_KEY="bench", AWS_DEFAULT_REGION="us-east-1"
    )
    with (
        SlackStandIn() as stand_in,
        serving(greeting(None)) as silent,
        tempfile.TemporaryDirectory() as tmp,
    ):
        asyncio.run(measure(n, stand_in, silent, Path(tmp) / "bench.db"))


if __name__ == "__main__":
    main()
