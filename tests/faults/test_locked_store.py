"""A store file locked by another process: acks and /healthz do not wait
for it, and the work behind them is done once the lock is let go, not lost.

Counts (one fault injected per test):
- a /triage and a /healthz during a lock held past SQLite's busy timeout:
  recovered 1 (the triage posted after the lock went), lost 0;
- an escalation action finishing while the store is locked: recovered 1 (its
  run record written once the lock went), lost 0."""

from __future__ import annotations

import logging
from pathlib import Path

import boto3
import httpx
import pytest

from bot.store import SqliteStore
from tests.faults.gate import gate_before
from tests.faults.locker import store_locked
from tests.faults.test_action_killed import TITLE, confirm
from tests.faults.waiting import until
from tests.peers.aws import MotoPeer, ecs_service
from tests.peers.mail import Peer
from tests.peers.slack import BoltClient, SlackStandIn
from tests.slack.bot import SECRET, running_bot
from tests.slack.test_escalation import action_button, open_escalation, site
from tests.slack.thread import CHANNEL


def desired_at(url: str) -> int:
    ecs = boto3.client("ecs", endpoint_url=url)
    found = ecs.describe_services(cluster="mail", services=["cabal-smtp-in"])
    return int(found["services"][0]["desiredCount"])


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
                await until(lambda: "locked by another process" in caplog.text, timeout=15)
                assert slack_api.calls("chat.postMessage") == []
                locker.release()
            header = await slack_api.wait_for_async(
                lambda: slack_api.calls("chat.postMessage"), timeout=15
            )
    assert ack.status_code == 200 and health.status_code == 200
    assert header[0].args["channel"] == CHANNEL
    assert SqliteStore(db).incident(1).target == "smtp-relay"  # the triage was not lost


async def test_an_action_finishing_while_the_store_is_locked_keeps_its_audit_record(  # noqa: PLR0917
    slack_api: SlackStandIn,
    tmp_path: Path,
    aws_env: MotoPeer,
    closed_port: Peer,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    caplog.set_level(logging.WARNING, logger="bot.store.connection")
    ecs_service("mail", "cabal-smtp-in", desired=1, running=1, events=["ok"])
    db = tmp_path / "t.db"
    with gate_before(aws_env.url, "UpdateService") as gate:
        monkeypatch.setenv("AWS_ENDPOINT_URL", gate.url)  # the bot's AWS, through the gate
        with running_bot(slack_api.url, db, site(closed_port)) as bot:
            async with BoltClient(bot.base, SECRET, slack=slack_api) as slack:
                await open_escalation(slack, slack_api)
                await confirm(slack, slack_api, *action_button(slack_api, TITLE))
                await until(lambda: gate.held > 0, timeout=20)
                with store_locked(db) as locker:
                    gate.release()  # the action goes on and finishes while the store is locked
                    await until(lambda: desired_at(aws_env.url) == 1, timeout=20)
                    await until(lambda: "locked by another process" in caplog.text, timeout=20)
                    locker.release()
                await slack_api.wait_for_async(
                    lambda: [
                        m for m in slack_api.messages(CHANNEL).values() if "✅ restarted" in m.text
                    ],
                    timeout=30,
                )
    runs = [r.outcome for r in SqliteStore(db).audit_log() if r.action == "run_action"]
    assert runs[0] == "started" and runs[-1].startswith("restarted")
