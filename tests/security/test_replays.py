"""Replays: a signed request sent again, a confirmation dialog submitted
twice (the same bytes, or signed anew, at once, after a restart), two
dialogs for one incident at once. Each change runs once: a proxy in front
of moto counts ECS UpdateService calls (one restart is exactly two: to 0
and back).

Replays of the same (timestamp, signature) are answered 200 and do nothing
(as Slack expects an answer, and a retry must not run twice); a second
submission of a dialog, or a second action while one runs, is refused and
audited."""

from __future__ import annotations

import asyncio
import http.client
import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

import httpx
import pytest

from bot.slack.payloads import CONFIRM_VIEW
from bot.store import SqliteStore
from tests.peers.aws import MotoPeer, ecs_service
from tests.peers.mail import Peer
from tests.peers.slack import BoltClient, SlackStandIn, command_payload, sign
from tests.slack.bot import SECRET, running_bot
from tests.slack.thread import text_of

CHANNEL, ALLOWED = "C0INCIDENT", "U0ONCALL"
FORM = {"Content-Type": "application/x-www-form-urlencoded"}


class CountingProxy:
    """Forwards every request to moto and counts them by X-Amz-Target."""

    def __init__(self, upstream: str) -> None:
        self.targets: list[str] = []
        host, port = urlsplit(upstream).netloc.split(":")
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                proxy.targets.append(self.headers.get("X-Amz-Target", ""))
                upstream = http.client.HTTPConnection(host, int(port), timeout=10)
                upstream.request("POST", self.path, body, dict(self.headers))
                answer = upstream.getresponse()
                data = answer.read()
                self.send_response(answer.status)
                for name, value in answer.getheaders():
                    if name.lower() not in ("content-length", "transfer-encoding", "connection"):
                        self.send_header(name, value)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
                upstream.close()

            def log_message(self, format: str, *args: object) -> None:
                """Quiet."""

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        threading.Thread(target=self._server.serve_forever, args=(0.05,), daemon=True).start()

    def updates(self) -> int:
        return sum(t.endswith(".UpdateService") for t in self.targets)

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()


@pytest.fixture
def ecs(aws_env: MotoPeer, monkeypatch: pytest.MonkeyPatch) -> Iterator[CountingProxy]:
    proxy = CountingProxy(aws_env.url)
    monkeypatch.setenv("AWS_ENDPOINT_URL", proxy.url)
    ecs_service("mail", "cabal-smtp-in", desired=1, running=1, events=["ok"])
    yield proxy
    proxy.stop()


def site(peer: Peer) -> list[str]:
    return [
        f"targets.smtp-relay.host={peer.host}", f"targets.smtp-relay.port={peer.port}",
        "vars.region=us-east-1", "vars.cluster=mail",
        f"actions.restart-service.users=[{ALLOWED}]",
    ]  # fmt: skip


def submission(view_id: str) -> bytes:
    payload = {
        "type": "view_submission", "team": {"id": "T0TEST"}, "api_app_id": "A0TEST",
        "user": {"id": ALLOWED, "username": "oncall", "team_id": "T0TEST"}, "trigger_id": "1.2.3",
        "view": {"id": view_id, "callback_id": CONFIRM_VIEW, "type": "modal",
                 "private_metadata": '{"i":1,"s":"restart-service"}', "state": {"values": {}}},
    }  # fmt: skip
    return urlencode({"payload": json.dumps(payload)}).encode()


async def opened(slack: BoltClient, slack_api: SlackStandIn) -> None:
    await slack.command("smtp-relay", channel=CHANNEL, user=ALLOWED)
    await slack_api.wait_for_async(lambda: len(slack_api.messages(CHANNEL)) >= 2)


async def restarted(slack_api: SlackStandIn, count: int = 1) -> None:
    await slack_api.wait_for_async(
        lambda: len([m for m in slack_api.messages(CHANNEL).values()
                     if "✅ restarted" in text_of(m)]) >= count,
        timeout=20,
    )  # fmt: skip


