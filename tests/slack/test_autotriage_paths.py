"""One outage, one incident, whichever path (Alertmanager's webhook, its
Slack message, or both) delivers it (#14 items 1-5 and the healthchecks
route): bound and resolved under one identity, one channel line per new
firing, notes once per incident, times from the source."""

from __future__ import annotations

import asyncio
import copy
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from bot.store import SqliteStore
from tests.peers.mail import Peer
from tests.peers.slack import BoltClient, SlackStandIn
from tests.slack.bot import SECRET, running_bot
from tests.slack.thread import ALERTS, FIXTURES, fixture, header_saying, headers_in, local_site

ALERT_SECRET = "s3cret"
HEADERS = {"X-Alert-Secret": ALERT_SECRET}
STARTED = datetime(2026, 11, 30, 6, 0, 0, tzinfo=UTC)


def webhook_body(status: str, *, lasted_s: float = 34.0) -> bytes:
    """Alertmanager's webhook for the smtp-in probe alert alone (the one the
    Slack fixture `slack-am-default-webhook-firing` shows)."""
    body: dict[str, Any] = json.loads((FIXTURES / "webhook-am-firing.json").read_text())
    alert = copy.deepcopy(body["alerts"][0])
    alert["status"] = status
    alert["startsAt"] = STARTED.isoformat().replace("+00:00", "Z")
    if status == "resolved":
        alert["endsAt"] = (STARTED + timedelta(seconds=lasted_s)).isoformat().replace("+00:00", "Z")
    body.update(status=status, alerts=[alert])
    return json.dumps(body).encode()


def slack_resolved(ts: str) -> dict[str, Any]:
    event = fixture("slack-am-default-webhook-firing", ts=ts, event_ts=ts)
    title = event["attachments"][0]["title"].replace("[FIRING:1]", "[RESOLVED]")
    event["attachments"][0].update(title=title, fallback=title)
    return event


def texts(stand_in: SlackStandIn, needle: str) -> list[Any]:
    return [m for m in stand_in.messages(ALERTS).values() if needle in m.text]


def channel_lines(stand_in: SlackStandIn) -> list[Any]:
    """The bot's own top-level alert lines (not Alertmanager's messages)."""
    return [m for m in stand_in.messages(ALERTS).values() if not m.thread_ts and "FIRING" in m.text]


async def post(bot_base: str, path: str, body: bytes) -> None:
    async with httpx.AsyncClient(timeout=30) as client:
        reply = await client.post(f"{bot_base}{path}", content=body, headers=HEADERS)
    assert reply.status_code == 202, reply.text


@pytest.mark.usefixtures("aws_fake_credentials")
async def test_both_paths_are_one_alert_and_the_webhooks_resolution_closes_it(
    slack_api: SlackStandIn, tmp_path: Path, closed_port: Peer
) -> None:
    """#14.1 and #14.3: the Slack message and the webhook of one firing bind
    one record; the webhook's resolution resolves it and closes the incident
    (Slack's `send_resolved: false` never says), with no "fired again"."""
    firing = fixture("slack-am-default-webhook-firing")
    sets = local_site(closed_port.port)
    with running_bot(slack_api.url, tmp_path / "t.db", sets, alert_secret=ALERT_SECRET) as bot:
        async with BoltClient(bot.base, SECRET, slack=slack_api) as slack:
            await slack.event(firing, event_id="Ev1")
            await slack_api.wait_for_async(lambda: header_saying(slack_api, "Findings"))
            await post(bot.base, "/alerts/alertmanager", webhook_body("firing"))
            await post(bot.base, "/alerts/alertmanager", webhook_body("resolved"))
            await slack_api.wait_for_async(lambda: header_saying(slack_api, "resolved by"))
    store = SqliteStore(tmp_path / "t.db")
    assert store.incident(1).status == "resolved"
    assert [b.status for b in store.alerts_of(1)] == ["resolved"]  # one record, both paths
    assert len(texts(slack_api, "resolved after")) == 1
    assert texts(slack_api, "fired again") == []
    assert channel_lines(slack_api) == []  # the Slack message hosts; no second channel line


