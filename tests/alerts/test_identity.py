"""The same firing, however it came, is one identity (issue #14, item 1)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from bot.alerts.alertmanager_webhook import parse_alertmanager_webhook
from bot.alerts.grouped import missing_line
from bot.alerts.healthchecks_webhook import parse_healthchecks_webhook
from bot.alerts.identity import identified, identity
from bot.alerts.kuma_webhook import parse_kuma_webhook
from bot.alerts.model import Alert
from bot.alerts.parse import parse_slack_message
from bot.runbooks.binding import Binding
from bot.runbooks.catalogue import Catalogue
from bot.runbooks.loader import load_site
from tests.alerts.conftest import load

RUNBOOKS = Path(__file__).parents[2] / "runbooks"


@pytest.fixture(scope="module")
def bindings() -> dict[str, Binding]:
    site = load_site(None, ["vars.control_domain=example.com"])
    return Catalogue.load([RUNBOOKS], site).bindings


def _slack(name: str) -> list[Alert]:
    return _slack_event(load(name))


def _slack_event(event: dict[str, Any]) -> list[Alert]:
    return parse_slack_message(event, own_bot_id=None)


def _webhook(name: str) -> list[Alert]:
    body = load(name)
    if name.startswith("webhook-am"):
        return parse_alertmanager_webhook(body)
    if name.startswith("webhook-kuma"):
        return parse_kuma_webhook(body)
    return parse_healthchecks_webhook(body)


# (Slack fixture, webhook fixture, which alert of the webhook): one firing each.
SAME = [
    ("slack-am-default-webhook-firing.json", "webhook-am-firing.json", 0),
    ("slack-am-default-token-resolved.json", "webhook-am-firing.json", 1),
    ("slack-am-default-url-instance.json", "webhook-am-resolved.json", 0),
    ("slack-kuma-2.1-rich-grouped-down.json", "webhook-kuma-down.json", 0),
    ("slack-kuma-1.23-rich-down.json", "webhook-kuma-down.json", 0),
    ("slack-healthchecks-down.json", "webhook-healthchecks-template-down.json", 0),
]


@pytest.mark.parametrize(("slack", "webhook", "index"), SAME)
def test_both_paths_give_one_identity(
    bindings: dict[str, Binding], slack: str, webhook: str, index: int
) -> None:
    (by_slack,) = _slack(slack)
    by_webhook = _webhook(webhook)[index]
    assert identity(by_slack, bindings) == identity(by_webhook, bindings)
    assert identity(by_slack, bindings).basis == "trigger"


def test_resolution_by_either_path_finds_the_firing(bindings: dict[str, Binding]) -> None:
    """The Slack firing and the webhook's resolved of it share the key the
    store resolves by, though the webhook also carries Alertmanager's own
    fingerprint, which Slack never shows."""
    (firing,) = _slack("slack-am-default-url-instance.json")
    (resolved,) = _webhook("webhook-am-resolved.json")
    assert resolved.status == "resolved" and resolved.fingerprint == "1c2d3e4f5a6b7c8d"
    assert firing.fingerprint != resolved.fingerprint  # what issue #14.1 saw
    assert identified(firing, bindings).fingerprint == identified(resolved, bindings).fingerprint


def test_different_alerts_differ(bindings: dict[str, Binding]) -> None:
    firing, resolved = _webhook("webhook-am-firing.json")
    assert identity(firing, bindings).key != identity(resolved, bindings).key


def test_an_unmatched_alert_keeps_alertmanagers_fingerprint(
    bindings: dict[str, Binding],
) -> None:
    labels = {"alertname": "DiskFull", "instance": "db:9100"}
    alert = Alert("alertmanager", "firing", "DiskFull", labels, fingerprint="abcdef0123456789")
    assert identity(alert, bindings).key == "abcdef0123456789"
    assert identity(alert, bindings).basis == "payload"


def test_a_grouped_message_has_no_trigger_identity(bindings: dict[str, Binding]) -> None:
    """`[FIRING:2] BlackboxProbeFailure critical` names no instance: only
    Alertmanager's API can say which alerts it is (bot.alerts.amapi)."""
    (grouped,) = _slack("slack-am-default-grouped.json")
    assert identity(grouped, bindings).basis == "payload"


def test_a_grouped_message_gets_a_line_naming_what_is_missing(
    bindings: dict[str, Binding],
) -> None:
    (grouped,) = _slack("slack-am-default-grouped.json")
    line = missing_line(grouped, bindings)
    assert line is not None
    assert "names no `instance`" in line and "alertmanager: {url: ...}" in line


@pytest.mark.parametrize(
    "fixture",
    ["slack-am-default-webhook-firing.json", "slack-kuma-1.23-rich-down.json"],
)
def test_a_self_describing_message_needs_no_line(
    bindings: dict[str, Binding], fixture: str
) -> None:
    (alert,) = _slack(fixture)
    assert missing_line(alert, bindings) is None


def test_an_unknown_alertname_needs_no_line(bindings: dict[str, Binding]) -> None:
    assert missing_line(Alert("alertmanager", "firing", "DiskFull", {}), bindings) is None


def test_the_template_docs_alerts_md_suggests_names_each_alert(
    bindings: dict[str, Binding],
) -> None:
    """What docs/alerts.md's `text:` template renders for a group of two:
    each alert then has its own identity, the same as its webhook's."""
    text = (
        "*Labels:*\n• alertname = `BlackboxProbeFailure`\n• instance = `smtp-in.example.com:25`\n"
        "• severity = `critical`\n"
        "*Labels:*\n• alertname = `BlackboxProbeFailure`\n• instance = `imap.cabal.internal:143`\n"
        "• severity = `critical`\n"
    )
    event = {
        "type": "message",
        "subtype": "bot_message",
        "bot_id": "B07AMHOOK",
        "ts": "1717237100.000400",
        "text": "",
        "attachments": [{"title": "[FIRING:2] BlackboxProbeFailure", "text": text}],
    }
    alerts = _slack_event(event)
    assert [a.labels["instance"] for a in alerts] == [
        "smtp-in.example.com:25",
        "imap.cabal.internal:143",
    ]
    webhook = _webhook("webhook-am-firing.json")
    assert [identity(a, bindings) for a in alerts] == [identity(a, bindings) for a in webhook]


def test_identity_matchers_find_the_alert_in_alertmanager(bindings: dict[str, Binding]) -> None:
    (alert,) = _slack("slack-am-default-webhook-firing.json")
    assert identity(alert, bindings).matchers == {
        "alertname": "BlackboxProbeFailure",
        "instance": "smtp-in.example.com:25",
    }
