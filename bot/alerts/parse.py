"""Which Slack messages are alerts: the one entry point for message events."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from bot.alerts import alertmanager_slack, healthchecks_slack, kuma_slack
from bot.alerts.model import Alert

SlackParser = Callable[[Mapping[str, Any]], list[Alert]]
PARSERS: tuple[SlackParser, ...] = (
    alertmanager_slack.parse,
    kuma_slack.parse,
    healthchecks_slack.parse,
)
# Edits, deletions, joins and the like are not new alerts; a bot posting
# through an incoming webhook gives `bot_message`, through a token nothing.
_NEW_POSTS = frozenset({None, "bot_message"})


def parse_slack_message(event: Mapping[str, Any], *, own_bot_id: str | None) -> list[Alert]:
    """The alerts a message event carries; [] for anything else."""
    if not _may_be_alert(event, own_bot_id):
        return []
    for parser in PARSERS:
        if alerts := parser(event):
            return alerts
    return []


def _may_be_alert(event: Mapping[str, Any], own_bot_id: str | None) -> bool:
    subtype = event.get("subtype")
    bot_id = event.get("bot_id")
    # Only other programs post alerts: a person quoting one is talking about it.
    from_bot = bool(bot_id) or subtype == "bot_message"
    mine = own_bot_id is not None and bot_id == own_bot_id
    thread_ts = event.get("thread_ts")
    reply = thread_ts is not None and thread_ts != event.get("ts")
    return subtype in _NEW_POSTS and from_bot and not mine and not reply
