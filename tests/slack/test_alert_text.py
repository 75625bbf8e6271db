"""Alert text from outside, end to end through the webhook and the strict
Slack stand-in (issue #12, items 2 and 4): a kilobytes-long summary and a
name that would ping the channel are posted cut and escaped, not refused."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import httpx
import pytest

from bot.slack.mrkdwn import plain
from tests.peers.mail import Peer
from tests.peers.slack import SlackStandIn
from tests.slack.bot import running_bot
from tests.slack.thread import ALERTS, FIXTURES, local_site

PING = "<!channel> Disk & <@U0ALL> full"
T = TypeVar("T")


def webhook_body(name: str, summary: str) -> bytes:
    body = json.loads((FIXTURES / "webhook-am-firing.json").read_text())
    alert = body["alerts"][0]
    alert["labels"]["alertname"] = name
    alert["annotations"]["summary"] = summary
    body["alerts"] = [alert]
    return json.dumps(body).encode()


async def deliver(
    slack_api: SlackStandIn, tmp_path: Path, closed_port: Peer, body: bytes,
    until: Callable[[], T],
) -> T:  # fmt: skip
    """The webhook body to a running bot; what `until` returns once it holds."""
    with running_bot(
        slack_api.url,
        tmp_path / "t.db",
        [*local_site(closed_port.port), "alerts.note_unmatched=true"],
        alert_secret="k",
    ) as bot:
        async with httpx.AsyncClient() as client:
            answer = await client.post(
                f"{bot.base}/alerts/alertmanager", content=body, headers={"X-Alert-Secret": "k"}
            )
            assert answer.status_code == 202
            return await slack_api.wait_for_async(until)


@pytest.mark.usefixtures("aws_fake_credentials")
async def test_a_long_alert_that_would_ping_everyone_is_posted_cut_and_escaped(
    slack_api: SlackStandIn, tmp_path: Path, closed_port: Peer
) -> None:
    body = webhook_body(PING, "s" * 10_477)
    # The alert line, then the note that no runbook covers it.
    await deliver(
        slack_api, tmp_path, closed_port, body, lambda: len(slack_api.messages(ALERTS)) >= 2
    )
    line, note = list(slack_api.messages(ALERTS).values())[:2]
    assert PING in plain(line.text or "") and "more characters" in (line.text or "")
    assert "No runbook covers" in (note.text or "") and PING in plain(note.text or "")
    assert slack_api.refused() == []


@pytest.mark.usefixtures("aws_fake_credentials")
async def test_a_cut_alert_summary_is_whole_one_click_away_in_its_thread(
    slack_api: SlackStandIn, tmp_path: Path, closed_port: Peer
) -> None:
    summary = "".join(f"line {n}: the disk & the <queue> grew\n" for n in range(400))
    body = webhook_body("DiskFilling", summary)
    uploads = await deliver(
        slack_api, tmp_path, closed_port, body,
        lambda: [u for u in slack_api.uploads() if u.completed and u.content],
    )  # fmt: skip
    line = next(iter(slack_api.messages(ALERTS).values()))
    assert "more characters" in (line.text or "")
    (upload,) = uploads
    assert upload.thread_ts == line.ts and upload.channel_id == ALERTS
    assert summary in upload.content.decode()  # the whole text, as the source sent it
    assert slack_api.refused() == []
