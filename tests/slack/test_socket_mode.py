"""Socket Mode: the same app, driven over a WebSocket stand-in."""

from __future__ import annotations

from pathlib import Path

from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler

from bot.store import SqliteStore
from tests.peers.slack import APP_TOKEN, SlackStandIn, SocketModeStandIn, command_payload
from tests.slack.bot import make_app


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
