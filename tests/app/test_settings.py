"""The bot's settings: the site config plus its own environment, read once."""

from __future__ import annotations

import os
from pathlib import Path

from bot.app.settings import BotSettings
from bot.runbooks.loader import load_site


def test_the_environment_is_read_from_the_mapping_given() -> None:
    site = load_site(None, ["alerts.channels=[C0ALERTS]"])
    env = {
        "TRIAGE_DB": "/data/triage.db",
        "TRIAGE_RUNBOOKS": os.pathsep.join(["/a", "", "/b"]),
        "TRIAGE_ALERT_SECRET": "s3cret",
    }
    settings = BotSettings.from_env(site, env)
    assert settings.db == "/data/triage.db"
    assert settings.runbook_dirs == [Path("/a"), Path("/b")]
    assert settings.alert_secret == "s3cret"
    assert settings.webhook_channel == "C0ALERTS"  # none configured: the first watched


def test_unset_is_the_documented_defaults() -> None:
    settings = BotSettings.from_env(load_site(None, []), {"TRIAGE_ALERT_SECRET": ""})
    assert settings.db == "triage.db"
    assert settings.runbook_dirs == [Path("runbooks")]
    assert settings.alert_secret is None and settings.webhook_channel is None
    assert settings.engine is settings.engine  # converted once


def test_a_postgresql_url_is_kept_as_written() -> None:
    """A Path would fold `postgresql://` into `postgresql:/` and lose the host."""
    url = "postgresql://triage@db.internal:5432/triage"
    settings = BotSettings.from_env(load_site(None, []), {"TRIAGE_DB": url})
    assert settings.db == url
