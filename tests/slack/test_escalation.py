"""Escalation actions from the thread: only allowed people, confirmed with
the exact change, approved by a second person where the runbook says so,
run against (moto's) ECS, every attempt audited."""

from __future__ import annotations

import itertools
import json
import sqlite3
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import boto3
import pytest

from bot.slack.payloads import CONFIRM_VIEW, Act
from bot.store import SqliteStore
from tests.peers.aws import REGION, MotoPeer, ecs_service
from tests.peers.mail import Peer
from tests.peers.sentinel import accepted
from tests.peers.slack import BoltClient, SlackStandIn, sign
from tests.slack.bot import SECRET, running_bot
from tests.slack.thread import text_of

CHANNEL = "C0INCIDENT"
ALLOWED, OTHER, STRANGER = "U0ONCALL", "U0LEAD", "U0VISITOR"


def site(peer: Peer) -> list[str]:
    return [
        f"targets.smtp-relay.host={peer.host}", f"targets.smtp-relay.port={peer.port}",
        f"vars.region={REGION}", "vars.cluster=mail",
        f"actions.restart-service.users=[{ALLOWED}]",
        f"actions.force-new-deployment.users=[{ALLOWED}, {OTHER}]",
    ]  # fmt: skip


def buttons(stand_in: SlackStandIn, prefix: str) -> list[tuple[Any, dict[str, Any]]]:
    found = []
    for message in stand_in.messages(CHANNEL).values():
        for block in message.blocks or []:
            for element in block.get("elements", []):
                if str(element.get("action_id", "")).startswith(prefix):
                    found.append((message, element))
    return found


async def click(slack: BoltClient, message: Any, element: dict[str, Any], user: str) -> None:
    reply = await slack.action(
        element["action_id"], element["value"], user=user, channel=CHANNEL,
        message_ts=message.ts, thread_ts=message.thread_ts,
    )  # fmt: skip
    assert reply.status_code == 200


_VIEW_IDS = itertools.count(1)


async def submit(slack: BoltClient, view: dict[str, Any], user: str) -> None:
    """Submit `view` as Slack would: under the id Slack gave it when it was
    opened (each views.open a new one; the bot runs one action per id)."""
    view_id = view.get("id") or f"V{next(_VIEW_IDS)}"
    payload = {
        "type": "view_submission", "team": {"id": "T0TEST"}, "api_app_id": "A0TEST",
        "user": {"id": user, "username": user.lower(), "team_id": "T0TEST"},
        "trigger_id": "1.2.3", "view": {**view, "id": view_id, "state": {"values": {}}},
    }  # fmt: skip
    body = urlencode({"payload": json.dumps(payload)}).encode()
    headers = {**sign(body, SECRET), "Content-Type": "application/x-www-form-urlencoded"}
    assert (await slack.raw(body, headers)).status_code == 200


async def open_escalation(slack: BoltClient, stand_in: SlackStandIn) -> None:
    await slack.command("smtp-relay", channel=CHANNEL, user=ALLOWED)
    await stand_in.wait_for_async(lambda: buttons(stand_in, Act.ESCALATE.value))
    message, element = buttons(stand_in, Act.ESCALATE.value)[0]
    await click(slack, message, element, ALLOWED)
    await stand_in.wait_for_async(lambda: buttons(stand_in, Act.ACTION.value))


def action_button(stand_in: SlackStandIn, title: str) -> tuple[Any, dict[str, Any]]:
    return next(
        (m, e) for m, e in buttons(stand_in, Act.ACTION.value) if title in e["text"]["text"]
    )


def desired(cluster: str, service: str) -> int:
    found = boto3.client("ecs").describe_services(cluster=cluster, services=[service])
    return int(found["services"][0]["desiredCount"])


