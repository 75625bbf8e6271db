"""Resolved-after from the source's times, the bot's clock only as a
labelled fallback (issue #14, item 5)."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.alerts.alertmanager_webhook import parse_alertmanager_webhook
from bot.alerts.kuma_webhook import parse_kuma_webhook
from bot.alerts.parse import parse_slack_message
from bot.alerts.times import lasted
from tests.alerts.conftest import load


def test_webhook_times_come_from_starts_and_ends_at() -> None:
    (resolved,) = parse_alertmanager_webhook(load("webhook-am-resolved.json"))
    # Received 3 minutes late (a group interval): the source still says 14 m.
    took = lasted(resolved, fired_at=1000.0, resolved_at=1000.0 + 17 * 60)
    assert took.from_source and took.seconds == 14 * 60
    assert took.words() == "14m 0s"


def test_slack_has_no_times_and_says_whose_clock() -> None:
    (resolved,) = parse_slack_message(load("slack-am-default-token-resolved.json"), own_bot_id=None)
    assert resolved.starts_at is None and resolved.ends_at is None
    took = lasted(resolved, fired_at=1000.0, resolved_at=1034.0)
    assert not took.from_source
    assert took.words() == "34s (by the bot's clock)"


def test_a_firing_seen_with_times_lends_its_start() -> None:
    (firing, resolved) = parse_alertmanager_webhook(load("webhook-am-firing.json"))
    assert firing.starts_at == datetime(2024, 6, 1, 10, 31, 20, 123456, tzinfo=UTC)
    assert firing.ends_at is None  # Go's zero time means "still firing"
    no_start = resolved.__class__(**{**resolved.__dict__, "starts_at": None})
    took = lasted(no_start, fired_at=0, resolved_at=5, firing_started=resolved.starts_at)
    assert took.from_source and round(took.seconds, 2) == 15 * 60 + 29.75


def test_kuma_default_body_carries_the_heartbeat_time() -> None:
    (down,) = parse_kuma_webhook(load("webhook-kuma-default-body-down.json"))
    assert down.starts_at == datetime(2024, 6, 1, 10, 40, 0, 123000, tzinfo=UTC)
    assert down.ends_at is None


def test_ends_before_start_falls_back() -> None:
    (resolved,) = parse_alertmanager_webhook(load("webhook-am-resolved.json"))
    backwards = resolved.__class__(
        **{**resolved.__dict__, "ends_at": datetime(2000, 1, 1, tzinfo=UTC)}
    )
    assert not lasted(backwards, fired_at=0, resolved_at=9).from_source
