"""Composition root: the Bolt app, its middleware and its listeners."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from slack_bolt.async_app import AsyncApp
from slack_sdk.http_retry.builtin_async_handlers import AsyncRateLimitErrorRetryHandler
from slack_sdk.web.async_client import AsyncWebClient

from bot.metrics import Metrics
from bot.runbooks.actions import Allow
from bot.runbooks.site import AlertsConfig
from bot.slack import actions, commands, errors, events, middleware, observe, views
from bot.slack.apimetrics import instrument
from bot.slack.autotriage import AutoTriage
from bot.slack.config import SlackConfig
from bot.slack.escalation import Escalation
from bot.slack.poster import Poster
from bot.slack.walkthrough import Walkthrough

WalkthroughFactory = Callable[[Poster], Walkthrough]


@dataclass(frozen=True)
class Bot:
    app: AsyncApp
    walkthrough: Walkthrough
    autotriage: AutoTriage
    metrics: Metrics


def web_client(config: SlackConfig, metrics: Metrics) -> AsyncWebClient:
    client = AsyncWebClient(token=config.bot_token, base_url=config.api_url)
    # A 429 is waited out (Retry-After), not lost.
    client.retry_handlers.append(AsyncRateLimitErrorRetryHandler(max_retry_count=3))
    instrument(client, metrics)
    return client


def build(
    config: SlackConfig,
    walkthrough_for: WalkthroughFactory,
    alerts: AlertsConfig | None = None,
    action_allow: dict[str, Allow] | None = None,
) -> Bot:
    metrics = Metrics()
    client = web_client(config, metrics)
    poster = Poster(client, post_interval=config.post_interval, edit_interval=config.edit_interval)
    app = AsyncApp(
        client=client,
        signing_secret=config.signing_secret,
        # Socket Mode has no HTTP requests to verify; HTTP mode always does.
        request_verification_enabled=config.signing_secret is not None,
    )
    walkthrough = walkthrough_for(poster)
    walkthrough.on_check = metrics.check_finished
    autotriage = AutoTriage(walkthrough, alerts or AlertsConfig())
    metrics.watch_alerts(autotriage.counts)
    escalation = Escalation(walkthrough, action_allow or {})
    middleware.register(app, walkthrough, autotriage, escalation)
    observe.register(app, metrics)
    for listeners in (commands, actions, events, views):
        listeners.register(app)
    errors.register(app)
    return Bot(app, walkthrough, autotriage, metrics)


def build_app(
    config: SlackConfig,
    walkthrough_for: WalkthroughFactory,
    alerts: AlertsConfig | None = None,
    action_allow: dict[str, Allow] | None = None,
) -> AsyncApp:
    return build(config, walkthrough_for, alerts, action_allow).app
