"""Logs: JSON lines off a terminal, with request ids, never a token."""

from __future__ import annotations

import io
import json
import logging
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from bot import logs
from tests.peers.slack import BOT_TOKEN, SlackStandIn, command_payload, sign

ROOT = Path(__file__).parents[1]
TOKEN = "xoxb-1111-2222-notarealsecret"


def record(message: str, *, exc: BaseException | None = None, **extra: Any) -> logging.LogRecord:
    exc_info = (type(exc), exc, exc.__traceback__) if exc else None
    return logging.getLogger("bot.test").makeRecord(
        "bot.test", logging.WARNING, __file__, 1, message, (), exc_info, extra=extra
    )


def emit(stream: io.StringIO, made: logging.LogRecord) -> str:
    handler = logs.handler(stream)
    handler.handle(made)
    return stream.getvalue()


def json_lines(text: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in text.splitlines() if line.startswith("{")]


@pytest.fixture
def request_id() -> Iterator[None]:
    token = logs.request_id.set("abc123")
    yield
    logs.request_id.reset(token)


@pytest.mark.usefixtures("request_id")
def test_off_a_terminal_each_record_is_one_json_line_with_its_request_id() -> None:
    try:
        raise ValueError("boom")
    except ValueError as exc:
        made = record("incident %d opened", exc=exc, incident=7)
    made.args = (3,)
    (line,) = json_lines(emit(io.StringIO(), made))
    assert line["msg"] == "incident 3 opened"
    assert (line["level"], line["logger"], line["request_id"]) == ("warning", "bot.test", "abc123")
    assert line["incident"] == 7
    assert "ValueError: boom" in line["exc"]


def test_plain_lines_when_asked(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TRIAGE_LOG_FORMAT", "plain")
    assert emit(io.StringIO(), record("hello")) == "WARNING bot.test: hello\n"


def test_triage_run_logs_json_lines_without_the_bot_token(closed_port: Any) -> None:
    env = dict(os.environ, SLACK_BOT_TOKEN=TOKEN, TRIAGE_LOG_LEVEL="DEBUG",
               AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing",
               AWS_DEFAULT_REGION="us-east-1")  # fmt: skip
    env.pop("TRIAGE_LOG_FORMAT", None)
    done = subprocess.run(
        [sys.executable, "-m", "bot.cli", "run", "probe-failure", "--target", "ntfy",
         "--set", f"targets.ntfy.url=http://127.0.0.1:{closed_port.port}/",
         "--set", "aws.endpoint_url=http://127.0.0.1:9", "--set", "aws.max_attempts=1"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert done.returncode == 1, done.stderr[-2000:]
    lines = json_lines(done.stderr)
    assert lines, done.stderr[-2000:]
    assert {"ts", "level", "logger", "msg"} <= set(lines[0])
    assert TOKEN not in done.stderr


def test_serve_logs_carry_the_request_id_and_never_the_token(
    slack_api: SlackStandIn, tmp_path: Path
) -> None:
    env = dict(os.environ, SLACK_API_URL=slack_api.url, SLACK_BOT_TOKEN=BOT_TOKEN,
               SLACK_SIGNING_SECRET="s3cret-signing", TRIAGE_DB=str(tmp_path / "t.db"),
               TRIAGE_LOG_LEVEL="DEBUG")  # fmt: skip
    env.pop("SLACK_APP_TOKEN", None)
    env.pop("TRIAGE_LOG_FORMAT", None)
    process = subprocess.Popen(
        [sys.executable, "-m", "bot.cli", "serve", "--http", "--host", "127.0.0.1", "--port", "0"],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    seen: list[str] = []
    try:
        assert process.stdout is not None and process.stderr is not None
        match = re.search(r"http://127\.0\.0\.1:(\d+)/", process.stdout.readline())
        assert match
        body = str(
            httpx.QueryParams(command_payload("ntfy", response_url=slack_api.response_url()))
        )
        headers = {**sign(body.encode(), "s3cret-signing"),
                   "Content-Type": "application/x-www-form-urlencoded"}  # fmt: skip
        url = f"http://127.0.0.1:{match[1]}/slack/events"
        assert httpx.post(url, content=body, headers=headers).status_code == 200
        for line in process.stderr:  # until the listener opened the incident, or failed
            seen.append(line)
            if "incident 1 opened" in line or '"level": "error"' in line:
                break
    finally:
        process.terminate()
        process.wait(timeout=10)
    opened = json.loads(seen[-1])
    assert opened["level"] == "info" and re.fullmatch(r"[0-9a-f]{16}", opened["request_id"])
    assert all(line.startswith("{") for line in seen)
    assert BOT_TOKEN not in "".join(seen)
