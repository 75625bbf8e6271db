"""Buttons of the walkthrough, one handler per action id."""

import re

from slack_bolt.async_app import AsyncApp

from bot.slack.actions import escalate, walkthrough


def register(app: AsyncApp) -> None:
    for act, handler in {**walkthrough.HANDLERS, **escalate.HANDLERS}.items():
        # Answer buttons share a block, so their ids carry a ":<n>" suffix.
        app.action(re.compile(rf"^{re.escape(act.value)}(:\d+)?$"))(handler)
