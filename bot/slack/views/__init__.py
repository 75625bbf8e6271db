"""Modal submissions. None yet: confirmation dialogs for escalation actions
arrive with the actions themselves."""

from slack_bolt.async_app import AsyncApp


def register(app: AsyncApp) -> None:
    del app
