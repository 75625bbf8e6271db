"""Operations middleware: the metrics in every listener's context, and the
request id (set by the injecting middleware before this) on every log line
written while the request is handled, its acked-and-continued work included."""

from __future__ import annotations

from slack_bolt.async_app import AsyncApp, AsyncBoltContext
from slack_bolt.response import BoltResponse

from bot import logs
from bot.metrics import Metrics
from bot.slack.middleware import Next


def register(app: AsyncApp, metrics: Metrics) -> None:
    async def observe(context: AsyncBoltContext, next: Next) -> BoltResponse | None:
        context["metrics"] = metrics
        logs.request_id.set(context.get("request_id"))
        return await next()

    app.middleware(observe)
