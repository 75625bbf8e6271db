"""Two `triage serve --http` processes on one PostgreSQL database, as two
replicas behind a load balancer: Slack's retries of one event, spread over
both, are answered once."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from contextlib import AsyncExitStack, contextmanager
from pathlib import Path

import psycopg
import pytest

from tests.peers.slack import BoltClient, SlackStandIn
from tests.store import pg

ROOT = Path(__file__).parents[2]
SECRET = "s3cret"


@contextmanager
def replica(slack_api: SlackStandIn, url: str, log: Path) -> Iterator[str]:
    """A `triage serve --http` on 127.0.0.1:0; its base URL. Its log goes to `log`."""
    env = dict(os.environ, SLACK_API_URL=slack_api.url, SLACK_BOT_TOKEN="xoxb-test",
               SLACK_SIGNING_SECRET=SECRET, TRIAGE_DB=url)  # fmt: skip
    env.pop("SLACK_APP_TOKEN", None)
    with log.open("w") as err:
        process = subprocess.Popen(
            [sys.executable, "-m", "bot.cli", "serve", "--http", "--host", "127.0.0.1",
             "--port", "0"],
            cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=err, text=True,
        )  # fmt: skip
        try:
            assert process.stdout is not None
            line = process.stdout.readline()  # blocks until it says where it listens
            match = re.search(r"http://127\.0\.0\.1:(\d+)/slack/events", line)
            assert match, line + log.read_text()
            yield f"http://127.0.0.1:{match[1]}"
        finally:
            process.terminate()
            process.wait(timeout=10)


@pytest.mark.timeout(180)  # two bot processes starting on a shared machine
async def test_four_deliveries_of_one_event_over_two_replicas_are_handled_once(
    slack_api: SlackStandIn, tmp_path: Path
) -> None:
    event = {
        "type": "app_mention", "user": "U2", "channel": "C1",
        "text": "<@U0TRIAGEBOT> smtp-relay", "ts": "1767000000.000001",
    }  # fmt: skip
    logs = [tmp_path / "a.log", tmp_path / "b.log"]
    with pg.fresh_schema() as url:
        async with AsyncExitStack() as stack:
            bases = [stack.enter_context(replica(slack_api, url, log)) for log in logs]
            clients = [
                await stack.enter_async_context(BoltClient(b, SECRET, slack=slack_api))
                for b in bases
            ]
            replies = [
                await clients[n % 2].event(event, event_id="Ev0REPLICAS", retry_num=n or None)
                for n in range(4)
            ]
            # Every claim was decided before its delivery was acked: one
            # handled, three dropped, whichever replica they reached.
            await slack_api.wait_for_async(lambda: slack_api.calls("chat.postMessage") or None, 20)
            with psycopg.connect(url) as db:
                [(incidents,)] = db.execute("SELECT count(*) FROM incidents").fetchall()
    assert [r.status_code for r in replies] == [200] * 4
    assert incidents == 1
    dropped = [
        line for log in logs for line in log.read_text().splitlines()
        if "dropped a repeated delivery of Ev0REPLICAS" in line
    ]  # fmt: skip
    assert len(dropped) == 3, dropped
    headers = [c for c in slack_api.calls("chat.postMessage") if "smtp-relay" in json.dumps(c.args)]
    assert len({c.args.get("thread_ts") for c in headers}) == 1