@pytest.mark.usefixtures("aws_fake_credentials")
async def test_the_webhook_posts_one_channel_line_per_new_firing_not_per_notification(
    slack_api: SlackStandIn, tmp_path: Path, closed_port: Peer
) -> None:
    """#14.4: five notifications of one firing are one channel line (each
    is posted before its 202, so counting after the fifth is exact)."""
    sets = [*local_site(closed_port.port), "alerts.repeat_note_interval=3600"]
    with running_bot(slack_api.url, tmp_path / "t.db", sets, alert_secret=ALERT_SECRET) as bot:
        for _ in range(5):
            await post(bot.base, "/alerts/alertmanager", webhook_body("firing"))
        await slack_api.wait_for_async(lambda: header_saying(slack_api, "Findings"))
    assert len(channel_lines(slack_api)) == 1


@pytest.mark.usefixtures("aws_fake_credentials")
async def test_the_recovery_line_is_posted_once_when_both_paths_resolve(
    slack_api: SlackStandIn, tmp_path: Path, closed_port: Peer
) -> None:
    """#14.4 and #14.5: the webhook's resolution says how long by
    Alertmanager's startsAt/endsAt; Slack's later [RESOLVED] adds nothing."""
    firing = fixture("slack-am-default-webhook-firing")
    sets = local_site(closed_port.port)
    with running_bot(slack_api.url, tmp_path / "t.db", sets, alert_secret=ALERT_SECRET) as bot:
        async with BoltClient(bot.base, SECRET, slack=slack_api) as slack:
            await post(bot.base, "/alerts/alertmanager", webhook_body("firing"))
            await slack.event(firing, event_id="Ev1")
            await slack_api.wait_for_async(lambda: header_saying(slack_api, "Findings"))
            await post(bot.base, "/alerts/alertmanager", webhook_body("resolved", lasted_s=94))
            await slack_api.wait_for_async(lambda: texts(slack_api, "resolved after"))
            await slack.event(slack_resolved("1717236900.000100"), event_id="Ev2")
            await slack_api.wait_for_async(lambda: header_saying(slack_api, "resolved by"))
            # Listeners run one after another per event here: a reply to a
            # later event means the [RESOLVED] one has been handled.
            await slack.event(fixture("slack-am-default-grouped"), event_id="Ev3")
            await slack_api.wait_for_async(lambda: texts(slack_api, "names no"))
    (line,) = texts(slack_api, "resolved after")
    assert "resolved after 1m 34s." in line.text  # the source's times: no clock note
    assert texts(slack_api, "fired again") == []


@pytest.mark.usefixtures("aws_fake_credentials")
async def test_a_slack_only_resolution_says_it_is_by_the_bots_clock(
    slack_api: SlackStandIn, tmp_path: Path, closed_port: Peer
) -> None:
    with running_bot(slack_api.url, tmp_path / "t.db", local_site(closed_port.port)) as bot:
        async with BoltClient(bot.base, SECRET, slack=slack_api) as slack:
            await slack.event(fixture("slack-am-default-webhook-firing"), event_id="Ev1")
            await slack_api.wait_for_async(lambda: header_saying(slack_api, "Findings"))
            await slack.event(slack_resolved("1717236900.000100"), event_id="Ev2")
            (line,) = await slack_api.wait_for_async(lambda: texts(slack_api, "resolved after"))
    assert "(by the bot's clock)" in line.text


