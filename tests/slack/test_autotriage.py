"""Alerts in watched channels (and on the webhooks) are triaged in their own
thread: one incident per outage, resolved in place."""

from __future__ import annotations

import itertools
from pathlib import Path

import httpx
import pytest

from bot.store import SqliteStore
from tests.peers.mail import Peer
from tests.peers.slack import BoltClient, SlackStandIn
from tests.slack.bot import SECRET, running_bot
from tests.slack.thread import (
    ALERTS,
    FIXTURES,
    fixture,
    header_saying,
    headers_in,
    local_site,
    text_of,
)


@pytest.mark.usefixtures("aws_fake_credentials")
async def test_alertmanager_message_gets_the_triage_in_its_thread(
    slack_api: SlackStandIn, tmp_path: Path, closed_port: Peer
) -> None:
    event = fixture("slack-am-default-webhook-firing")
    with running_bot(slack_api.url, tmp_path / "t.db", local_site(closed_port.port)) as bot:
        async with BoltClient(bot.base, SECRET, slack=slack_api) as slack:
            assert (await slack.event(event, event_id="Ev1")).status_code == 200
            header = await slack_api.wait_for_async(
                lambda: next((h for h in headers_in(slack_api) if "Findings" in text_of(h)), None)
            )
    assert header.thread_ts == event["ts"]
    assert "SMTP relay" in text_of(header)
    assert "refused" in text_of(header)  # the public probe's finding, failing checks first
    assert "Walk through" in text_of(header)
    incident = SqliteStore(tmp_path / "t.db").incident(1)
    assert (incident.target, incident.opened_by) == ("smtp-relay", "alert:alertmanager")


@pytest.mark.usefixtures("aws_fake_credentials")
@pytest.mark.parametrize(
    ("name", "target_title"),
    [
        ("slack-kuma-1.23-rich-down", "SMTP relay"),
        ("slack-kuma-2.0-rich-down", None),
        ("slack-kuma-2.0-backticks-down", None),
        ("slack-kuma-2.1-rich-grouped-down", None),
    ],
)
async def test_each_kuma_format_is_triaged_in_its_thread(
    slack_api: SlackStandIn, tmp_path: Path, closed_port: Peer, name: str, target_title: str | None
) -> None:
    event = fixture(name)
    with running_bot(slack_api.url, tmp_path / "t.db", local_site(closed_port.port)) as bot:
        async with BoltClient(bot.base, SECRET, slack=slack_api) as slack:
            await slack.event(event, event_id="Ev1")
            header = await slack_api.wait_for_async(lambda: headers_in(slack_api)[:1])
    assert header[0].thread_ts == event["ts"]
    if target_title:
        assert target_title in text_of(header[0])


async def test_chatter_and_other_bots_are_ignored(slack_api: SlackStandIn, tmp_path: Path) -> None:
    with running_bot(slack_api.url, tmp_path / "t.db", [f"alerts.channels=[{ALERTS}]"]) as bot:
        async with BoltClient(bot.base, SECRET, slack=slack_api) as slack:
            for n, name in enumerate(["slack-chatter", "slack-other-bot", "slack-am-human-paste"]):
                assert (await slack.event(fixture(name), event_id=f"Ev{n}")).status_code == 200
            await slack.event(
                fixture("slack-am-default-webhook-firing", channel="C0ELSEWHERE"), event_id="Ev9"
            )
    assert slack_api.calls("chat.postMessage") == []


@pytest.mark.usefixtures("aws_fake_credentials")
async def test_the_same_alert_four_times_gives_one_triage_and_one_note(
    slack_api: SlackStandIn, tmp_path: Path, closed_port: Peer
) -> None:
    with running_bot(slack_api.url, tmp_path / "t.db", local_site(closed_port.port)) as bot:
        async with BoltClient(bot.base, SECRET, slack=slack_api) as slack:
            for n in range(4):
                event = fixture("slack-am-default-webhook-firing", ts=f"1717236000.00010{n}")
                await slack.event(event, event_id=f"Ev{n}")
            await slack_api.wait_for_async(
                lambda: [m for m in slack_api.messages(ALERTS).values() if "fired again" in m.text]
            )
            await slack_api.wait_for_async(lambda: header_saying(slack_api, "Findings"))
    assert len(headers_in(slack_api)) == 1
    notes = [m for m in slack_api.messages(ALERTS).values() if "fired again" in m.text]
    assert len(notes) == 1  # later repeats are counted, not posted
    assert "4 times" in text_of(headers_in(slack_api)[0])


