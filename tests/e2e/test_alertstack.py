"""The real pipeline the bot's end-to-end test stands on: killing a peer
makes Alertmanager post a firing webhook, restoring it a resolved one.

Prints the latencies (peer killed -> firing notification, peer restored ->
resolved notification); the only bound is the wait's deadline.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from tests.peers.alertstack import PROBE_RULE, AlertStack, Notification, WebhookReceiver

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
