"""The real pipeline the bot's end-to-end test stands on: killing a peer
makes Alertmanager post a firing webhook, restoring it a resolved one.

Prints the latencies (peer killed -> firing notification, peer restored ->
resolved notification); the only bound is the wait's deadline.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import trustme

from bot.alerts.amapi import AlertmanagerAPI
from tests.peers.alertstack import (
    PROBE_RULE,
    AlertStack,
    Notification,
    WebhookReceiver,
    alert_stack,
    slack_subject,
)
from tests.peers.blackbox import Exporter
from tests.peers.certs import server_context

# Scrape 1 s + evaluation 1 s + group_wait 1 s, with room for a loaded machine.
WITHIN_S = 30.0


def _about(stack: AlertStack, status: str) -> Callable[[Notification], bool]:
    def wanted(note: Notification) -> bool:
        return any(
            a["labels"].get("alertname") == PROBE_RULE
            and a["labels"].get("instance") == stack.instance
            for a in note.alerts(status)
        )

    return wanted


def test_kill_fires_and_restore_resolves(
    alertstack: AlertStack, alert_receiver: WebhookReceiver
) -> None:
    prometheus = alertstack.prometheus
    # Up first, so the outage is a change Prometheus sees.
    prometheus.wait_for(f'probe_success{{instance="{alertstack.instance}"}} == 1')
    assert alert_receiver.received == []

    killed = time.monotonic()
    alertstack.peer.kill()
    firing = alert_receiver.wait_for(_about(alertstack, "firing"), after=killed, within=WITHIN_S)
    (alert,) = firing.alerts("firing")
    assert alert["labels"]["severity"] == "critical"
    assert alert["annotations"]["summary"] == f"Blackbox probe to {alertstack.instance} failing"

    restored = time.monotonic()
    alertstack.peer.restore()
    resolved = alert_receiver.wait_for(
        _about(alertstack, "resolved"),
        after=restored,
        within=WITHIN_S,
    )
    (gone,) = resolved.alerts("resolved")
    assert gone["endsAt"] > gone["startsAt"]
    print(
        f"\nalertstack latency: killed -> firing webhook {firing.at - killed:.1f} s,"
        f" restored -> resolved webhook {resolved.at - restored:.1f} s"
    )


@pytest.fixture
def grouped_stack(
    tmp_path: Path,
    blackbox_exporter: Exporter,
    alert_receiver: WebhookReceiver,
    cert_valid: trustme.LeafCert,
) -> Iterator[AlertStack]:
    """Two peers, grouped as the user groups: one notification for both."""
    with alert_stack(
        tmp_path,
        blackbox_exporter,
        alert_receiver.url,
        tls=server_context(cert_valid),
        group_by=("alertname", "severity"),
        peers=2,
    ) as stack:
        yield stack


async def test_a_grouped_notification_expands_through_alertmanagers_api(
    grouped_stack: AlertStack, alert_receiver: WebhookReceiver
) -> None:
    """`[FIRING:2] BlackboxProbeFailure critical (...)` names no instance;
    Alertmanager's API says which two alerts it is."""
    stack = grouped_stack
    for instance in stack.instances:
        stack.prometheus.wait_for(f'probe_success{{instance="{instance}"}} == 1')
    killed = time.monotonic()
    for peer in stack.peers:
        peer.kill()

    def both(note: Notification) -> bool:
        return len(note.alerts("firing")) == 2

    note = alert_receiver.wait_for(both, after=killed, within=WITHIN_S)
    subject = slack_subject(note.body)
    assert subject.startswith(f"[FIRING:2] {PROBE_RULE} critical")
    message = {"bot_id": "B07AMHOOK", "subtype": "bot_message", "attachments": [{"title": subject}]}
    assert stack.instance not in subject

    alerts = await AlertmanagerAPI(stack.alertmanager.url).expand(message)

    assert sorted(a.labels["instance"] for a in alerts) == sorted(stack.instances)
    webhook_fingerprints = sorted(a["fingerprint"] for a in note.alerts("firing"))
    assert sorted(a.fingerprint for a in alerts) == webhook_fingerprints
