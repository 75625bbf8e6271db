from __future__ import annotations

from collections.abc import Mapping

from tests.alerts import (
    test_alertmanager_slack,
    test_alertmanager_webhook,
    test_healthchecks,
    test_kuma_slack,
    test_kuma_webhook,
)
from tests.alerts.conftest import FIXTURES


def test_every_fixture_has_a_row_in_exactly_one_table() -> None:
    tables: list[Mapping[str, object]] = [
        test_alertmanager_slack.CASES,
        test_kuma_slack.CASES,
        test_alertmanager_webhook.CASES,
        test_kuma_webhook.CASES,
        test_healthchecks.SLACK_CASES,
        test_healthchecks.CASES,
    ]
    rows = [name for table in tables for name in table]
    assert sorted(rows) == sorted(p.name for p in FIXTURES.glob("*.json"))
