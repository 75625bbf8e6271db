"""Alerts posted to the bot over HTTP: /alerts/alertmanager (Alertmanager's
webhook JSON), /alerts/kuma (the Kuma webhook body the user sends today) and
/alerts/healthchecks (Healthchecks.io's webhook).

The caller proves itself with `Authorization: Bearer <secret>` or
`X-Alert-Secret: <secret>`, compared in constant time. The bot reads the
whole body (413 past MAX_BODY), posts the alerts to the alert channel, and
only then answers 202; a post Slack refused is a 503 with Retry-After, so the
source sends the alerts again rather than losing them. Only new firings get
a channel line (a notification repeats every alert of its group; the
unchanged ones, and resolutions, go to their incident's thread), and none
when Alertmanager's own Slack message of the firing hosts the incident
(`alerts.slack_window`, docs/alerts.md). Each alert is then triaged in its
message's thread, exactly as if the source had posted it.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
import uuid
from collections.abc import Callable
from typing import Any

from aiohttp import web

from bot import logs
from bot.alerts.alertmanager_webhook import parse_alertmanager_webhook
from bot.alerts.healthchecks_webhook import parse_healthchecks_webhook
from bot.alerts.kuma_webhook import parse_kuma_webhook
from bot.alerts.model import Alert
from bot.slack import http_limits
from bot.slack.autotriage import AutoTriage
from bot.slack.render_alerts import (
    alert_blocks,
    alert_in_full,
    alert_is_cut,
    alert_text,
    grouped_alerts,
)

log = logging.getLogger(__name__)
Parser = Callable[[Any], list[Alert]]
# A whole body is read, up to this; more is a 413. Alertmanager's grouped
# bodies run to ~600 bytes an alert: 4 MiB is several thousand alerts.
MAX_BODY = http_limits.DEFAULT.max_body
# Up to this many alerts in one body are posted one message each (as the
# source would); more are one grouped post (render_alerts.grouped_alerts),
# each still triaged in its thread. 2,000 posts at Slack's 1/s is half an hour.
SINGLY = 3
# Alertmanager retries a 5xx; this is when, for a source that reads it.
RETRY_AFTER_S = 30
_UNREADABLE = (ValueError, TypeError, KeyError, RecursionError, UnicodeDecodeError)


class TooLarge(Exception):
    pass


class Webhooks:
    def __init__(self, autotriage: AutoTriage, *, secret: str | None, channel: str | None) -> None:
        self.autotriage = autotriage
        self.secret = secret
        self.channel = channel
        self._tasks: set[asyncio.Task[None]] = set()

    def add_routes(self, app: web.Application) -> None:
        app.router.add_post("/alerts/alertmanager", self._endpoint(parse_alertmanager_webhook))
        app.router.add_post("/alerts/kuma", self._endpoint(parse_kuma_webhook))
        app.router.add_post("/alerts/healthchecks", self._endpoint(parse_healthchecks_webhook))

    def _endpoint(self, parse: Parser) -> Callable[[web.Request], Any]:
        async def receive(request: web.Request) -> web.Response:
            if self.secret is None or self.channel is None:
                return _answer(
                    503, "alert webhooks are off: set TRIAGE_ALERT_SECRET and an alert channel"
                )
            if not self._authorised(request):
                return _answer(401, "bad or missing alert secret")
            try:
                alerts = parse(json.loads(await read_body(request)))
            except TooLarge:
                refused = _answer(
                    413, f"the body is over {MAX_BODY} bytes; send fewer alerts a call"
                )
                refused.force_close()  # the rest of the body is not worth reading
                return refused
            except _UNREADABLE as exc:
                return _answer(400, f"not an alert body: {_reason(exc)}")
            # The delivery task inherits this id: its log lines carry it.
            logs.request_id.set(f"alert-{uuid.uuid4().hex[:12]}")
            try:
                posted = await self._post(alerts)
            except Exception:
                # Not posted, so not taken: the source retries (Alertmanager
                # retries a 5xx), rather than the alert vanishing after a 202.
                log.exception(
                    "could not post %d alert(s) to Slack; asking for a retry", len(alerts)
                )
                return _answer(
                    503, "could not post to Slack; retry later", {"Retry-After": str(RETRY_AFTER_S)}
                )
            task = asyncio.create_task(self._triage(posted))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
            return web.json_response({"ok": True, "alerts": len(alerts)}, status=202)

        return receive

    def _authorised(self, request: web.Request) -> bool:
        assert self.secret is not None
        given = request.headers.get("X-Alert-Secret") or ""
        auth = request.headers.get("Authorization", "")
        if auth.lower().startswith("bearer "):
            given = auth[7:].strip()
        return hmac.compare_digest(given.encode(), self.secret.encode())

    async def _post(self, alerts: list[Alert]) -> list[tuple[Alert, str]]:
        """Post the new firings to the channel (each, or one grouped
        message); each alert with the ts of the message it is triaged under
        ("" for a resolution, a repeat, or a firing whose Alertmanager Slack
        message hosts it: those get no channel line of their own)."""
        autotriage = self.autotriage
        new = [a for a in alerts if await autotriage.is_new(a)]
        earlier = {id(a): autotriage.line_of(a) for a in alerts if a not in new}
        for alert in new:
            autotriage.lined(alert, "")
        try:
            posted = await self._lines(new)
        except BaseException:
            for alert in new:
                if not autotriage.line_of(alert):
                    autotriage.lined(alert, None)  # not posted: still new on the resend
            raise
        for alert in new:
            autotriage.lined(alert, posted.get(id(alert), ""))
        return [(a, posted.get(id(a)) or earlier.get(id(a), "")) for a in alerts]

    async def _lines(self, new: list[Alert]) -> dict[int, str]:
        """Post a line for each new firing Alertmanager's Slack message does
        not host: by id(alert), the ts of its line."""
        assert self.channel is not None
        autotriage = self.autotriage
        hosted = await asyncio.gather(*(autotriage.hosted_by_slack(a) for a in new))
        lines = [a for a, by_slack in zip(new, hosted, strict=True) if not by_slack]
        poster = autotriage.poster
        posted: dict[int, str] = {}
        if len(lines) <= SINGLY:
            for alert in lines:
                text, blocks = alert_text(alert), alert_blocks(alert)
                posted[id(alert)] = await poster.post(self.channel, text=text, blocks=blocks)
                autotriage.lined(alert, posted[id(alert)])  # a resend finds it posted
                if alert_is_cut(alert):
                    await self._in_full(alert, posted[id(alert)])
        elif lines:
            text, blocks = grouped_alerts(lines)
            ts = await poster.post(self.channel, text=text, blocks=blocks)
            posted = {id(alert): ts for alert in lines}
        return posted

    async def _in_full(self, alert: Alert, ts: str) -> None:
        """The whole alert one click away, as a file in its line's thread: a
        courtesy, so a failure is logged and the alert goes on."""
        assert self.channel is not None
        try:
            await self.autotriage.poster.upload(
                self.channel, ts, filename="alert.txt", content=alert_in_full(alert),
                title=f"{alert.name} in full",
            )  # fmt: skip
        except Exception:
            log.warning("could not attach alert %s in full", alert.name, exc_info=True)

    async def _triage(self, posted: list[tuple[Alert, str]]) -> None:
        assert self.channel is not None
        grouped = sum(1 for _, ts in posted if ts) > SINGLY
        for alert, ts in posted:
            try:
                await self.autotriage.on_alert(
                    alert, channel=self.channel, message_ts=ts, announce=not grouped,
                    path="webhook",
                )  # fmt: skip
            except Exception:  # one bad alert must not drop the rest of the batch
                log.exception("could not triage alert %s", alert.name)


async def read_body(request: web.Request) -> bytes:
    """The whole body, however many reads it takes (`content.read(n)` returns
    what is buffered so far, not n bytes); TooLarge past MAX_BODY. The
    server's body_deadline has usually read it already: `read()` keeps it."""
    if (request.content_length or 0) > MAX_BODY:
        raise TooLarge
    try:
        body = await request.read()
    except web.HTTPRequestEntityTooLarge:
        raise TooLarge from None
    if len(body) > MAX_BODY:
        raise TooLarge
    return body


def _reason(exc: BaseException) -> str:
    if isinstance(exc, RecursionError):
        return "nested too deeply"
    return str(exc)[:200] or type(exc).__name__


def _answer(status: int, message: str, headers: dict[str, str] | None = None) -> web.Response:
    return web.json_response({"ok": False, "error": message}, status=status, headers=headers)
