"""Events: `@triage <target>` works like `/triage <target>`, in the mention's thread."""

from slack_bolt.async_app import AsyncApp

from bot.slack.events import mention


def register(app: AsyncApp) -> None:
    app.event("app_mention")(mention.handle)
