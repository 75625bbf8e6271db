"""Socket Mode: the same app, driven over a WebSocket stand-in."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler

from bot.slack.server import DEFAULT_PING_INTERVAL, socket_handler
from bot.store import SqliteStore
from tests.peers.slack import APP_TOKEN, SlackStandIn, SocketModeStandIn, command_payload
from tests.peers.slack.blackhole import Blackhole
from tests.slack.bot import make_app

ROOT = Path(__file__).parents[2]
# "Within a few seconds": about two ping intervals to notice, one to reconnect
# (~4 s measured with the default; ~22 s with Bolt's own 10 s pings).
RECONNECT_WITHIN = 10.0


async def test_slash_command_over_socket_mode_is_acked_and_opens_an_incident(
    slack_api: SlackStandIn, slack_socket_mode: SocketModeStandIn, tmp_path: Path
) -> None:
    app = make_app(slack_api.url, SqliteStore(tmp_path / "t.db"), signing_secret=None)
    handler = AsyncSocketModeHandler(app, app_token=APP_TOKEN)
    try:
        await handler.connect_async()  # type: ignore[no-untyped-call]
        payload = command_payload("ntfy", channel="C9", response_url=slack_api.response_url())
        envelope_id = slack_socket_mode.send_envelope("slash_commands", payload)
        await slack_socket_mode.wait_for_ack_async(envelope_id)
        posted = await slack_api.wait_for_async(lambda: len(slack_api.messages("C9")) >= 2)
    finally:
        await handler.close_async()  # type: ignore[no-untyped-call]
    assert posted
    header = next(iter(slack_api.messages("C9").values()))
    assert "ntfy push server" in str(header.blocks)


async def test_a_silent_drop_is_noticed_and_the_link_replaced_within_seconds(
    slack_api: SlackStandIn, slack_socket_mode: SocketModeStandIn, tmp_path: Path
) -> None:
    """The relay forgets the flow without a FIN or close frame (a NAT timing
    out): the handler's pings go unanswered, it connects anew, and a command
    sent then is acked. Bolt's default (10 s pings, 4 missed) takes ~40 s."""
    app = make_app(slack_api.url, SqliteStore(tmp_path / "t.db"), signing_secret=None)
    with Blackhole("127.0.0.1", slack_socket_mode.port) as relay:
        slack_api.attach_socket_mode(lambda: slack_socket_mode.connection_url(relay.port))
        handler = socket_handler(app, app_token=APP_TOKEN, ping_interval=DEFAULT_PING_INTERVAL)
        try:
            await handler.connect_async()  # type: ignore[no-untyped-call]
            await asyncio.to_thread(slack_socket_mode.wait_for_connections, 1)
            relay.drop()
            await asyncio.to_thread(slack_socket_mode.wait_for_connections, 2, RECONNECT_WITHIN)
            payload = command_payload("help", channel="C9", response_url=slack_api.response_url())
            envelope_id = slack_socket_mode.send_envelope("slash_commands", payload)
            ack = await slack_socket_mode.wait_for_ack_async(envelope_id)
        finally:
            await handler.close_async()  # type: ignore[no-untyped-call]
    assert ack.payload and "smtp-relay" in str(ack.payload)


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_serve_stops_cleanly_on_a_signal(
    slack_api: SlackStandIn,
    slack_socket_mode: SocketModeStandIn,
    tmp_path: Path,
    signum: signal.Signals,
) -> None:
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "SLACK_API_URL": slack_api.url,
        "SLACK_BOT_TOKEN": slack_api.token,
        "SLACK_APP_TOKEN": slack_api.app_token,
        "TRIAGE_DB": str(tmp_path / "t.db"),
        "TRIAGE_RUNBOOKS": str(ROOT / "runbooks"),
        "PYTHONASYNCIODEBUG": "0",
    }
    command = [sys.executable, "-m", "bot.cli", "serve", "--host", "127.0.0.1", "--port", "0"]
    with subprocess.Popen(
        command, env=env, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    ) as served:
        try:
            slack_socket_mode.wait_for_connections(1, timeout=30)
            served.send_signal(signum)
            out, err = served.communicate(timeout=15)
        finally:
            if served.poll() is None:
                served.kill()
                served.communicate()
    assert served.returncode == 0, err
    assert "triage: stopping" in out
    for bad in ("Traceback", "Unclosed", "Event loop is closed", "Task was destroyed"):
        assert bad not in err, err