async def test_allowed_user_confirms_and_the_service_is_scaled_to_0_and_back(
    slack_api: SlackStandIn, tmp_path: Path, aws_env: MotoPeer, closed_port: Peer
) -> None:
    ecs_service("mail", "cabal-smtp-in", desired=1, running=1, events=["restarting"])
    with running_bot(slack_api.url, tmp_path / "t.db", site(closed_port)) as bot:
        async with BoltClient(bot.base, SECRET, slack=slack_api) as slack:
            await open_escalation(slack, slack_api)
            await click(slack, *action_button(slack_api, "Scale the service to 0"), ALLOWED)
            (opened,) = await slack_api.wait_for_async(lambda: slack_api.calls("views.open"))
            view = opened.args["view"]
            shown = json.dumps(view["blocks"])
            assert "running 1 of desired 1" in shown
            call = 'ecs.update_service(cluster="mail", service="cabal-smtp-in", desiredCount=0)'
            assert json.dumps(call)[1:-1] in shown
            assert view["callback_id"] == CONFIRM_VIEW
            await submit(slack, view, ALLOWED)
            done = await slack_api.wait_for_async(
                lambda: [
                    m for m in slack_api.messages(CHANNEL).values() if "✅ restarted" in m.text
                ],
                timeout=20,
            )
    assert "restarted: 0 then 1 of 1 running" in text_of(done[0])
    assert f"started by <@{ALLOWED}>" in text_of(done[0])
    assert desired("mail", "cabal-smtp-in") == 1
    audit = SqliteStore(tmp_path / "t.db").audit_log(incident_id=1)
    started, *run = [r for r in audit if r.action == "run_action"]
    assert started.outcome == "started"  # audited before the first AWS call
    assert len(run) == 1 and run[0].actor == ALLOWED and run[0].outcome.startswith("restarted")
    assert run[0].params["service"] == "cabal-smtp-in"


async def test_a_user_not_on_the_allow_list_is_refused_with_no_aws_call(  # noqa: PLR0917
    slack_api: SlackStandIn, tmp_path: Path, aws_fake_credentials: None, aws_error_peer: Any,
    monkeypatch: pytest.MonkeyPatch, closed_port: Peer,
) -> None:  # fmt: skip
    recorder = aws_error_peer("AccessDeniedException", "should never be asked")
    monkeypatch.setenv("AWS_ENDPOINT_URL", recorder.url)
    with running_bot(slack_api.url, tmp_path / "t.db", site(closed_port)) as bot:
        async with BoltClient(bot.base, SECRET, slack=slack_api) as slack:
            await open_escalation(slack, slack_api)
            before = len(recorder.requests)
            await click(slack, *action_button(slack_api, "Scale the service to 0"), STRANGER)
            refusal = await slack_api.wait_for_async(lambda: slack_api.calls("response_url"))
    assert "may not run" in json.dumps(refusal[-1].args)
    assert len(recorder.requests) == before  # nothing asked of AWS for the refusal
    assert slack_api.calls("views.open") == []
    refused = [
        r for r in SqliteStore(tmp_path / "t.db").audit_log() if r.outcome.startswith("refused")
    ]
    assert [(r.actor, r.action) for r in refused] == [(STRANGER, "ask")]


async def approval_requested(
    slack: BoltClient, stand_in: SlackStandIn
) -> tuple[Any, dict[str, Any]]:
    await open_escalation(slack, stand_in)
    await click(slack, *action_button(stand_in, "force a new deployment"), ALLOWED)
    (opened,) = await stand_in.wait_for_async(lambda: stand_in.calls("views.open"))
    await submit(slack, opened.args["view"], ALLOWED)
    await stand_in.wait_for_async(lambda: buttons(stand_in, Act.APPROVE.value))
    return buttons(stand_in, Act.APPROVE.value)[0]


async def test_the_requester_cannot_approve_their_own_request_and_another_allowed_user_can(
    slack_api: SlackStandIn, tmp_path: Path, aws_env: MotoPeer, closed_port: Peer
) -> None:
    ecs_service("mail", "cabal-smtp-in", desired=1, running=1, events=["ok"])
    with running_bot(slack_api.url, tmp_path / "t.db", site(closed_port)) as bot:
        async with BoltClient(bot.base, SECRET, slack=slack_api) as slack:
            message, approve = await approval_requested(slack, slack_api)
            await click(slack, message, approve, ALLOWED)
            refusal = await slack_api.wait_for_async(
                lambda: [
                    c
                    for c in slack_api.calls("response_url")
                    if "someone else" in json.dumps(c.args)
                ]
            )
            assert refusal
            await click(slack, message, approve, OTHER)
            await slack_api.wait_for_async(
                lambda: [m for m in slack_api.messages(CHANNEL).values() if "✅ done" in text_of(m)]
            )
    actions = [(r.actor, r.action, r.outcome) for r in SqliteStore(tmp_path / "t.db").audit_log()]
    assert (
        ALLOWED,
        "approve",
        "refused: You asked for this change; someone else must approve it.",
    ) in actions
    assert (OTHER, "approved", "approved") in actions
    assert any(
        a == ALLOWED and kind == "run_action" and out.startswith("done") for a, kind, out in actions
    )


