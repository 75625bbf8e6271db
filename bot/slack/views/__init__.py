"""Modal submissions: the confirmation dialog of escalation actions."""

from slack_bolt.async_app import AsyncApp

from bot.slack.payloads import CONFIRM_VIEW
from bot.slack.views import confirm


def register(app: AsyncApp) -> None:
    app.view(CONFIRM_VIEW)(confirm.handle)
