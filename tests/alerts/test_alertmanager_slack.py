from __future__ import annotations

import pytest

from bot.alerts.parse import parse_slack_message
from tests.alerts.conftest import OWN_BOT_ID, RUNBOOK, Want, check_all, load

PROBE = "BlackboxProbeFailure"


def _firing(instance: str, runbook: str | None = None) -> Want:
    return Want("firing", PROBE, {"alertname": PROBE, "instance": instance}, runbook)


CASES: dict[str, list[Want]] = {
    "slack-am-default-webhook-firing.json": [
        Want("firing", PROBE, {"instance": "smtp-in.example.com:25", "severity": "critical"})
    ],
    "slack-am-default-token-resolved.json": [
        Want("resolved", PROBE, {"instance": "imap.cabal.internal:143"})
    ],
    "slack-am-default-url-instance.json": [_firing("https://ntfy.example.com/v1/health")],
    # Three instances differ, so the subject names none: no target to give.
    "slack-am-default-grouped.json": [Want("firing", PROBE, {"severity": "critical"})],
    "slack-am-text-alert-list.json": [
        Want(
            "firing", PROBE, {"instance": "smtp-in.example.com:25", "job": "blackbox-tcp"}, RUNBOOK
        ),
        Want(
            "firing",
            PROBE,
            {"instance": "smtp-out.example.com:465", "job": "blackbox-tls"},
            RUNBOOK,
        ),
    ],
    "slack-am-community-template.json": [_firing("imap.cabal.internal:143", RUNBOOK)],
    "slack-am-fields.json": [_firing("smtp-out.example.com:587", RUNBOOK)],
    "slack-am-inline-text.json": [
        Want("resolved", PROBE, {"instance": "smtp-out.example.com:465"}, RUNBOOK)
    ],
    "slack-am-own-post.json": [],
    "slack-am-human-paste.json": [],
    "slack-am-thread-reply.json": [],
    "slack-am-message-changed.json": [],
}


@pytest.mark.parametrize("fixture", sorted(CASES))
def test_alertmanager_slack_message_gives_its_alerts(fixture: str) -> None:
    alerts = parse_slack_message(load(fixture), own_bot_id=OWN_BOT_ID)
    check_all(alerts, CASES[fixture])
    assert all(a.source == "alertmanager" for a in alerts)


def test_firing_and_resolved_of_one_alert_share_a_fingerprint() -> None:
    event = load("slack-am-default-webhook-firing.json")
    title = event["attachments"][0]["title"]
    event["attachments"][0]["title"] = title.replace("[FIRING:1]", "[RESOLVED]")
    event["attachments"][0]["color"] = "2eb886"
    (firing,) = parse_slack_message(load("slack-am-default-webhook-firing.json"), own_bot_id=None)
    (resolved,) = parse_slack_message(event, own_bot_id=None)
    assert resolved.status == "resolved"
    assert resolved.fingerprint == firing.fingerprint