async def test_an_expired_approval_is_refused(
    slack_api: SlackStandIn, tmp_path: Path, aws_env: MotoPeer, closed_port: Peer
) -> None:
    ecs_service("mail", "cabal-smtp-in", desired=1, running=1, events=["ok"])
    with running_bot(slack_api.url, tmp_path / "t.db", site(closed_port)) as bot:
        async with BoltClient(bot.base, SECRET, slack=slack_api) as slack:
            message, approve = await approval_requested(slack, slack_api)
            with sqlite3.connect(tmp_path / "t.db") as db:
                db.execute("UPDATE approvals SET expires_at = ?", (time.time() - 1,))
            await click(slack, message, approve, OTHER)
            refusal = await slack_api.wait_for_async(
                lambda: [
                    c for c in slack_api.calls("response_url") if "expired" in json.dumps(c.args)
                ]
            )
    assert refusal
    runs = [r for r in SqliteStore(tmp_path / "t.db").audit_log() if r.action == "run_action"]
    assert runs == []


async def test_dry_run_mode_shows_the_calls_and_makes_none(  # noqa: PLR0917
    slack_api: SlackStandIn, tmp_path: Path, aws_fake_credentials: None, aws_error_peer: Any,
    monkeypatch: pytest.MonkeyPatch, sentinel: Any,
) -> None:  # fmt: skip
    recorder = aws_error_peer("AccessDeniedException", "should never be asked")
    monkeypatch.setenv("AWS_ENDPOINT_URL", recorder.url)
    host, port = sentinel.getsockname()
    sets = [f"targets.smtp-relay.host={host}", f"targets.smtp-relay.port={port}",
            "vars.cluster=mail", f"actions.restart-service.users=[{ALLOWED}]"]  # fmt: skip
    with running_bot(slack_api.url, tmp_path / "t.db", sets) as bot:
        async with BoltClient(bot.base, SECRET, slack=slack_api) as slack:
            await slack.command("smtp-relay", channel=CHANNEL, user=ALLOWED)
            await slack_api.wait_for_async(lambda: buttons(slack_api, Act.DRY_RUN.value))
            await click(slack, *buttons(slack_api, Act.DRY_RUN.value)[0], ALLOWED)
            await slack_api.wait_for_async(lambda: "Dry run: on" in json.dumps(
                [m.blocks for m in slack_api.messages(CHANNEL).values()]))  # fmt: skip
            # The header's edit may go out before the steps' posts (one a second).
            await slack_api.wait_for_async(lambda: buttons(slack_api, Act.RUN_STEP.value))
            await click(slack, *buttons(slack_api, Act.RUN_STEP.value)[0], ALLOWED)
            step = await slack_api.wait_for_async(
                lambda: [
                    m for m in slack_api.messages(CHANNEL).values()
                    if m.thread_ts and "dry run:" in text_of(m)
                ]
            )  # fmt: skip
            header = next(iter(slack_api.messages(CHANNEL).values()))
            await click(slack, *buttons(slack_api, Act.ESCALATE.value)[0], ALLOWED)
            await slack_api.wait_for_async(lambda: buttons(slack_api, Act.ACTION.value))
            await click(slack, *action_button(slack_api, "Scale the service to 0"), ALLOWED)
            (opened,) = await slack_api.wait_for_async(lambda: slack_api.calls("views.open"))
            await submit(slack, opened.args["view"], ALLOWED)
            described = await slack_api.wait_for_async(
                lambda: [
                    m for m in slack_api.messages(CHANNEL).values() if "would call" in text_of(m)
                ]
            )
    assert f"{host}:{port}" in text_of(step[0])  # the probe it would make, named
    assert "ecs.update_service" in text_of(described[0])
    assert "🧪 Dry run" in text_of(header)
    assert recorder.requests == []  # no AWS request, not even a read
    assert accepted(sentinel) == 0  # and no probe connection
    runs = [r for r in SqliteStore(tmp_path / "t.db").audit_log() if r.action == "run_action"]
    assert runs == []
