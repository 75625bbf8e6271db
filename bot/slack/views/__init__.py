"""Modal submissions: the confirmation dialog of escalation actions; any
other dialog is refused and audited."""

import re

from slack_bolt.async_app import AsyncApp

from bot.slack.payloads import CONFIRM_VIEW
from bot.slack.views import confirm


def register(app: AsyncApp) -> None:
    app.view(CONFIRM_VIEW)(confirm.handle)
    # Registered last: Bolt runs the first listener that matches.
    app.view(re.compile(r"(?s).*"))(confirm.unknown)
