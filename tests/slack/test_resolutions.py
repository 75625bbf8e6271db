"""With `alertmanager:` in the site config the bot asks Debian's real
Alertmanager (on loopback) what a Slack message cannot say (#14 items 2 and
6): which alerts a grouped notification holds, and whether an incident's
alerts still fire (a Slack-only setup with `send_resolved: false` never
hears a resolution)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from bot.store import SqliteStore
from tests.peers.alertmanager import Alertmanager
from tests.peers.mail import Peer
from tests.peers.slack import BoltClient, SlackStandIn
from tests.slack.bot import SECRET, running_bot
from tests.slack.thread import ALERTS, fixture, header_saying, headers_in, local_site, text_of

LABELS = {
    "alertname": "BlackboxProbeFailure",
    "instance": "smtp-in.example.com:25",
    "job": "blackbox-tcp",
    "severity": "critical",
}
WAIT_S = 15.0


def asking(port: int, alertmanager: Alertmanager) -> list[str]:
    return [
        *local_site(port),
        f"alertmanager.url={alertmanager.url}",
        "alertmanager.poll_interval=0.2",
    ]


def texts(stand_in: SlackStandIn, needle: str) -> list[Any]:
    return [m for m in stand_in.messages(ALERTS).values() if needle in m.text]


@pytest.mark.usefixtures("aws_fake_credentials")
async def test_a_slack_only_incident_closes_when_alertmanager_no_longer_holds_the_alert(
    slack_api: SlackStandIn, tmp_path: Path, closed_port: Peer, alertmanager: Alertmanager
) -> None:
    alertmanager.post(LABELS)
    firing = fixture("slack-am-default-webhook-firing")
    sets = asking(closed_port.port, alertmanager)
    with running_bot(slack_api.url, tmp_path / "t.db", sets) as bot:
        async with BoltClient(bot.base, SECRET, slack=slack_api) as slack:
            await slack.event(firing, event_id="Ev1")
            await slack_api.wait_for_async(lambda: header_saying(slack_api, "Findings"))
            alertmanager.post(LABELS, ends_in=-1)  # Prometheus: resolved
            (line,) = await slack_api.wait_for_async(
                lambda: texts(slack_api, "resolved after"), timeout=WAIT_S
            )
            await slack_api.wait_for_async(lambda: header_saying(slack_api, "resolved by"))
    assert line.thread_ts == firing["ts"]
    assert "Alertmanager no longer holds it" in line.text
    assert SqliteStore(tmp_path / "t.db").incident(1).status == "resolved"


@pytest.mark.usefixtures("aws_fake_credentials")
async def test_a_silenced_alert_is_said_once_and_the_incident_stays_open(
    slack_api: SlackStandIn, tmp_path: Path, closed_port: Peer, alertmanager: Alertmanager
) -> None:
    alertmanager.post(LABELS)
    sets = asking(closed_port.port, alertmanager)
    with running_bot(slack_api.url, tmp_path / "t.db", sets) as bot:
        async with BoltClient(bot.base, SECRET, slack=slack_api) as slack:
            await slack.event(fixture("slack-am-default-webhook-firing"), event_id="Ev1")
            await slack_api.wait_for_async(lambda: header_saying(slack_api, "Findings"))
            alertmanager.silence({"instance": LABELS["instance"]})
            (note,) = await slack_api.wait_for_async(
                lambda: texts(slack_api, "is silenced"), timeout=WAIT_S
            )
            # Later rounds ask again and say nothing more (Kuma's alert of the
            # same relay, joining with a note, marks that time passed).
            await slack.event(fixture("slack-kuma-1.23-rich-down"), event_id="Ev2")
            await slack_api.wait_for_async(lambda: texts(slack_api, "fired again"))
    assert len(texts(slack_api, "is silenced")) == 1
    assert SqliteStore(tmp_path / "t.db").incident(1).status == "open"
    assert note.thread_ts == "1717236000.000100"


@pytest.mark.usefixtures("aws_fake_credentials")
async def test_a_grouped_notification_is_expanded_and_each_alert_triaged(
    slack_api: SlackStandIn, tmp_path: Path, closed_port: Peer, alertmanager: Alertmanager
) -> None:
    """`[FIRING:3] BlackboxProbeFailure (critical)` names no instance;
    Alertmanager says which alerts it is, and the one a runbook covers is
    triaged in the message's thread."""
    alertmanager.post(LABELS)
    alertmanager.post({**LABELS, "instance": "elsewhere.example.com:25"})
    grouped = fixture("slack-am-default-grouped")
    with running_bot(
        slack_api.url, tmp_path / "t.db", asking(closed_port.port, alertmanager)
    ) as bot:
        async with BoltClient(bot.base, SECRET, slack=slack_api) as slack:
            await slack.event(grouped, event_id="Ev1")
            header = await slack_api.wait_for_async(
                lambda: header_saying(slack_api, "Findings"), timeout=WAIT_S
            )
    assert header.thread_ts == grouped["ts"]
    assert "SMTP relay" in text_of(header)
    assert texts(slack_api, "names no") == []
    assert len(headers_in(slack_api)) == 1
