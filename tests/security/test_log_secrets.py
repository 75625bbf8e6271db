"""Every kind of secret planted where a log record can carry it (message,
arguments, `extra=`, exception text, a chained cause, the stack) reaches
neither the JSON lines nor the plain lines; and `triage serve --http`, with
debug logging, writes none of them while it is sent forged and signed
requests that carry them."""

from __future__ import annotations

import io
import logging
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from bot import logs, redact
from bot.redact import Redactor
from tests.peers.slack import SlackStandIn, command_payload, sign

ROOT = Path(__file__).parents[2]
PLANTED = {
    "SLACK_BOT_TOKEN": "xoxb-4242424242-4242424242-PlantedBotTokenValue",
    "SLACK_SIGNING_SECRET": "planted-signing-secret-8c1f",
    "TRIAGE_ALERT_SECRET": "planted-alert-secret-77ab",
    "AWS_SECRET_ACCESS_KEY": "Zx9PlantedAwsSecretKey/abcdEFGH12345678ij",
    "AWS_SESSION_TOKEN": "planted-session-token-0a0b0c0d0e",
    "SMTP_PASSWORD": "planted-configured-secret-5150",  # named by the site config
}
VALUES = list(PLANTED.values())


@pytest.fixture
def installed() -> Iterator[None]:
    factory, active = logging.getLogRecordFactory(), list(redact._active)
    redact._active.clear()
    redact.install(Redactor.from_env(["SMTP_PASSWORD"], env=PLANTED))
    yield
    logging.setLogRecordFactory(factory)
    redact._active[:] = active


def leaks(text: str) -> list[str]:
    return [v for v in [*VALUES, "token=abcdefgh"] if v in text]


def log_everything(logger: logging.Logger) -> int:
    """Logs each secret every way a record can carry it; returns how many records."""
    count = 0
    for value in VALUES:
        logger.warning("message %s", value)
        logger.warning(f"f-string {value}")
        logger.warning("extra", extra={"body": f"token={value}", "nested": {"v": value}})
        try:
            try:
                raise KeyError(f"inner {value}")
            except KeyError as inner:
                raise RuntimeError(f"outer {value} with token={value}") from inner
        except RuntimeError:
            logger.exception("failed")
        logger.warning("stack", stack_info=True, extra={"secret": value})
        count += 5
    # What Bolt logged for a forged request: the whole form body.
    logger.info(f"Invalid request signature detected (body: token=abcdefgh&text={VALUES[0]})")
    return count + 1


@pytest.mark.usefixtures("installed")
@pytest.mark.parametrize("fmt", ["json", "plain"])
def test_no_planted_secret_reaches_the_log_lines(fmt: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TRIAGE_LOG_FORMAT", fmt)
    stream = io.StringIO()
    logger = logging.getLogger(f"bot.security.{fmt}")
    logger.propagate = False
    logger.setLevel(logging.DEBUG)
    handler = logs.handler(stream)
    logger.addHandler(handler)
    try:
        records = log_everything(logger)
    finally:
        logger.removeHandler(handler)
    text = stream.getvalue()
    assert records == 31
    assert "RuntimeError" in text and "KeyError" in text  # the tracebacks are there
    assert leaks(text) == []


def test_serve_with_debug_logs_writes_no_planted_secret(
    slack_api: SlackStandIn, tmp_path: Path
) -> None:
    env = {**os.environ, **PLANTED, "SLACK_BOT_TOKEN": slack_api.token,
           "SLACK_API_URL": slack_api.url, "TRIAGE_DB": str(tmp_path / "t.db"),
           "TRIAGE_LOG_LEVEL": "DEBUG", "TRIAGE_LOG_FORMAT": "json"}  # fmt: skip
    env.pop("SLACK_APP_TOKEN", None)
    values = [*VALUES, slack_api.token]
    process = subprocess.Popen(
        [sys.executable, "-m", "bot.cli", "serve", "--http", "--host", "127.0.0.1", "--port", "0",
         "--set", "secrets=[SMTP_PASSWORD]"],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert process.stdout is not None
        match = re.search(r"http://127\.0\.0\.1:(\d+)/", process.stdout.readline())
        assert match
        url = f"http://127.0.0.1:{match[1]}/slack/events"
        text = " ".join(values)
        body = str(httpx.QueryParams(command_payload(text, response_url=slack_api.response_url())))
        form = {"Content-Type": "application/x-www-form-urlencoded"}
        forged = httpx.post(url, content=body, headers={**form, **sign(body.encode(), "x")})
        signed = httpx.post(
            url,
            content=body,
            headers={**form, **sign(body.encode(), PLANTED["SLACK_SIGNING_SECRET"])},
        )
    finally:
        process.terminate()
        _, stderr = process.communicate(timeout=10)
    assert (forged.status_code, signed.status_code) == (401, 200)
    assert "refused a request" in stderr  # the forged one was logged...
    assert [v for v in values if v in stderr] == []  # ...with nothing secret
    assert "token=legacy-verification-token" not in stderr  # Slack's form token
