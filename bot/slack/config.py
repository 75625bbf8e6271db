"""Slack settings from the environment."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

DEFAULT_API_URL = "https://slack.com/api/"


class ConfigError(ValueError):
    pass


@dataclass(frozen=True, kw_only=True)
class SlackConfig:
    bot_token: str
    signing_secret: str | None = None
    app_token: str | None = None
    api_url: str = DEFAULT_API_URL
    # Seconds between posts to one channel and between edits of one message.
    post_interval: float = 1.0
    edit_interval: float = 1.0
    # Seconds between Socket Mode pings: a silent drop is noticed within about one.
    socket_ping_interval: float = 2.0

    def __repr__(self) -> str:
        # Never print the tokens, even in a traceback.
        return f"SlackConfig(api_url={self.api_url!r}, socket_mode={self.app_token is not None})"

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, *, http: bool) -> SlackConfig:
        env = os.environ if env is None else env
        missing = ["SLACK_BOT_TOKEN"] if not env.get("SLACK_BOT_TOKEN") else []
        if http and not env.get("SLACK_SIGNING_SECRET"):
            missing.append("SLACK_SIGNING_SECRET")
        if not http and not env.get("SLACK_APP_TOKEN"):
            missing.append("SLACK_APP_TOKEN (or use --http)")
        if missing:
            raise ConfigError(f"missing environment: {', '.join(missing)}")
        api_url = env.get("SLACK_API_URL") or DEFAULT_API_URL
        ping = env.get("SLACK_SOCKET_PING_INTERVAL") or "2"
        try:
            socket_ping_interval = float(ping)
        except ValueError:
            raise ConfigError(f"SLACK_SOCKET_PING_INTERVAL is not a number: {ping!r}") from None
        if not 0.1 <= socket_ping_interval <= 60:
            raise ConfigError("SLACK_SOCKET_PING_INTERVAL must be between 0.1 and 60 seconds")
        return cls(
            socket_ping_interval=socket_ping_interval,
            bot_token=env["SLACK_BOT_TOKEN"],
            signing_secret=env.get("SLACK_SIGNING_SECRET"),
            app_token=env.get("SLACK_APP_TOKEN"),
            api_url=api_url if api_url.endswith("/") else api_url + "/",
        )
