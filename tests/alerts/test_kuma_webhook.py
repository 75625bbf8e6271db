from __future__ import annotations

import pytest

from bot.alerts.kuma_webhook import parse_kuma_webhook
from bot.alerts.model import AlertPayloadError
from tests.alerts.conftest import Want, check_all, load

SMTP = "SMTP relay (STARTTLS)"
INVALID = "invalid"

CASES: dict[str, list[Want] | str] = {
    "webhook-kuma-down.json": [Want("firing", SMTP, {"monitor": SMTP})],
    "webhook-kuma-up.json": [Want("resolved", "Admin app", {"monitor": "Admin app"})],
    "webhook-kuma-default-body-down.json": [
        Want("firing", "Mail / Submission (STARTTLS)", {"monitor": "Submission (STARTTLS)"})
    ],
    "webhook-kuma-test-button.json": [],
    "webhook-kuma-bad-severity.json": INVALID,
}


@pytest.mark.parametrize("fixture", sorted(CASES))
def test_kuma_webhook_gives_its_alert(fixture: str) -> None:
    wanted = CASES[fixture]
    if wanted == INVALID:
        with pytest.raises(AlertPayloadError):
            parse_kuma_webhook(load(fixture))
        return
    assert isinstance(wanted, list)
    check_all(parse_kuma_webhook(load(fixture)), wanted)


def test_webhook_and_slack_alerts_of_one_monitor_share_a_fingerprint() -> None:
    from bot.alerts.parse import parse_slack_message

    (hook,) = parse_kuma_webhook(load("webhook-kuma-down.json"))
    (slack,) = parse_slack_message(load("slack-kuma-1.23-rich-down.json"), own_bot_id=None)
    assert hook.fingerprint == slack.fingerprint
