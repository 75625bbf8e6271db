"""Messages in watched alert channels: Alertmanager's and Uptime Kuma's
posts are recognised and triaged in their own thread; anything else is
left alone."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncBoltContext

from bot.alerts.parse import parse_slack_message
from bot.slack.autotriage import AutoTriage


async def handle(event: dict[str, Any], context: AsyncBoltContext) -> None:
    autotriage: AutoTriage = context["autotriage"]
    channel = event.get("channel", "")
    if not autotriage.watches(channel):
        return
    alerts = parse_slack_message(event, own_bot_id=context.bot_id)
    if alerts:
        await autotriage.on_alerts(alerts, channel=channel, message_ts=event["ts"])
