"""A store file locked by another process: acks and /healthz do not wait
for it, and the work behind them is done once the lock is let go, not lost.

Counts (one fault injected per test): a /triage and a /healthz during a
lock held past SQLite's busy timeout; recovered: the triage posted after
the lock went; lost: 0."""

from __future__ import annotations

import logging
from pathlib import Path

import httpx
import pytest

from bot.store import SqliteStore
from tests.faults.locker import store_locked
from tests.peers.mail import Peer
from tests.peers.slack import BoltClient, SlackStandIn
from tests.slack.bot import SECRET, running_bot
from tests.slack.thread import CHANNEL

# Slack's deadline for an ack; a health check's is usually shorter still.
SLACK_ACK_S = 3.0


@pytest.mark.usefixtures("aws_fake_credentials")
async def test_a_triage_asked_while_the_store_is_locked_is_acked_and_done_after(
    slack_api: SlackStandIn, tmp_path: Path, closed_port: Peer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="bot.store.connection")
    db = tmp_path / "t.db"
    sets = ["targets.smtp-relay.host=127.0.0.1", f"targets.smtp-relay.port={closed_port.port}"]
    with running_bot(slack_api.url, db, sets) as bot:
        async with BoltClient(bot.base, SECRET, slack=slack_api) as slack:
            with store_locked(db) as locker:
                ack = await slack.command("smtp-relay", channel=CHANNEL)
                async with httpx.AsyncClient(timeout=SLACK_ACK_S) as client:
                    health = await client.get(f"{bot.base}/healthz")
                # The bot met the lock and is waiting it out, not giving up.
                await slack_api.wait_for_async(
                    lambda: "locked by another process" in caplog.text, timeout=15
                )
                assert slack_api.calls("chat.postMessage") == []
                locker.release()
            header = await slack_api.wait_for_async(
                lambda: slack_api.calls("chat.postMessage"), timeout=15
            )
    assert ack.status_code == 200 and health.status_code == 200
    assert header[0].args["channel"] == CHANNEL
    assert SqliteStore(db).incident(1).target == "smtp-relay"  # the triage was not lost
