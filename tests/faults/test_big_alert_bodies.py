"""Alert bodies that arrive in pieces or in bulk are read whole: a body in
two TCP writes and a 1,200-alert body (~700 KB) are both taken, every alert
in them counted and triaged, under one grouped post rather than 1,200; a
body over the cap is refused with 413 and posts nothing.

Counts: injected 3 (split body, big body, oversized body); recovered: the
split body's alert posted, the big body's 1,200 alerts all taken in;
refused with a status: the oversized body; lost: 0."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest

from bot.slack.webhooks import MAX_BODY
from tests.faults.alertbodies import (
    SECRET,
    alert_tally,
    body_with,
    post_announcing,
    post_in_two_writes,
)
from tests.faults.waiting import until
from tests.peers.mail import Peer
from tests.peers.slack import SlackStandIn
from tests.slack.bot import running_bot
from tests.slack.thread import ALERTS, local_site

HEADERS = {"X-Alert-Secret": SECRET}


def top_level_posts(stand_in: SlackStandIn) -> list[object]:
    return [m for m in stand_in.messages(ALERTS).values() if not m.thread_ts]


@pytest.mark.usefixtures("aws_fake_credentials")
async def test_a_body_sent_in_two_writes_is_read_whole(
    slack_api: SlackStandIn, tmp_path: Path, closed_port: Peer
) -> None:
    body = json.dumps(body_with(1)).encode()
    sites = local_site(closed_port.port)
    with running_bot(slack_api.url, tmp_path / "t.db", sites, alert_secret=SECRET) as bot:
        status, answer = post_in_two_writes(bot.base, body)
        assert status == 202, answer
        await until(lambda: alert_tally(bot.base) == 1, timeout=15)
    assert len(top_level_posts(slack_api)) == 1


@pytest.mark.usefixtures("aws_fake_credentials")
async def test_twelve_hundred_alerts_are_one_post_and_every_one_is_taken_in(
    slack_api: SlackStandIn, tmp_path: Path, closed_port: Peer
) -> None:
    body = json.dumps(body_with(1200)).encode()
    assert 256 * 1024 < len(body) < MAX_BODY
    sites = local_site(closed_port.port)
    with running_bot(slack_api.url, tmp_path / "t.db", sites, alert_secret=SECRET) as bot:
        async with httpx.AsyncClient(timeout=30) as client:
            reply = await client.post(
                f"{bot.base}/alerts/alertmanager", content=body, headers=HEADERS
            )
        assert reply.status_code == 202, reply.text
        await until(lambda: alert_tally(bot.base) == 1200, timeout=50)
    posts = top_level_posts(slack_api)
    assert len(posts) == 1
    assert "1200 alerts" in posts[0].text  # type: ignore[attr-defined]
    assert reply.json()["alerts"] == 1200


async def test_a_body_over_the_cap_is_refused_with_413_and_posts_nothing(
    slack_api: SlackStandIn, tmp_path: Path, closed_port: Peer
) -> None:
    sites = local_site(closed_port.port)
    with running_bot(slack_api.url, tmp_path / "t.db", sites, alert_secret=SECRET) as bot:
        status, reply = post_announcing(bot.base, MAX_BODY + 1)
    assert status == 413, reply
    assert slack_api.calls("chat.postMessage") == []