@pytest.mark.usefixtures("aws_fake_credentials")
async def test_the_slack_message_hosts_the_incident_when_it_comes_within_the_window(
    slack_api: SlackStandIn, tmp_path: Path, closed_port: Peer
) -> None:
    """#14.3: with `alerts.slack_window`, the webhook's new firing waits for
    Alertmanager's own Slack message; it hosts the incident, the bot posts
    no channel line of its own."""
    firing = fixture("slack-am-default-webhook-firing")
    sets = [*local_site(closed_port.port), "alerts.slack_window=5"]
    with running_bot(slack_api.url, tmp_path / "t.db", sets, alert_secret=ALERT_SECRET) as bot:
        async with BoltClient(bot.base, SECRET, slack=slack_api) as slack:
            async with httpx.AsyncClient(timeout=30) as client:
                webhook = client.post(
                    f"{bot.base}/alerts/alertmanager", content=webhook_body("firing"),
                    headers=HEADERS,
                )  # fmt: skip
                pending = asyncio.ensure_future(webhook)
                await slack.event(firing, event_id="Ev1")
                assert (await pending).status_code == 202
            header = await slack_api.wait_for_async(lambda: header_saying(slack_api, "Findings"))
    assert header.thread_ts == firing["ts"]
    assert channel_lines(slack_api) == []
    assert texts(slack_api, "fired again") == []


async def test_a_grouped_message_without_alertmanager_gets_one_line_naming_what_is_missing(
    slack_api: SlackStandIn, tmp_path: Path, closed_port: Peer
) -> None:
    """#14.2: `[FIRING:3] BlackboxProbeFailure (critical)` names no instance."""
    grouped = fixture("slack-am-default-grouped")
    with running_bot(slack_api.url, tmp_path / "t.db", local_site(closed_port.port)) as bot:
        async with BoltClient(bot.base, SECRET, slack=slack_api) as slack:
            await slack.event(grouped, event_id="Ev1")
            (line,) = await slack_api.wait_for_async(lambda: texts(slack_api, "names no"))
    assert line.thread_ts == grouped["ts"]
    assert "`instance`" in line.text and "alertmanager:" in line.text
    assert len(texts(slack_api, "names no")) == 1
    assert SqliteStore(tmp_path / "t.db").open_incident_for("smtp-relay", "smtp-relay") is None


@pytest.mark.usefixtures("aws_fake_credentials")
async def test_healthchecks_webhook_is_taken(
    slack_api: SlackStandIn, tmp_path: Path, closed_port: Peer
) -> None:
    body = (FIXTURES / "webhook-healthchecks-template-down.json").read_bytes()
    sets = local_site(closed_port.port)
    with running_bot(slack_api.url, tmp_path / "t.db", sets, alert_secret=ALERT_SECRET) as bot:
        await post(bot.base, "/alerts/healthchecks", body)
        line = await slack_api.wait_for_async(
            lambda: [
                m for m in slack_api.messages(ALERTS).values() if "nightly-db-backup" in m.text
            ]
        )
    assert line[0].thread_ts is None


@pytest.mark.usefixtures("aws_fake_credentials")
async def test_a_slack_message_after_the_window_joins_the_bots_line_silently(
    slack_api: SlackStandIn, tmp_path: Path, closed_port: Peer
) -> None:
    """#14.3: the Slack message missed the window, so the bot's line hosts
    the incident; the late message is the same firing: no second triage, no
    "fired again"."""
    sets = [*local_site(closed_port.port), "alerts.slack_window=0.2"]
    with running_bot(slack_api.url, tmp_path / "t.db", sets, alert_secret=ALERT_SECRET) as bot:
        async with BoltClient(bot.base, SECRET, slack=slack_api) as slack:
            await post(bot.base, "/alerts/alertmanager", webhook_body("firing"))
            header = await slack_api.wait_for_async(lambda: header_saying(slack_api, "Findings"))
            await slack.event(fixture("slack-am-default-webhook-firing"), event_id="Ev1")
            # A later reply marks the late message as handled (see above).
            await slack.event(fixture("slack-am-default-grouped"), event_id="Ev2")
            await slack_api.wait_for_async(lambda: texts(slack_api, "names no"))
    (line,) = channel_lines(slack_api)
    assert header.thread_ts == line.ts
    assert texts(slack_api, "fired again") == []
    assert len(headers_in(slack_api)) == 1  # one triage
