"""Slash commands."""

from slack_bolt.async_app import AsyncApp

from bot.slack.commands import triage


def register(app: AsyncApp) -> None:
    app.command("/triage")(triage.handle)
