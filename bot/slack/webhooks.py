"""Alerts posted to the bot over HTTP: /alerts/alertmanager (Alertmanager's
webhook JSON) and /alerts/kuma (the Kuma webhook body the user sends today).

The caller proves itself with `Authorization: Bearer <secret>` or
`X-Alert-Secret: <secret>`, compared in constant time. The bot answers at
once and then posts each alert to the alert channel and triages it in that
message's thread, exactly as if the source had posted it to Slack itself.
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
from bot.alerts.kuma_webhook import parse_kuma_webhook
from bot.alerts.model import Alert
from bot.slack.autotriage import AutoTriage
from bot.slack.render_alerts import alert_blocks, alert_text

log = logging.getLogger(__name__)
Parser = Callable[[Any], list[Alert]]
MAX_BODY = 1024 * 1024


class Webhooks:
    def __init__(self, autotriage: AutoTriage, *, secret: str | None, channel: str | None) -> None:
        self.autotriage = autotriage
        self.secret = secret
        self.channel = channel
        self._tasks: set[asyncio.Task[None]] = set()

    def add_routes(self, app: web.Application) -> None:
        app.router.add_post("/alerts/alertmanager", self._endpoint(parse_alertmanager_webhook))
        app.router.add_post("/alerts/kuma", self._endpoint(parse_kuma_webhook))

    def _endpoint(self, parse: Parser) -> Callable[[web.Request], Any]:
        async def receive(request: web.Request) -> web.Response:
            if self.secret is None or self.channel is None:
                return _answer(
                    503, "alert webhooks are off: set TRIAGE_ALERT_SECRET and an alert channel"
                )
            if not self._authorised(request):
                return _answer(401, "bad or missing alert secret")
            try:
                alerts = parse(json.loads(await request.content.read(MAX_BODY)))
            except (ValueError, TypeError, KeyError) as exc:
                return _answer(400, f"not an alert body: {exc}")
            # The delivery task inherits this id: its log lines carry it.
            logs.request_id.set(f"alert-{uuid.uuid4().hex[:12]}")
            task = asyncio.create_task(self._deliver(alerts))
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

    async def _deliver(self, alerts: list[Alert]) -> None:
        assert self.channel is not None
        poster = self.autotriage.walkthrough.poster
        for alert in alerts:
            try:
                ts = await poster.post(
                    self.channel, text=alert_text(alert), blocks=alert_blocks(alert)
                )
                await self.autotriage.on_alert(alert, channel=self.channel, message_ts=ts)
            except Exception:  # one bad alert must not drop the rest of the batch
                log.exception("could not deliver alert %s", alert.name)


def _answer(status: int, message: str) -> web.Response:
    return web.json_response({"ok": False, "error": message}, status=status)
