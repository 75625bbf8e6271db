from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.alerts.alertmanager_webhook import parse_alertmanager_webhook
from bot.alerts.model import AlertPayloadError
from tests.alerts.conftest import RUNBOOK, Want, check_all, load

PROBE = "BlackboxProbeFailure"
INVALID = "invalid"

CASES: dict[str, list[Want] | str] = {
    "webhook-am-firing.json": [
        Want("firing", PROBE, {"instance": "smtp-in.example.com:25"}, RUNBOOK),
        Want("resolved", PROBE, {"instance": "imap.cabal.internal:143"}, RUNBOOK),
    ],
    "webhook-am-resolved.json": [
        Want("resolved", PROBE, {"instance": "https://ntfy.example.com/v1/health"}, RUNBOOK)
    ],
    "webhook-am-version-3.json": INVALID,
    "webhook-am-not-alertmanager.json": INVALID,
}


@pytest.mark.parametrize("fixture", sorted(CASES))
def test_alertmanager_webhook_gives_one_alert_per_entry(fixture: str) -> None:
    wanted = CASES[fixture]
    if wanted == INVALID:
        with pytest.raises(AlertPayloadError):
            parse_alertmanager_webhook(load(fixture))
        return
    assert isinstance(wanted, list)
    check_all(parse_alertmanager_webhook(load(fixture)), wanted)


def test_webhook_keeps_alertmanagers_fingerprint_and_times() -> None:
    firing, resolved = parse_alertmanager_webhook(load("webhook-am-firing.json"))
    assert firing.fingerprint == "6f1d2c3b4a5e6d7c"
    assert firing.summary == "Blackbox probe to smtp-in.example.com:25 failing"
    assert firing.ends_at is None  # Go's zero time: still firing
    assert resolved.ends_at == datetime(2024, 6, 1, 10, 35, 50, 250000, tzinfo=UTC)
