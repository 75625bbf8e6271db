"""Events: `@triage <target>` works like `/triage <target>`, in the mention's
thread; alert messages in watched channels are triaged in theirs."""

from slack_bolt.async_app import AsyncApp

from bot.slack.events import alerts, mention


def register(app: AsyncApp) -> None:
    app.event("app_mention")(mention.handle)
    app.event("message")(alerts.handle)
