"""Slack's Web API failing: a 5xx is retried, an alert Slack would not take
is refused with a retryable status (never a 202), a failed header post does
not wedge auto-triage for its target, and a step whose "running" edit
failed still runs.

Counts per test: injected, recovered, lost.
- 500 on the alert post, once: 1 / 1 (posted on the retry) / 0
- three connection resets in a row on the alert post: 3 / 3 (posted on the retry) / 0
- 500 on the alert post, every time: 1 / refused with 503 + Retry-After, posted
  when Alertmanager sends it again / 0
- ok:false on the header post: 1 / triaged when the target's next alert came / 0
- ok:false on the step's "running" edit: 1 / the step ran and shows its result / 0
"""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest

from bot.slack.payloads import Act
from tests.faults.alertbodies import SECRET
from tests.faults.resetting import resetting
from tests.peers.mail import Peer
from tests.peers.slack import BoltClient, SlackStandIn
from tests.slack.bot import SECRET as SIGNING
from tests.slack.bot import running_bot
from tests.slack.thread import (
    ALERTS,
    CHANNEL,
    FIXTURES,
    click,
    edited_to,
    fixture,
    header_saying,
    local_site,
    posted,
)

HEADERS = {"X-Alert-Secret": SECRET}
BODY = (FIXTURES / "webhook-am-firing.json").read_bytes()


def alert_posts(stand_in: SlackStandIn) -> list[object]:
    return [m for m in stand_in.messages(ALERTS).values() if not m.thread_ts]


@pytest.mark.usefixtures("aws_fake_credentials")
async def test_a_500_on_the_alert_post_is_retried(
    slack_api: SlackStandIn, tmp_path: Path, closed_port: Peer
) -> None:
    slack_api.fail_next("chat.postMessage", status=500)
    sites = local_site(closed_port.port)
    with running_bot(slack_api.url, tmp_path / "t.db", sites, alert_secret=SECRET) as bot:
        async with httpx.AsyncClient(timeout=30) as client:
            reply = await client.post(
                f"{bot.base}/alerts/alertmanager", content=BODY, headers=HEADERS
            )
        await slack_api.wait_for_async(lambda: header_saying(slack_api, "Findings"), timeout=15)
    assert reply.status_code == 202
    # The body's firing alert, posted on the retry; its resolved one (never
    # seen firing) changes nothing and gets no channel line (#14.4).
    assert len(alert_posts(slack_api)) == 1


@pytest.mark.usefixtures("aws_fake_credentials")
async def test_a_connection_reset_on_the_alert_post_is_retried(
    slack_api: SlackStandIn, tmp_path: Path, closed_port: Peer
) -> None:
    sites = local_site(closed_port.port)
    with (
        resetting(slack_api.url, resets=3) as relay,
        running_bot(relay.url, tmp_path / "t.db", sites, alert_secret=SECRET) as bot,
    ):
        async with httpx.AsyncClient(timeout=30) as client:
            reply = await client.post(
                f"{bot.base}/alerts/alertmanager", content=BODY, headers=HEADERS
            )
        await slack_api.wait_for_async(lambda: header_saying(slack_api, "Findings"), timeout=15)
    assert relay.reset == 3
    assert reply.status_code == 202
    assert len(alert_posts(slack_api)) == 1  # the firing one (see above)


@pytest.mark.usefixtures("aws_fake_credentials")
async def test_an_alert_slack_will_not_take_is_a_503_and_posted_when_sent_again(
    slack_api: SlackStandIn, tmp_path: Path, closed_port: Peer
) -> None:
    slack_api.fail_next("chat.postMessage", status=503, times=50)
    sites = local_site(closed_port.port)
    with running_bot(slack_api.url, tmp_path / "t.db", sites, alert_secret=SECRET) as bot:
        async with httpx.AsyncClient(timeout=60) as client:
            url = f"{bot.base}/alerts/alertmanager"
            refused = await client.post(url, content=BODY, headers=HEADERS)
            slack_api.clear()  # Slack is back
            again = await client.post(url, content=BODY, headers=HEADERS)
        await slack_api.wait_for_async(lambda: header_saying(slack_api, "Findings"), timeout=15)
    assert refused.status_code == 503 and int(refused.headers["Retry-After"]) > 0
    assert again.status_code == 202
    assert len(alert_posts(slack_api)) == 1  # the firing one (see above)


@pytest.mark.usefixtures("aws_fake_credentials")
async def test_a_failed_header_post_does_not_wedge_the_target(
    slack_api: SlackStandIn, tmp_path: Path, closed_port: Peer
) -> None:
    slack_api.fail_next("chat.postMessage", status=200, error="fatal_error")
    with running_bot(slack_api.url, tmp_path / "t.db", local_site(closed_port.port)) as bot:
        async with BoltClient(bot.base, SIGNING, slack=slack_api) as slack:
            await slack.event(fixture("slack-am-default-webhook-firing"), event_id="Ev1")
            await slack_api.wait_for_async(
                lambda: [c for c in slack_api.calls("chat.postMessage") if not c.ok]
            )
            later = fixture("slack-am-default-webhook-firing", ts="1717236300.000100")
            await slack.event(later, event_id="Ev2")
            header = await slack_api.wait_for_async(
                lambda: header_saying(slack_api, "Findings"), timeout=15
            )
    assert "SMTP relay" in json.dumps(header.blocks)


@pytest.mark.usefixtures("aws_fake_credentials")
async def test_a_step_whose_running_edit_failed_still_runs(
    slack_api: SlackStandIn, tmp_path: Path, silent_peer: Peer
) -> None:
    # A peer that never answers: the step runs long enough to be shown
    # "running" (a step whose results come at once is shown with them only).
    sets = ["targets.smtp-relay.host=127.0.0.1", f"targets.smtp-relay.port={silent_peer.port}"]
    with running_bot(slack_api.url, tmp_path / "t.db", sets) as bot:
        async with BoltClient(bot.base, SIGNING, slack=slack_api) as slack:
            await slack.command("smtp-relay", channel=CHANNEL)
            _, first = await slack_api.wait_for_async(lambda: posted(slack_api, 2))
            slack_api.fail_next("chat.update", status=200, error="fatal_error")
            await click(slack, slack_api, first, Act.RUN_STEP)
            done = await slack_api.wait_for_async(
                lambda: edited_to(slack_api, first, "Re-run"), timeout=15
            )
    (running, *_) = slack_api.calls("chat.update")
    assert "⏳ running" in json.dumps(running.args.get("blocks"), ensure_ascii=False)
    assert not running.ok  # the "running" edit was the one that failed
    assert "Next step" in json.dumps(done.blocks)  # ran, with its findings
