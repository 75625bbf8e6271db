"""Healthchecks.io as an alert source: its Slack message and its webhook body."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.alerts.healthchecks_webhook import parse_healthchecks_webhook
from bot.alerts.match import match
from bot.alerts.model import AlertPayloadError
from bot.alerts.parse import parse_slack_message
from bot.runbooks.binding import bind
from bot.runbooks.loader import load_runbook, load_site
from tests.alerts.conftest import OWN_BOT_ID, Want, check_all, load

BACKUP = "nightly-db-backup"
INVALID = "invalid"

SLACK_CASES: dict[str, list[Want]] = {
    "slack-healthchecks-down.json": [
        Want("firing", BACKUP, {"check": BACKUP, "project": "shop", "tags": "db backup"})
    ],
    "slack-healthchecks-up.json": [Want("resolved", BACKUP, {"check": BACKUP})],
    "slack-healthchecks-fallback-only-down.json": [
        Want("firing", "8a1c6f2e-0000-4000-8000-00000000c0de")
    ],
}
CASES: dict[str, list[Want] | str] = {
    "webhook-healthchecks-template-down.json": [
        Want("firing", BACKUP, {"check": BACKUP, "tags": "db backup"})
    ],
    "webhook-healthchecks-json-up.json": [Want("resolved", BACKUP, {"check": BACKUP})],
    "webhook-healthchecks-paused.json": [],
    "webhook-healthchecks-no-status.json": INVALID,
}


@pytest.mark.parametrize("fixture", sorted(SLACK_CASES))
def test_healthchecks_slack_message_gives_its_alert(fixture: str) -> None:
    alerts = parse_slack_message(load(fixture), own_bot_id=OWN_BOT_ID)
    check_all(alerts, SLACK_CASES[fixture])
    assert all(a.source == "healthchecks" for a in alerts)


@pytest.mark.parametrize("fixture", sorted(CASES))
def test_healthchecks_webhook_gives_its_alert(fixture: str) -> None:
    wanted = CASES[fixture]
    if wanted == INVALID:
        with pytest.raises(AlertPayloadError, match=r"\$STATUS"):
            parse_healthchecks_webhook(load(fixture))
        return
    assert isinstance(wanted, list)
    check_all(parse_healthchecks_webhook(load(fixture)), wanted)


def test_one_checks_alerts_share_a_fingerprint_across_routes_and_states() -> None:
    (hook,) = parse_healthchecks_webhook(load("webhook-healthchecks-template-down.json"))
    (up,) = parse_healthchecks_webhook(load("webhook-healthchecks-json-up.json"))
    (slack,) = parse_slack_message(load("slack-healthchecks-down.json"), own_bot_id=None)
    assert hook.fingerprint == up.fingerprint == slack.fingerprint


def test_a_runbook_trigger_names_the_target(tmp_path: Path) -> None:
    path = tmp_path / "backups.yaml"
    path.write_text(
        """
id: backups
title: Backups
summary: s
targets:
  db: {title: Database, impact: none, protocol: tcp, host: db.internal, port: 5432}
triggers:
  healthchecks:
    nightly-db-backup: db
steps:
  - id: s
    title: S
    manual:
      - say: Look at the backup job's log.
"""
    )
    binding = bind(load_runbook(path), load_site(None))
    (alert,) = parse_healthchecks_webhook(load("webhook-healthchecks-template-down.json"))
    assert match(alert, {"backups": binding}) == ("backups", "db")
