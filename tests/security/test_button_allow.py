"""Who may press what: a runbook's `buttons:` restricts Run (and Re-run,
Run all), Dry run and Resolve with the allow-list model of actions; unset,
anyone may (as before). An alert resolution read from a Slack message is
taken only from the poster that fired it."""

from __future__ import annotations

import json
import shutil
import socket
from pathlib import Path

import pytest

from bot.slack.payloads import Act
from bot.store import SqliteStore
from tests.peers.mail import Peer
from tests.peers.sentinel import accepted
from tests.peers.slack import BoltClient, SlackStandIn
from tests.slack import bot as slack_bot
from tests.slack.bot import SECRET, running_bot
from tests.slack.thread import ALERTS, fixture, header_saying, local_site

CHANNEL, ONCALL, VISITOR = "C0INCIDENT", "U0ONCALL", "U0VISITOR"
BUTTONS = f"""
buttons:
  run: {{users: [{ONCALL}]}}
  resolve: {{users: [{ONCALL}]}}
  dry_run: {{users: []}}
"""


@pytest.fixture
def restricted(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The example runbook with `buttons:` added, loaded as the bot loads it."""
    root = tmp_path / "root"
    shutil.copytree(slack_bot.ROOT / "runbooks", root / "runbooks")
    shutil.copytree(slack_bot.ROOT / "docs", root / "docs")
    runbook = root / "runbooks" / "probe-failure.yaml"
    runbook.write_text(runbook.read_text() + BUTTONS)
    monkeypatch.setattr(slack_bot, "ROOT", root)


async def press(slack: BoltClient, act: Act, user: str, ts: str) -> None:
    value = '{"i":1,"s":"imap-reach"}' if act is Act.RUN_STEP else '{"i":1}'
    reply = await slack.action(act.value, value, user=user, channel=CHANNEL, message_ts=ts)
    assert reply.status_code == 200


@pytest.mark.usefixtures("restricted")
async def test_buttons_a_runbook_restricts_refuse_others_and_audit_it(
    slack_api: SlackStandIn, tmp_path: Path, sentinel: socket.socket
) -> None:
    host, port = sentinel.getsockname()
    sets = [f"targets.smtp-relay.host={host}", f"targets.smtp-relay.port={port}"]
    with running_bot(slack_api.url, tmp_path / "t.db", sets) as bot:
        reader = SqliteStore(tmp_path / "t.db")
        async with BoltClient(bot.base, SECRET, slack=slack_api) as slack:
            await slack.command("smtp-relay", channel=CHANNEL, user=VISITOR)
            await slack_api.wait_for_async(lambda: len(slack_api.messages(CHANNEL)) >= 2)
            ts = next(iter(slack_api.messages(CHANNEL)))
            attempts = [
                (Act.RUN_STEP, VISITOR), (Act.RUN_ALL, VISITOR), (Act.RERUN, VISITOR),
                (Act.RESOLVE, VISITOR), (Act.DRY_RUN, VISITOR), (Act.DRY_RUN, ONCALL),
            ]  # fmt: skip
            for act, user in attempts:
                await press(slack, act, user, ts)
            await slack_api.wait_for_async(
                lambda: (
                    len([r for r in reader.audit_log() if r.outcome == "refused: not allowed"])
                    == len(attempts)
                )
            )
            assert reader.incident(1).status == "open"
            assert not reader.incident(1).dry_run
            await press(slack, Act.RESOLVE, ONCALL, ts)
            await slack_api.wait_for_async(lambda: reader.incident(1).status == "resolved")
        refusals = [c for c in slack_api.calls("response_url") if "may not" in json.dumps(c.args)]
        reader.close()
    assert len(refusals) == len(attempts)
    assert accepted(sentinel) == 0  # no refused Run probed anything


@pytest.mark.usefixtures("aws_fake_credentials")
async def test_only_the_poster_that_fired_an_alert_resolves_it(
    slack_api: SlackStandIn, tmp_path: Path, closed_port: Peer, caplog: pytest.LogCaptureFixture
) -> None:
    firing = fixture("slack-am-default-webhook-firing")
    resolved = fixture("slack-am-default-webhook-firing", ts="1717236900.000100")
    resolved["attachments"][0]["title"] = resolved["attachments"][0]["title"].replace(
        "[FIRING:1]", "[RESOLVED]"
    )
    impostor = {**resolved, "bot_id": "B0IMPOSTOR", "username": "AlertManager"}
    with running_bot(slack_api.url, tmp_path / "t.db", local_site(closed_port.port)) as bot:
        async with BoltClient(bot.base, SECRET, slack=slack_api) as slack:
            await slack.event(firing, event_id="Ev1")
            await slack_api.wait_for_async(lambda: header_saying(slack_api, "Findings"))
            await slack.event(impostor, event_id="Ev2")
            await slack_api.wait_for_async(lambda: "ignored a resolution" in caplog.text)
            still_open = bot.store.incident(1).status
            await slack.event(resolved, event_id="Ev3")
            await slack_api.wait_for_async(lambda: header_saying(slack_api, "resolved by"))
    assert still_open == "open"  # the impostor's resolution was not taken
    assert "posted by B0IMPOSTOR" in caplog.text
    lines = [m for m in slack_api.messages(ALERTS).values() if "resolved after" in m.text]
    assert len(lines) == 1
    assert SqliteStore(tmp_path / "t.db").incident(1).status == "resolved"
