"""Every refused attempt is audited: forged or garbled buttons and dialogs,
unknown action ids and values, clicks on a resolved incident, approvals
with unknown ids, people not on an allow list, replayed dialogs. Each
attempt below must add exactly one audit record saying "refused", and
none may reach AWS."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest

from bot.slack.payloads import CONFIRM_VIEW, Act
from bot.store import SqliteStore
from tests.peers.mail import Peer
from tests.peers.slack import BoltClient, SlackStandIn, sign
from tests.slack.bot import SECRET, running_bot

CHANNEL = "C0INCIDENT"
ALLOWED, STRANGER = "U0ONCALL", "U0VISITOR"
Attempt = Callable[[BoltClient, str], Awaitable[Any]]


def site(peer: Peer) -> list[str]:
    return [
        f"targets.smtp-relay.host={peer.host}", f"targets.smtp-relay.port={peer.port}",
        "vars.region=us-east-1", "vars.cluster=mail",
        f"actions.restart-service.users=[{ALLOWED}]",
    ]  # fmt: skip


def click(action_id: str, value: str | None, user: str = ALLOWED) -> Attempt:
    async def attempt(slack: BoltClient, ts: str) -> Any:
        return await slack.action(action_id, value or "", user=user, channel=CHANNEL, message_ts=ts)

    return attempt


def dialog(metadata: str, *, view_id: str, callback_id: str = CONFIRM_VIEW) -> Attempt:
    async def attempt(slack: BoltClient, ts: str) -> Any:
        payload = {
            "type": "view_submission", "team": {"id": "T0TEST"}, "api_app_id": "A0TEST",
            "user": {"id": ALLOWED, "username": "oncall", "team_id": "T0TEST"},
            "trigger_id": "1.2.3",
            "view": {"id": view_id, "callback_id": callback_id, "private_metadata": metadata,
                     "state": {"values": {}}, "type": "modal"},
        }  # fmt: skip
        body = urlencode({"payload": json.dumps(payload)}).encode()
        headers = {**sign(body, SECRET), "Content-Type": "application/x-www-form-urlencoded"}
        return await slack.raw(body, headers)

    return attempt


ATTEMPTS: dict[str, Attempt] = {
    "run_step, value not JSON": click(Act.RUN_STEP.value, "not json"),
    "run_step, incident 0": click(Act.RUN_STEP.value, '{"i":0,"s":"x"}'),
    "run_step, unknown incident": click(Act.RUN_STEP.value, '{"i":999,"s":"x"}'),
    "run_step, unknown step": click(Act.RUN_STEP.value, '{"i":1,"s":"no-such-step"}'),
    "run_step, bad step id": click(Act.RUN_STEP.value, '{"i":1,"s":"BAD STEP!"}'),
    "run_step, extra field": click(Act.RUN_STEP.value, '{"i":1,"s":"x","cmd":"id"}'),
    "run_step, no step": click(Act.RUN_STEP.value, '{"i":1}'),
    "run_step, oversized": click(Act.RUN_STEP.value, '{"i":1,"s":"' + "a" * 3000 + '"}'),
    "run_step, empty value": click(Act.RUN_STEP.value, None),
    "details, step not run": click(Act.DETAILS.value, '{"i":1,"s":"no-such-step"}'),
    "unknown action id": click("triage.bogus", '{"i":1}'),
    "foreign action id": click("evil", "x"),
    "answer suffix not a number": click(f"{Act.ANSWER.value}:x", '{"i":1,"s":"x","a":0}'),
    "action, no action id": click(Act.ACTION.value, '{"i":1}'),
    "action, unknown action": click(Act.ACTION.value, '{"i":1,"s":"nuke-everything"}'),
    "action, unknown incident": click(Act.ACTION.value, '{"i":999,"s":"restart-service"}'),
    "action, not on the allow list": click(
        Act.ACTION.value, '{"i":1,"s":"restart-service"}', STRANGER
    ),
    "approve, unknown approval": click(Act.APPROVE.value, '{"i":1,"s":"restart-service","r":999}'),
    "approve, no approval id": click(Act.APPROVE.value, '{"i":1,"s":"restart-service"}'),
    "reject, garbled": click(Act.REJECT.value, "{{{"),
    "dialog, garbled metadata": dialog("garbage", view_id="V01"),
    "dialog, unknown incident": dialog('{"i":999,"s":"restart-service"}', view_id="V02"),
    "dialog, unknown callback": dialog('{"i":1}', view_id="V03", callback_id="evil.dialog"),
    "dialog, no view id": dialog('{"i":1,"s":"restart-service"}', view_id=""),
}
AFTER_RESOLVE: dict[str, Attempt] = {
    "resolve, already resolved": click(Act.RESOLVE.value, '{"i":1}'),
    "run_step, resolved": click(Act.RUN_STEP.value, '{"i":1,"s":"x"}'),
    "dry_run, resolved": click(Act.DRY_RUN.value, '{"i":1}'),
    "action, resolved": click(Act.ACTION.value, '{"i":1,"s":"restart-service"}'),
    "dialog, resolved": dialog('{"i":1,"s":"restart-service"}', view_id="V04"),
}


async def audited(reader: SqliteStore, slack_api: SlackStandIn, count: int) -> bool:
    try:
        await slack_api.wait_for_async(lambda: len(reader.audit_log()) >= count, timeout=3)
    except TimeoutError:
        return False
    return True


@pytest.mark.usefixtures("aws_fake_credentials")
async def test_every_refused_attempt_is_audited_and_none_reaches_aws(
    slack_api: SlackStandIn, tmp_path: Path, closed_port: Peer, aws_error_peer: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    recorder = aws_error_peer("AccessDeniedException", "should never be asked")
    monkeypatch.setenv("AWS_ENDPOINT_URL", recorder.url)
    unaudited: list[str] = []
    statuses: dict[str, int] = {}
    with running_bot(slack_api.url, tmp_path / "t.db", site(closed_port)) as bot:
        reader = SqliteStore(tmp_path / "t.db")
        async with BoltClient(bot.base, SECRET, slack=slack_api) as slack:
            await slack.command("smtp-relay", channel=CHANNEL, user=ALLOWED)
            await slack_api.wait_for_async(lambda: len(slack_api.messages(CHANNEL)) >= 2)
            ts = next(iter(slack_api.messages(CHANNEL)))
            for phase in (ATTEMPTS, AFTER_RESOLVE):
                if phase is AFTER_RESOLVE:
                    before = len(reader.audit_log())
                    await click(Act.RESOLVE.value, '{"i":1}')(slack, ts)
                    assert await audited(reader, slack_api, before + 1)
                for name, attempt in phase.items():
                    before = len(reader.audit_log())
                    statuses[name] = (await attempt(slack, ts)).status_code
                    if not await audited(reader, slack_api, before + 1):
                        unaudited.append(name)
        records = reader.audit_log()
        reader.close()
    refused = [r for r in records if r.outcome.startswith("refused")]
    assert unaudited == []
    assert {name: s for name, s in statuses.items() if s != 200} == {}
    assert len(refused) == len(ATTEMPTS) + len(AFTER_RESOLVE) == 29
    assert recorder.requests == []
