"""Messages in watched alert channels: Alertmanager's and Uptime Kuma's
posts are recognised and triaged in their own thread; anything else is
left alone.

A resolution read from a message is taken only from the poster (Slack bot
or user id) that posted the alert firing: any bot can post in a watched
channel, and a look-alike "[RESOLVED]" from another must not close an
incident. Who fired what is kept in memory: after a restart, a resolution
of an alert fired before it comes through the webhook or the Resolve
button instead.
"""

from __future__ import annotations

import logging
import weakref
from typing import Any

from slack_bolt.async_app import AsyncBoltContext
from slack_sdk.web.async_client import AsyncWebClient

from bot.alerts.amapi import AlertmanagerError
from bot.alerts.grouped import missing_line
from bot.alerts.model import Alert
from bot.alerts.parse import parse_slack_message
from bot.slack import queued
from bot.slack.autotriage import AutoTriage
from bot.slack.mrkdwn import escape

log = logging.getLogger(__name__)
ALERT_UNIT = "alert message"  # its queued unit's name, which a restart runs again
# Per bot: alert fingerprint -> the posters that posted it firing.
_fired_by: weakref.WeakKeyDictionary[AutoTriage, dict[str, set[str]]] = weakref.WeakKeyDictionary()


async def handle(
    event: dict[str, Any], body: dict[str, Any], context: AsyncBoltContext, client: AsyncWebClient
) -> None:
    """Acked by Bolt before this runs; the work is queued behind other acks."""
    autotriage: AutoTriage = context["autotriage"]
    if not autotriage.watches(event.get("channel", "")):
        return
    work = autotriage.incidents.work
    bot_id = context.bot_id
    # Kept whole: an alert queued and cut short by a restart, perhaps before
    # its incident was opened, is triaged again from it (bot.slack.recovery).
    params = {"channel": event.get("channel"), "event": event, "bot_id": bot_id}
    kept = queued.Kept(autotriage.incidents.store, "alert", context["request_id"], params)
    queued.later(
        work, ALERT_UNIT, lambda: triage(autotriage, event, bot_id), body=body, client=client,
        kept=kept,
    )  # fmt: skip


async def triage(autotriage: AutoTriage, event: dict[str, Any], bot_id: str | None) -> None:
    """Triage the alerts of a message in a watched channel (again, after a restart)."""
    channel = event.get("channel", "")
    parsed = parse_slack_message(event, own_bot_id=bot_id)
    alerts = [autotriage.identify(a) for a in await _expanded(autotriage, event, parsed)]
    alerts = from_their_source(autotriage, alerts, _poster(event))
    if alerts:
        await autotriage.on_alerts(alerts, channel=channel, message_ts=event["ts"], path="slack")


async def _expanded(
    autotriage: AutoTriage, event: dict[str, Any], alerts: list[Alert]
) -> list[Alert]:
    """A grouped notification that names no target (`[FIRING:2]
    BlackboxProbeFailure critical`) stands for the alerts Alertmanager holds
    for it, when the site config says where Alertmanager is; otherwise the
    bot says once, in its thread, what is missing (bot.alerts.grouped)."""
    bindings = autotriage.incidents.catalogue.bindings
    lines = [line for a in alerts if (line := missing_line(a, bindings)) is not None]
    if not lines:
        return alerts
    api = autotriage.resolutions.api
    if api is None:
        if alerts[0].status == "firing":
            await autotriage.say(event.get("channel", ""), event["ts"], lines[0])
        return []
    try:
        return await api.expand(event)
    except AlertmanagerError as exc:
        await autotriage.say(
            event.get("channel", ""), event["ts"],
            f"This notification names no target and asking Alertmanager failed: {escape(str(exc))}",
        )  # fmt: skip
        return []


def from_their_source(autotriage: AutoTriage, alerts: list[Alert], poster: str) -> list[Alert]:
    fired_by = _fired_by.setdefault(autotriage, {})
    kept = []
    for alert in alerts:
        if alert.status != "resolved":
            fired_by.setdefault(alert.fingerprint, set()).add(poster)
            kept.append(alert)
        elif poster in fired_by.get(alert.fingerprint, set()):
            kept.append(alert)
        else:
            log.warning(
                "ignored a resolution of %s posted by %s: not the poster that fired it",
                alert.name, poster or "nobody",
            )  # fmt: skip
    return kept


def _poster(event: dict[str, Any]) -> str:
    message = event.get("message")
    edited: dict[str, Any] = message if isinstance(message, dict) else {}
    return str(event.get("bot_id") or event.get("user") or edited.get("bot_id") or "")
