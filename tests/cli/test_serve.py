"""`triage serve --http` as a user starts it: a real process, signed requests."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from tests.peers.slack import SlackStandIn, command_payload, sign

ROOT = Path(__file__).parents[2]


def test_serve_answers_signed_requests_and_health(slack_api: SlackStandIn, tmp_path: Path) -> None:
    env = dict(os.environ, SLACK_API_URL=slack_api.url, SLACK_BOT_TOKEN="xoxb-test",
               SLACK_SIGNING_SECRET="s3cret", TRIAGE_DB=str(tmp_path / "t.db"))  # fmt: skip
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
        assert httpx.get(f"{base}/healthz").json() == {"ok": True}
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
