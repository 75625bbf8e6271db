"""Requests to /slack/events that Slack did not sign (or signed over a body
Bolt cannot read) are answered 401/400 before any Bolt listener, middleware
or error handler: the Slack stand-in records 0 Web API calls for all of them.

Each forged body names a channel and a user, as a sender would to make the
error handler post an ephemeral message where they chose.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from urllib.parse import urlencode

import httpx
import pytest

from tests.peers.slack import SlackStandIn, block_actions_payload, command_payload, sign
from tests.slack.bot import SECRET, running_bot

FORM = "application/x-www-form-urlencoded"
CHANNEL, USER = "C0VICTIM", "U0VICTIM"


def full_width(number: int) -> bytes:
    return str(number).translate({c: c + 0xFEE0 for c in range(48, 58)}).encode()


def bodies() -> dict[str, tuple[bytes, str]]:
    command = command_payload(
        "smtp-relay", user=USER, channel=CHANNEL, response_url="http://127.0.0.1:9/r"
    )
    click = block_actions_payload(
        "triage.resolve", '{"i":1}', user=USER, channel=CHANNEL, message_ts="1.1",
        thread_ts=None, block_id="b", response_url="http://127.0.0.1:9/r",
    )  # fmt: skip
    mention = {"type": "app_mention", "user": USER, "channel": CHANNEL, "text": "hi"}
    event = {"type": "event_callback", "event_id": "Ev1", "team_id": "T1", "event": mention}
    return {
        "command": (urlencode(command).encode(), FORM),
        "click": (urlencode({"payload": json.dumps(click)}).encode(), FORM),
        "event": (json.dumps(event).encode(), "application/json"),
    }


def forged_headers(body: bytes) -> dict[str, dict[str, str | bytes]]:
    now = int(time.time())
    good = sign(body, SECRET, now)
    other = sign(body, "not-the-secret", now)
    return {
        "none": {},
        "signature only": {"X-Slack-Signature": good["X-Slack-Signature"]},
        "timestamp only": {"X-Slack-Request-Timestamp": str(now)},
        "timestamp abc": {**good, "X-Slack-Request-Timestamp": "abc"},
        "timestamp float": {**good, "X-Slack-Request-Timestamp": f"{now}.5"},
        "timestamp negative": {**good, "X-Slack-Request-Timestamp": f"-{now}"},
        "timestamp hex": {**good, "X-Slack-Request-Timestamp": hex(now)},
        "timestamp underscored": {**good, "X-Slack-Request-Timestamp": f"{now:_}"},
        "timestamp huge": {**good, "X-Slack-Request-Timestamp": "9" * 400},
        "timestamp empty": {**good, "X-Slack-Request-Timestamp": ""},
        "stale": sign(body, SECRET, now - 600),
        "future": sign(body, SECRET, now + 600),
        "wrong secret": other,
        "v1 scheme": {**good, "X-Slack-Signature": "v1=" + good["X-Slack-Signature"][3:]},
        "upper hex": {**good, "X-Slack-Signature": good["X-Slack-Signature"].upper()},
        "truncated": {**good, "X-Slack-Signature": good["X-Slack-Signature"][:-2]},
        "empty signature": {**good, "X-Slack-Signature": ""},
        "not hex": {**good, "X-Slack-Signature": "v0=" + "z" * 64},
        "other body": sign(body + b"&x=1", SECRET, now),
        # Python's int() reads these digits; Slack never sends them.
        "timestamp full-width": {**good, "X-Slack-Request-Timestamp": full_width(now)},
    }


async def test_forged_requests_are_refused_before_anything_talks_to_slack(
    slack_api: SlackStandIn, tmp_path: Path
) -> None:
    answers: dict[str, int] = {}
    with running_bot(slack_api.url, tmp_path / "t.db") as bot:
        async with httpx.AsyncClient(timeout=10) as http:
            for kind, (body, content_type) in bodies().items():
                for name, headers in forged_headers(body).items():
                    reply = await http.post(
                        bot.url, content=body, headers={**headers, "Content-Type": content_type}
                    )
                    answers[f"{kind}/{name}"] = reply.status_code
                    assert "Traceback" not in reply.text
            after_forgeries = list(slack_api.calls())
            # A signed request afterwards still works: the refusals broke nothing.
            body, content_type = bodies()["command"]
            signed = await http.post(
                bot.url, content=body, headers={**sign(body, SECRET), "Content-Type": content_type}
            )
            await slack_api.wait_for_async(lambda: slack_api.calls("chat.postMessage"))
        incident = bot.store.incident(1)
    assert len(answers) == 60  # 3 bodies x 20 forgeries
    assert {k: v for k, v in answers.items() if v not in (400, 401)} == {}
    assert signed.status_code == 200
    assert after_forgeries == []  # no Web API call at all, not even auth.test
    posted = slack_api.calls("chat.postMessage")
    assert {c.args.get("channel") for c in posted} == {CHANNEL}  # the signed command's own
    assert (incident.channel, incident.target) == (CHANNEL, "smtp-relay")


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        (b"{", "application/json"),
        (b"null", "application/json"),
        (b"[]", "application/json"),
        (b'"text"', "application/json"),
        (b"{", FORM),
        (b"payload=not+json", FORM),
        (b"payload=null", FORM),
        (b"payload=%5B%5D", FORM),
        (b"payload=%7B", FORM),
        (b"\xff\xfe\x00", FORM),
    ],
)
async def test_signed_bodies_bolt_cannot_read_are_a_clean_400(
    slack_api: SlackStandIn, tmp_path: Path, body: bytes, content_type: str
) -> None:
    with running_bot(slack_api.url, tmp_path / "t.db") as bot:
        async with httpx.AsyncClient(timeout=10) as http:
            reply = await http.post(
                bot.url, content=body, headers={**sign(body, SECRET), "Content-Type": content_type}
            )
    assert reply.status_code == 400, reply.text
    assert "Traceback" not in reply.text
    assert slack_api.calls() == []


async def test_slacks_unsigned_ssl_check_is_answered_and_reaches_nothing(
    slack_api: SlackStandIn, tmp_path: Path
) -> None:
    with running_bot(slack_api.url, tmp_path / "t.db") as bot:
        async with httpx.AsyncClient(timeout=10) as http:
            reply = await http.post(
                bot.url, content=b"ssl_check=1&token=abc", headers={"Content-Type": FORM}
            )
    assert reply.status_code == 200
    assert slack_api.calls() == []
