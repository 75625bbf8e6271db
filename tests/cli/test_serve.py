"""`triage serve --http` as a user starts it: a real process, signed requests."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
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
        # Serving starts before the store is connected: ready once it is.
        ready = wait_until(lambda: httpx.get(f"{base}/readyz").status_code == 200)
        assert ready, httpx.get(f"{base}/healthz").text
        assert httpx.get(f"{base}/healthz").json() == {"ok": True, "store": "ok"}
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


def wait_until(condition: Callable[[], bool], deadline_s: float = 30.0) -> bool:
    deadline = time.monotonic() + deadline_s
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


def test_serve_without_its_postgresql_keeps_serving_health_and_says_why_once() -> None:
    """No crash loop: the process stays up, /healthz says the store is
    unreachable, /readyz keeps load balancers away, and stderr says why in
    one line, without the password."""
    with socket.socket() as closed:  # a loopback port nothing listens on
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    env = dict(os.environ, SLACK_BOT_TOKEN="xoxb-test", SLACK_SIGNING_SECRET="s",
               TRIAGE_DB=f"postgresql://postgres:hunter2@127.0.0.1:{port}/test")  # fmt: skip
    env.pop("SLACK_APP_TOKEN", None)
    process = subprocess.Popen(
        [sys.executable, "-m", "bot.cli", "serve", "--http", "--host", "127.0.0.1", "--port", "0"],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert process.stdout is not None
        match = re.search(r"http://127\.0\.0\.1:(\d+)/slack/events", process.stdout.readline())
        assert match
        base = f"http://127.0.0.1:{match[1]}"
        assert httpx.get(f"{base}/healthz").json() == {"ok": True, "store": "unreachable"}
        assert httpx.get(f"{base}/readyz").status_code == 503
    finally:
        process.terminate()
        _, stderr = process.communicate(timeout=20)
    assert process.returncode == 0, stderr  # it was up all along, and stopped cleanly
    lines = [x for x in stderr.splitlines() if "cannot use the PostgreSQL store" in x]
    assert len(lines) == 1, stderr  # said once, not at every retry
    assert f"cannot use the PostgreSQL store at 127.0.0.1:{port}/test" in lines[0]
    assert "Connection refused" in lines[0]
    assert "hunter2" not in stderr
