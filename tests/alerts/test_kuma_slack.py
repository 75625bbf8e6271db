from __future__ import annotations

import pytest

from bot.alerts.parse import parse_slack_message
from tests.alerts.conftest import OWN_BOT_ID, Want, check_all, load

SMTP = "SMTP relay (STARTTLS)"
IMAP = "IMAP reachable (internal)"

CASES: dict[str, list[Want]] = {
    "slack-kuma-1.23-rich-down.json": [Want("firing", SMTP, {"monitor": SMTP})],
    "slack-kuma-1.23-plain-up.json": [Want("resolved", "Admin app", {"monitor": "Admin app"})],
    "slack-kuma-2.0-rich-down.json": [Want("firing", "ntfy server health")],
    "slack-kuma-2.0-backticks-down.json": [Want("firing", "API reachable (`/list`)")],
    "slack-kuma-2.1-rich-grouped-down.json": [
        Want("firing", f"Mail / {SMTP}", {"monitor": SMTP, "group": "Mail"})
    ],
    "slack-kuma-2.1-plain-grouped-up.json": [
        Want("resolved", f"Mail / Inbound / {IMAP}", {"monitor": IMAP, "group": "Mail / Inbound"})
    ],
    "slack-kuma-test-button.json": [],
    "slack-chatter.json": [],
    "slack-other-bot.json": [],
    "slack-channel-join.json": [],
    "slack-message-deleted.json": [],
}


@pytest.mark.parametrize("fixture", sorted(CASES))
def test_kuma_slack_message_gives_its_alert(fixture: str) -> None:
    alerts = parse_slack_message(load(fixture), own_bot_id=OWN_BOT_ID)
    check_all(alerts, CASES[fixture])
    assert all(a.source == "kuma" for a in alerts)


def test_kuma_summary_is_the_line_as_read_without_mentions() -> None:
    (alert,) = parse_slack_message(load("slack-kuma-2.1-rich-grouped-down.json"), own_bot_id=None)
    assert alert.summary == f"[{SMTP}] [🔴 Down] connect ETIMEDOUT 203.0.113.25:25"
