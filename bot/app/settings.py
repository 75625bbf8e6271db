"""The bot's settings: the site config plus the environment, read here once.

The front ends (serve, console, demo) and the tests build one of these and
hand it to `bot.app.build.build_bot`; nothing below reads the bot's own
TRIAGE_* variables again. (Secrets a check names by variable, the log level
and format are read where they are used: they belong to those parts.)
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from bot.engine.runner import Settings
from bot.engine.site_settings import settings as engine_settings
from bot.runbooks.site import SiteConfig

DEFAULT_DB = "triage.db"
DEFAULT_RUNBOOKS = "runbooks"


@dataclass(frozen=True, kw_only=True)
class BotSettings:
    site: SiteConfig
    # A SQLite file, or a postgresql:// URL shared by replicas (bot.store.select).
    db: str = DEFAULT_DB
    runbook_dirs: list[Path] = field(default_factory=lambda: [Path(DEFAULT_RUNBOOKS)])
    # The shared secret Alertmanager's webhook sends (none: unauthenticated).
    alert_secret: str | None = None

    @classmethod
    def from_env(cls, site: SiteConfig, env: Mapping[str, str] | None = None) -> BotSettings:
        """TRIAGE_DB, TRIAGE_RUNBOOKS (os.pathsep-separated), TRIAGE_ALERT_SECRET."""
        env = os.environ if env is None else env
        dirs = [Path(p) for p in (env.get("TRIAGE_RUNBOOKS") or "").split(os.pathsep) if p]
        return cls(
            site=site,
            db=env.get("TRIAGE_DB") or DEFAULT_DB,
            runbook_dirs=dirs or [Path(DEFAULT_RUNBOOKS)],
            alert_secret=env.get("TRIAGE_ALERT_SECRET") or None,
        )

    @cached_property
    def engine(self) -> Settings:
        """What the checks are given (vantage points, AWS, DNS, CA file)."""
        return engine_settings(self.site)

    @property
    def webhook_channel(self) -> str | None:
        """Where webhook alerts are posted: the configured one, else the first watched."""
        alerts = self.site.alerts
        return alerts.webhook_channel or next(iter(alerts.channels), None)
