"""`build_bot`: the one place the bot is wired together, for `triage serve`,
`triage console`, the demo and the tests alike (so what the tests drive is
what runs)."""

from __future__ import annotations

from dataclasses import dataclass

from slack_bolt.async_app import AsyncApp

from bot.app.settings import BotSettings
from bot.incidents.service import IncidentService
from bot.metrics import Metrics
from bot.runbooks.catalogue import Catalogue
from bot.slack.app import build
from bot.slack.autotriage import AutoTriage
from bot.slack.config import SlackConfig
from bot.slack.webhooks import Webhooks
from bot.store import SqliteStore, Store


@dataclass(frozen=True)
class Bot:
    app: AsyncApp  # Slack's events, commands and buttons
    webhooks: Webhooks  # the alert sources' HTTP routes
    incidents: IncidentService
    autotriage: AutoTriage
    metrics: Metrics


def build_bot(
    settings: BotSettings,
    *,
    slack: SlackConfig,
    store: SqliteStore | Store,
    catalogue: Catalogue | None = None,
) -> Bot:
    """`catalogue` given (already loaded, e.g. to print it first), it is
    used; else the runbooks are loaded from the settings' folders."""
    catalogue = catalogue or Catalogue.load(settings.runbook_dirs, settings.site)
    site = settings.site
    bot = build(
        slack, catalogue, store, settings.engine, alerts=site.alerts, action_allow=site.actions
    )
    webhooks = Webhooks(
        bot.autotriage, secret=settings.alert_secret, channel=settings.webhook_channel
    )
    return Bot(bot.app, webhooks, bot.incidents, bot.autotriage, bot.metrics)
