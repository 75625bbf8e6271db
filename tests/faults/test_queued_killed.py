"""`triage serve` SIGKILLed while units it acked are queued or running in
memory (bot.slack.queued): Slack does not deliver an acked request again,
so without a durable record they would vanish. After a restart every acked
/triage, mention and click is either done or told in its channel/thread.

Units are held mid-way by Slack itself: chat.postMessage answers 429 with a
long Retry-After, which the bot waits out (bot.slack.app), so the units are
still in memory when the process is killed.

Counts: injected 5 (a /triage, a mention and a click, each acked and cut
short by a kill; an alert message and an action's confirmation queued and
never begun); recovered 5 (each told after the restart, the confirmation in
its incident's thread; the alert triaged again); lost 0.
"""

from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest

from bot.slack.events.alerts import ALERT_UNIT
from bot.slack.payloads import Act, ButtonValue
from bot.store import SqliteStore
from tests.faults.served import serving
from tests.faults.waiting import until
from tests.peers.mail import Peer
from tests.peers.slack import BoltClient, SlackStandIn
from tests.slack.bot import SECRET
from tests.slack.thread import (
    CHANNEL,
    button,
    fixture,
    header_saying,
    headers_in,
    local_site,
    posted,
    step_after,
)

MENTION_TS = "1767000000.000001"
TOLD = "may not have been carried out"
HELD_S = 600  # Retry-After: far longer than the test, so the units wait until killed


def recorded(db: Path, count: int) -> bool:
    """`count` queued units on disk, not yet ended (a build without the
    record has nothing to wait for)."""
    with closing(sqlite3.connect(db)) as raw:
        try:
            query = "SELECT COUNT(*) FROM queued WHERE finished_at IS NULL"
            return int(raw.execute(query).fetchone()[0]) >= count
        except sqlite3.OperationalError:  # no such table
            return True


def told(stand_in: SlackStandIn, needle: str) -> list[Any]:
    return [m for m in stand_in.messages(CHANNEL).values() if TOLD in m.text and needle in m.text]


@pytest.mark.usefixtures("aws_fake_credentials")
async def test_units_acked_and_queued_are_told_after_a_kill(
    slack_api: SlackStandIn, tmp_path: Path, closed_port: Peer
) -> None:
    db, log = tmp_path / "t.db", tmp_path / "serve.log"
    sets = local_site(closed_port.port)
    mention = {
        "type": "app_mention", "user": "U2", "channel": CHANNEL,
        "text": "<@U0TRIAGEBOT> smtp-relay", "ts": MENTION_TS,
    }  # fmt: skip
    with serving(db, slack_api.url, sets, log) as bot:
        async with BoltClient(bot.base, SECRET, slack=slack_api) as slack:
            await slack.command("smtp-relay", channel=CHANNEL)
            _, step = await slack_api.wait_for_async(lambda: posted(slack_api, 2))
            before = len(slack_api.calls("chat.postMessage"))
            # From here on Slack holds every post: the units wait it out.
            slack_api.fail_next("chat.postMessage", retry_after=HELD_S, times=1000)
            replies = [
                await slack.command("smtp-relay", channel=CHANNEL, user="U3"),
                await slack.event(mention, event_id="EvMENTION"),
            ]
            value = button(step, Act.SKIP.value)
            replies.append(
                await slack.action(
                    Act.SKIP.value,
                    value,
                    user="U4",
                    channel=CHANNEL,
                    message_ts=step.ts,
                    thread_ts=step.thread_ts,
                )
            )
            assert [r.status_code for r in replies] == [200] * 3  # every one acked
            # The first header's post is held (posts to a channel go one at
            # a time), and the three units are on disk.
            await slack_api.wait_for_async(
                lambda: len(slack_api.calls("chat.postMessage")) > before
            )
            await until(lambda: recorded(db, 3))
            bot.kill()
    slack_api.clear_failures()
    with serving(db, slack_api.url, sets, log):
        command_note = await slack_api.wait_for_async(lambda: told(slack_api, "/triage"))
        mention_note = await slack_api.wait_for_async(lambda: told(slack_api, "mention"))
        # The click: done (the step skipped and the next one posted), or told.
        await slack_api.wait_for_async(
            lambda: told(slack_api, "Skip") or step_after(slack_api, step)
        )
    assert "<@U3>" in command_note[0].text
    assert mention_note[0].thread_ts == MENTION_TS


@pytest.mark.usefixtures("aws_fake_credentials")
async def test_an_alert_queued_before_its_incident_opened_is_triaged_after_a_kill(
    slack_api: SlackStandIn, tmp_path: Path, closed_port: Peer
) -> None:
    db, log = tmp_path / "t.db", tmp_path / "serve.log"
    event = fixture("slack-am-default-webhook-firing")
    store = SqliteStore(db)  # what a process killed before the alert's unit began leaves
    store.queue_unit(
        ALERT_UNIT, actor="alert", request_id="r1",
        params={"channel": event["channel"], "event": event, "bot_id": None},
    )  # fmt: skip
    store.close()
    with serving(db, slack_api.url, local_site(closed_port.port), log):
        header = await slack_api.wait_for_async(
            lambda: header_saying(slack_api, "Findings"), timeout=30
        )
    assert header.thread_ts == event["ts"]
    assert len(headers_in(slack_api)) == 1


@pytest.mark.usefixtures("aws_fake_credentials")
async def test_a_confirmation_queued_and_never_begun_is_told_in_its_incidents_thread(
    slack_api: SlackStandIn, tmp_path: Path, closed_port: Peer
) -> None:
    """A dialog's submission carries no channel: the unit keeps the dialog's
    value, and the restart tells it where its incident lives."""
    db, log = tmp_path / "t.db", tmp_path / "serve.log"
    thread = "1767000000.000042"
    store = SqliteStore(db)  # what a process killed before the unit began leaves
    incident = store.open_incident(
        channel=CHANNEL, runbook="probe-failure", target="smtp-relay", variables={},
        opened_by="U1", thread_ts=thread,
    )  # fmt: skip
    value = ButtonValue(incident=incident.id, step="restart").encode()
    store.queue_unit("confirm", actor="U5", request_id="r-confirm", params={"value": value})
    store.close()
    with serving(db, slack_api.url, local_site(closed_port.port), log):
        note = await slack_api.wait_for_async(lambda: told(slack_api, "confirmation"))
    assert note[0].thread_ts == thread
    assert "<@U5>" in note[0].text