async def test_a_replayed_command_opens_one_incident(
    slack_api: SlackStandIn, tmp_path: Path
) -> None:
    body = urlencode(
        command_payload("smtp-relay", channel=CHANNEL, response_url=slack_api.response_url())
    ).encode()
    headers = {**FORM, **sign(body, SECRET)}
    with running_bot(slack_api.url, tmp_path / "t.db") as bot:
        async with httpx.AsyncClient(timeout=10) as http:
            replies = [await http.post(bot.url, content=body, headers=headers) for _ in range(5)]
            await slack_api.wait_for_async(lambda: len(slack_api.messages(CHANNEL)) >= 2)
        opened = bot.store.open_incident_for("probe-failure", "smtp-relay")
        with pytest.raises(KeyError):
            bot.store.incident(2)
    assert [r.status_code for r in replies] == [200] * 5
    assert opened is not None and opened.id == 1


async def test_one_dialog_submitted_again_and_again_restarts_once(
    slack_api: SlackStandIn, tmp_path: Path, closed_port: Peer, ecs: CountingProxy
) -> None:
    body = submission("V0SAME")
    same = {**FORM, **sign(body, SECRET)}
    with running_bot(slack_api.url, tmp_path / "t.db", site(closed_port)) as bot:
        async with BoltClient(bot.base, SECRET, slack=slack_api) as slack:
            await opened(slack, slack_api)
            now = int(time.time())
            replies = await asyncio.gather(
                *[slack.raw(body, same) for _ in range(3)],  # the same bytes, replayed
                slack.raw(body, {**FORM, **sign(body, SECRET, now - 100)}),  # signed anew
                slack.raw(body, {**FORM, **sign(body, SECRET, now - 200)}),
            )
            await restarted(slack_api)
            reader = SqliteStore(tmp_path / "t.db")
            refused = await slack_api.wait_for_async(
                lambda: (
                    len([r for r in reader.audit_log() if "already submitted" in r.outcome]) == 2
                )  # the two signed anew; the same bytes never reach a listener
            )
            audit = reader.audit_log()
            reader.close()
    # The restart is done: any second one would have been counted by now.
    assert [r.status_code for r in replies] == [200] * 5
    assert refused
    assert ecs.updates() == 2
    # One run: its "started" record (written before the first AWS call) and its outcome.
    runs = [r.outcome for r in audit if r.action == "run_action"]
    assert len(runs) == 2 and runs[0] == "started" and runs[1].startswith("restarted"), runs

    # After a restart of the bot, the same dialog signed anew is still refused.
    with running_bot(slack_api.url, tmp_path / "t.db", site(closed_port)) as bot:
        async with BoltClient(bot.base, SECRET, slack=slack_api) as slack:
            reply = await slack.raw(body, {**FORM, **sign(body, SECRET)})
            reader = SqliteStore(tmp_path / "t.db")
            await slack_api.wait_for_async(
                lambda: (
                    len([r for r in reader.audit_log() if "already submitted" in r.outcome]) == 3
                )
            )
            reader.close()
    assert reply.status_code == 200
    assert ecs.updates() == 2


async def test_two_dialogs_for_one_incident_at_once_run_one_restart(
    slack_api: SlackStandIn, tmp_path: Path, closed_port: Peer, ecs: CountingProxy
) -> None:
    with running_bot(slack_api.url, tmp_path / "t.db", site(closed_port)) as bot:
        async with BoltClient(bot.base, SECRET, slack=slack_api) as slack:
            await opened(slack, slack_api)
            first, second = submission("V0FIRST"), submission("V0SECOND")
            await asyncio.gather(
                slack.raw(first, {**FORM, **sign(first, SECRET)}),
                slack.raw(second, {**FORM, **sign(second, SECRET)}),
            )
            refusal: list[Any] = await slack_api.wait_for_async(
                lambda: [c for c in slack_api.calls("chat.postEphemeral")
                         if "already running" in json.dumps(c.args)]
            )  # fmt: skip
            await restarted(slack_api)
    assert refusal
    assert ecs.updates() == 2
    audit = SqliteStore(tmp_path / "t.db").audit_log()
    runs = [r.outcome for r in audit if r.action == "run_action"]
    assert len([o for o in runs if o.startswith("restarted")]) == 1
    assert len([r for r in audit if r.outcome == "refused: already running"]) == 1
