"""Slack, on loopback: a Web API stand-in, a Socket Mode stand-in, and a
client that sends the bot's Bolt endpoint requests signed as Slack signs them.

Fixtures (function scoped: every test gets fresh servers, stopped at its end):
  slack_api          SlackStandIn; give `slack_api.url` to AsyncWebClient(base_url=...)
  slack_socket_mode  SocketModeStandIn, handed out by slack_api's apps.connections.open
  slack_env          SLACK_API_URL, SLACK_BOT_TOKEN, SLACK_SIGNING_SECRET pointed at
                     the stand-in (SLACK_APP_TOKEN unset: HTTP mode)

Both servers run on their own loop threads, so a sync test may block on
`wait_for`; a coroutine whose loop runs the bot uses the `*_async` waits.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.peers.slack.bolt import SIGNING_SECRET, BoltClient, sign
from tests.peers.slack.payloads import block_actions_payload, command_payload, event_callback
from tests.peers.slack.socket_mode import Ack, SocketModeStandIn
from tests.peers.slack.webapi import TALLY, Call, SlackStandIn
from tests.peers.slack.workspace import (
    APP_ID,
    APP_TOKEN,
    BOT_ID,
    BOT_TOKEN,
    BOT_USER_ID,
    TEAM_ID,
    Message,
    Upload,
)

__all__ = [
    "APP_ID",
    "APP_TOKEN",
    "BOT_ID",
    "BOT_TOKEN",
    "BOT_USER_ID",
    "SIGNING_SECRET",
    "TEAM_ID",
    "Ack",
    "BoltClient",
    "Call",
    "Message",
    "SlackStandIn",
    "SocketModeStandIn",
    "Upload",
    "block_actions_payload",
    "command_payload",
    "event_callback",
    "sign",
]


@pytest.fixture
def slack_api(request: pytest.FixtureRequest) -> Iterator[SlackStandIn]:
    """A test that sends Slack a payload Slack refuses fails, unless it is
    marked `@pytest.mark.slack_refusals` (it means to be refused)."""
    with SlackStandIn() as stand_in:
        yield stand_in
        refused = stand_in.refused()
    if refused and request.node.get_closest_marker("slack_refusals") is None:
        detail = "; ".join(f"{c.method}: {c.response}" for c in refused[:3])
        pytest.fail(f"Slack would refuse {len(refused)} call(s): {detail}", pytrace=False)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "slack_refusals: the test sends payloads Slack refuses, on purpose"
    )


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if TALLY.validated:
        terminalreporter.write_line(TALLY.summary())


@pytest.fixture
def slack_socket_mode(slack_api: SlackStandIn) -> Iterator[SocketModeStandIn]:
    with SocketModeStandIn() as stand_in:
        slack_api.attach_socket_mode(stand_in.connection_url)
        try:
            yield stand_in
        finally:
            slack_api.attach_socket_mode(None)


@pytest.fixture
def slack_env(slack_api: SlackStandIn, monkeypatch: pytest.MonkeyPatch) -> SlackStandIn:
    monkeypatch.setenv("SLACK_API_URL", slack_api.url)
    monkeypatch.setenv("SLACK_BOT_TOKEN", slack_api.token)
    monkeypatch.setenv("SLACK_SIGNING_SECRET", SIGNING_SECRET)
    monkeypatch.delenv("SLACK_APP_TOKEN", raising=False)
    return slack_api