@pytest.mark.usefixtures("aws_fake_credentials")
async def test_resolved_alert_posts_time_to_recovery_and_closes_the_incident(
    slack_api: SlackStandIn, tmp_path: Path, closed_port: Peer
) -> None:
    firing = fixture("slack-am-default-webhook-firing")
    resolved = fixture("slack-am-default-webhook-firing", ts="1717236900.000100")
    resolved["attachments"][0]["title"] = resolved["attachments"][0]["title"].replace(
        "[FIRING:1]", "[RESOLVED]"
    )
    with running_bot(slack_api.url, tmp_path / "t.db", local_site(closed_port.port)) as bot:
        async with BoltClient(bot.base, SECRET, slack=slack_api) as slack:
            await slack.event(firing, event_id="Ev1")
            await slack_api.wait_for_async(lambda: header_saying(slack_api, "Findings"))
            await slack.event(resolved, event_id="Ev2")
            line = await slack_api.wait_for_async(
                lambda: [
                    m for m in slack_api.messages(ALERTS).values() if "resolved after" in m.text
                ]
            )
            await slack_api.wait_for_async(lambda: header_saying(slack_api, "resolved by"))
    assert line[0].thread_ts == firing["ts"]
    assert SqliteStore(tmp_path / "t.db").incident(1).status == "resolved"


@pytest.mark.usefixtures("aws_fake_credentials")
async def test_webhook_with_a_bad_secret_is_refused_and_posts_nothing(
    slack_api: SlackStandIn, tmp_path: Path, closed_port: Peer
) -> None:
    body = (FIXTURES / "webhook-am-firing.json").read_bytes()
    with running_bot(
        slack_api.url, tmp_path / "t.db", local_site(closed_port.port), alert_secret="s3cret"
    ) as bot:
        async with httpx.AsyncClient() as client:
            url = f"{bot.base}/alerts/alertmanager"
            bad = await client.post(url, content=body, headers={"Authorization": "Bearer nope"})
            none = await client.post(url, content=body)
            good = await client.post(url, content=body, headers={"X-Alert-Secret": "s3cret"})
            assert good.status_code == 202
            await slack_api.wait_for_async(lambda: headers_in(slack_api)[:1])
    assert (bad.status_code, none.status_code) == (401, 401)
    posted = list(slack_api.messages(ALERTS).values())
    assert "FIRING" in posted[0].text  # the bot posts the alert itself, then triages in its thread
    assert headers_in(slack_api)[0].thread_ts == posted[0].ts


@pytest.mark.usefixtures("aws_fake_credentials")
async def test_a_storm_gives_one_triage_per_target_and_one_storm_note_at_slacks_pace(
    slack_api: SlackStandIn, tmp_path: Path, closed_port: Peer
) -> None:
    instances = [
        "imap.cabal.internal:143", "smtp-in.example.com:25", "smtp-out.example.com:587",
        "smtp-out.example.com:465", "https://admin.example.com/", "https://ntfy.example.com/v1/health",
        "https://example.com/", "unknown-1.example.com:25", "unknown-2.example.com:25",
        "unknown-3.example.com:25",
    ]  # fmt: skip
    interval = 0.05
    with running_bot(
        slack_api.url, tmp_path / "t.db", local_site(closed_port.port), post_interval=interval
    ) as bot:
        async with BoltClient(bot.base, SECRET, slack=slack_api) as slack:
            for n in range(200):
                event = fixture("slack-am-default-webhook-firing", ts=f"1717236{n:03d}.000100")
                title = event["attachments"][0]["title"].replace(
                    "smtp-in.example.com:25", instances[n % 10]
                )
                event["attachments"][0]["title"] = title
                assert (await slack.event(event, event_id=f"Ev{n}")).status_code == 200
            await slack_api.wait_for_async(
                lambda: sum("Findings" in text_of(h) for h in headers_in(slack_api)) >= 6,
                timeout=30,
            )
    headers = headers_in(slack_api)
    # Six distinct targets (admin-app answers to two instances), one triage each.
    assert len(headers) == 6
    assert len({h.thread_ts for h in headers}) == 6
    storms = [m for m in slack_api.messages(ALERTS).values() if "Alert storm" in m.text]
    assert len(storms) == 1
    posts = [c for c in slack_api.calls("chat.postMessage") if c.args.get("channel") == ALERTS]
    gaps = [b.at - a.at for a, b in itertools.pairwise(posts)]
    assert min(gaps) >= interval * 0.8, gaps
    assert len({(c.args.get("thread_ts"), c.args.get("text")) for c in posts}) == len(posts)
