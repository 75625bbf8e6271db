"""The Bolt app, its middleware and its listeners, around the incident
service (bot.app.build wires the whole bot from its settings)."""

from __future__ import annotations

from dataclasses import dataclass

from slack_bolt.async_app import AsyncApp
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncConnectionErrorRetryHandler,
    AsyncRateLimitErrorRetryHandler,
    AsyncServerErrorRetryHandler,
)
from slack_sdk.http_retry.request import HttpRequest
from slack_sdk.http_retry.response import HttpResponse
from slack_sdk.http_retry.state import RetryState
from slack_sdk.web.async_client import AsyncWebClient

from bot.engine.runner import Settings
from bot.incidents.escalation import EscalationActions
from bot.incidents.service import IncidentService
from bot.metrics import Metrics
from bot.runbooks.actions import Allow
from bot.runbooks.catalogue import Catalogue
from bot.runbooks.site import AlertsConfig
from bot.slack import actions, commands, errors, events, middleware, views
from bot.slack.apimetrics import instrument
from bot.slack.autotriage import AutoTriage
from bot.slack.config import SlackConfig
from bot.slack.escalation import SlackActions
from bot.slack.poster import Poster
from bot.slack.presenter import slack_incidents
from bot.store import SqliteStore, Store


class AnyServerErrorRetryHandler(AsyncServerErrorRetryHandler):
    """slack_sdk's handler retries 500 and 503 only; a 502 or 504 from a
    proxy in between is as passing."""

    async def _can_retry_async(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> bool:
        return response is not None and 500 <= response.status_code <= 599


@dataclass(frozen=True)
class SlackBot:
    app: AsyncApp
    incidents: IncidentService
    autotriage: AutoTriage
    escalation: EscalationActions
    metrics: Metrics


def web_client(config: SlackConfig, metrics: Metrics) -> AsyncWebClient:
    client = AsyncWebClient(token=config.bot_token, base_url=config.api_url)
    # A 429 is waited out (Retry-After); a 5xx or a dropped connection is
    # tried again with backoff (0.5, 1, 2 s): Slack's own hiccups are brief,
    # and a post sent twice is better than an alert or a result lost.
    client.retry_handlers.extend(
        [
            AsyncRateLimitErrorRetryHandler(max_retry_count=3),
            AnyServerErrorRetryHandler(max_retry_count=3),
            AsyncConnectionErrorRetryHandler(max_retry_count=3),
        ]
    )
    instrument(client, metrics)
    return client


def build(
    config: SlackConfig,
    catalogue: Catalogue,
    store: SqliteStore | Store,
    settings: Settings,
    *,
    alerts: AlertsConfig | None = None,
    action_allow: dict[str, Allow] | None = None,
) -> SlackBot:
    metrics = Metrics()
    client = web_client(config, metrics)
    poster = Poster(client, post_interval=config.post_interval, edit_interval=config.edit_interval)
    app = AsyncApp(
        client=client,
        signing_secret=config.signing_secret,
        # Socket Mode has no HTTP requests to verify; HTTP mode always does.
        request_verification_enabled=config.signing_secret is not None,
        # Slack is answered when the listener returns, and every listener
        # returns at its ack (its work queued, bot.slack.queued). Otherwise
        # Bolt runs the listener as a task and looks for its ack every 10 ms
        # on a timer that fires late under load: timed per request in the
        # side-by-side bench (issue 19), that look took 7-55 ms p50 of a
        # 14-63 ms ack.
        process_before_response=True,
    )
    incidents = slack_incidents(catalogue, store, poster, settings)
    incidents.on_check = metrics.check_finished
    incidents.on_resolved = metrics.incident_resolved
    incidents.on_target_check = metrics.check_of
    autotriage = AutoTriage(incidents, poster, alerts or AlertsConfig())
    metrics.watch_alerts(autotriage.counts)
    shown = SlackActions(poster)
    escalation = EscalationActions(incidents, shown, shown, action_allow or {})
    middleware.register(app, incidents, autotriage, escalation, metrics)
    for listeners in (commands, actions, events, views):
        listeners.register(app)
    errors.register(app)
    return SlackBot(app, incidents, autotriage, escalation, metrics)
