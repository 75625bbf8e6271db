"""bot.alerts.amapi against Debian's real Alertmanager on loopback."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable

import pytest

from bot.alerts.amapi import AlertmanagerAPI, AlertmanagerError, State
from bot.alerts.model import Alert
from tests.alerts.conftest import load
from tests.peers.alertmanager import Alertmanager
from tests.peers.mail import Peer

PROBE = "BlackboxProbeFailure"
WAIT_S = 10.0


def _labels(instance: str, severity: str = "critical", name: str = PROBE) -> dict[str, str]:
    return {"alertname": name, "instance": instance, "severity": severity, "job": "blackbox"}


async def _settles(ask: Callable[[], Awaitable[State]], want: State) -> State:
    """Alertmanager marks silences and inhibitions as it processes alerts:
    ask until the answer is `want` or the deadline passes."""
    deadline = time.monotonic() + WAIT_S
    state = await ask()
    while state != want and time.monotonic() < deadline:
        await asyncio.sleep(0.1)
        state = await ask()
    return state


async def test_expand_a_grouped_notification(alertmanager: Alertmanager) -> None:
    for host in ("a", "b", "c"):
        alertmanager.post(_labels(f"{host}.example.com:25"))
    alertmanager.post(_labels("d.example.com:25", severity="warning"))
    alertmanager.post(_labels("a.example.com:25", name="DiskFull"))
    api = AlertmanagerAPI(alertmanager.url)
    # `[FIRING:3] BlackboxProbeFailure (critical)`: no instance in the message.
    alerts = await api.expand(load("slack-am-default-grouped.json"))
    assert sorted(a.labels["instance"] for a in alerts) == [
        "a.example.com:25",
        "b.example.com:25",
        "c.example.com:25",
    ]
    assert {(a.status, a.name, a.source) for a in alerts} == {("firing", PROBE, "alertmanager")}
    assert all(a.starts_at is not None and len(a.fingerprint) == 16 for a in alerts)


async def test_expand_ignores_other_messages(alertmanager: Alertmanager) -> None:
    api = AlertmanagerAPI(alertmanager.url)
    assert await api.expand(load("slack-kuma-1.23-rich-down.json")) == []


async def test_still_firing_then_silenced(alertmanager: Alertmanager) -> None:
    labels = _labels("smtp.example.com:25")
    alertmanager.post(labels)
    api = AlertmanagerAPI(alertmanager.url)
    alert = Alert("alertmanager", "firing", PROBE, labels)
    assert await api.still_firing(alert) == "firing"
    alertmanager.silence({"instance": "smtp.example.com:25"})
    assert await _settles(lambda: api.still_firing(alert), "silenced") == "silenced"


async def test_inhibited(alertmanager: Alertmanager) -> None:
    alertmanager.post(_labels("x.example.com:25", name="Outage"))
    alertmanager.post(_labels("x.example.com:25", name="Probe"))
    api = AlertmanagerAPI(alertmanager.url)
    alert = Alert("alertmanager", "firing", "Probe", _labels("x.example.com:25", name="Probe"))
    assert await _settles(lambda: api.still_firing(alert), "inhibited") == "inhibited"


async def test_resolved_when_alertmanager_no_longer_holds_it(
    alertmanager: Alertmanager,
) -> None:
    labels = _labels("gone.example.com:25")
    alertmanager.post(labels)
    api = AlertmanagerAPI(alertmanager.url)
    alert = Alert("alertmanager", "firing", PROBE, labels)
    assert await api.still_firing(alert) == "firing"
    alertmanager.post(labels, ends_in=-1)
    assert await _settles(lambda: api.still_firing(alert), "resolved") == "resolved"


async def test_a_label_value_with_quotes_matches_only_itself(
    alertmanager: Alertmanager,
) -> None:
    odd = _labels('odd "quoted" \\ value')
    alertmanager.post(odd)
    alertmanager.post(_labels("odd"))
    found = await AlertmanagerAPI(alertmanager.url).alerts({"instance": odd["instance"]})
    assert [f.alert.labels["instance"] for f in found] == [odd["instance"]]


async def test_refused_says_what_to_check(closed_port: Peer) -> None:
    api = AlertmanagerAPI(f"http://127.0.0.1:{closed_port.port}")
    with pytest.raises(AlertmanagerError, match=r"is it running.*alertmanager\.url"):
        await api.alerts({"alertname": PROBE})


async def test_a_silent_peer_hits_the_deadline(silent_peer: Peer) -> None:
    api = AlertmanagerAPI(f"http://127.0.0.1:{silent_peer.port}", timeout=0.5)
    started = time.monotonic()
    with pytest.raises(AlertmanagerError, match=r"did not answer within 0\.5 s"):
        await api.alerts({"alertname": PROBE})
    assert time.monotonic() - started < 5


async def test_not_alertmanager(alertmanager: Alertmanager) -> None:
    """A URL that answers, but not with the v2 API (its status page, a JSON object)."""
    api = AlertmanagerAPI(alertmanager.url + "/api/v2/status#")
    with pytest.raises(AlertmanagerError, match="did not answer like"):
        await api.alerts({"alertname": PROBE})


async def test_still_firing_by_the_identitys_matchers(alertmanager: Alertmanager) -> None:
    """A Slack-read alert may carry an inferred label Alertmanager does not
    have; the identity's matchers (alertname + trigger label) still find it."""
    alertmanager.post(_labels("smtp-in.example.com:25"))
    api = AlertmanagerAPI(alertmanager.url)
    inferred = {"alertname": PROBE, "instance": "smtp-in.example.com:25", "severity": "page"}
    alert = Alert("alertmanager", "firing", PROBE, inferred)
    assert await api.still_firing(alert) == "resolved"  # by every label: not found
    by = {"alertname": PROBE, "instance": "smtp-in.example.com:25"}
    assert await api.still_firing(alert, matchers=by) == "firing"
