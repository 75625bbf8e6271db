"""`triage serve --http` as a user starts it: a real process, signed requests."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.peers.slack import SlackStandIn, command_payload, sign
from tests.store import pg

ROOT = Path(__file__).parents[2]


@pytest.fixture(params=["sqlite", "postgres"])
def triage_db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "postgres":
        with pg.fresh_schema() as url:
            yield url
    else:
        yield str(tmp_path / "t.db")


def test_serve_answers_signed_requests_and_health(slack_api: SlackStandIn, triage_db: str) -> None:
    env = dict(os.environ, SLACK_API_URL=slack_api.url, SLACK_BOT_TOKEN="xoxb-test",
               SLACK_SIGNING_SECRET="s3cret", TRIAGE_DB=triage_db)  # fmt: skip
    env.pop("SLACK_APP_TOKEN", None)
    process = subprocess.Popen(
        [sys.executable, "-m", "bot.cli", "serve", "--http", "--host", "127.0.0.1", "--port", "0"],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert process.stdout is not None
        line = process.stdout.readline()  # blocks until the server says where it listens
        match = re.search(r"http://127\.0\.0\.1:(\d+)/slack/events", line)
        assert match, line + (process.stderr.read() if process.stderr else "")
        base = f"http://127.0.0.1:{match[1]}"
        assert httpx.get(f"{base}/healthz").json() == {"ok": True, "store": "ok"}
        assert httpx.get(f"{base}/readyz").status_code == 200
        body = httpx.QueryParams(command_payload("help", response_url=slack_api.response_url()))
        data = str(body).encode()
        headers = {**sign(data, "s3cret"), "Content-Type": "application/x-www-form-urlencoded"}
        reply = httpx.post(f"{base}/slack/events", content=data, headers=headers)
        assert reply.status_code == 200
        assert "smtp-relay" in reply.text
    finally:
        process.terminate()
        process.wait(timeout=10)


@pytest.mark.parametrize("missing", ["SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET"])
def test_serve_without_its_tokens_says_which_are_missing(missing: str) -> None:
    env = dict(os.environ, SLACK_BOT_TOKEN="xoxb-test", SLACK_SIGNING_SECRET="s")
    env.pop(missing)
    env.pop("SLACK_APP_TOKEN", None)
    done = subprocess.run(
        [sys.executable, "-m", "bot.cli", "serve", "--http"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=30, check=False,
    )  # fmt: skip
    assert done.returncode == 2
    assert missing in done.stderr


def test_serve_without_its_postgresql_says_so_in_one_line_and_exits_2() -> None:
    with socket.socket() as closed:  # a loopback port nothing listens on
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    env = dict(os.environ, SLACK_BOT_TOKEN="xoxb-test", SLACK_SIGNING_SECRET="s",
               TRIAGE_DB=f"postgresql://postgres:hunter2@127.0.0.1:{port}/test")  # fmt: skip
    env.pop("SLACK_APP_TOKEN", None)
    done = subprocess.run(
        [sys.executable, "-m", "bot.cli", "serve", "--http", "--host", "127.0.0.1", "--port", "0"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert done.returncode == 2, done.stderr
    [line] = [x for x in done.stderr.splitlines() if x.startswith("triage serve:")]
    assert "Connection refused" in line
    assert line.startswith(
        f"triage serve: cannot use the PostgreSQL store at 127.0.0.1:{port}/test"
    )
    assert "hunter2" not in done.stderr
