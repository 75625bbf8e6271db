from __future__ import annotations

from pathlib import Path

import pytest

from bot.alerts.match import match
from bot.alerts.model import Alert
from bot.runbooks.binding import Binding
from bot.runbooks.catalogue import Catalogue
from bot.runbooks.loader import load_site

RUNBOOKS = Path(__file__).parents[2] / "runbooks"


@pytest.fixture(scope="module")
def bindings() -> dict[str, Binding]:
    site = load_site(None, ["vars.control_domain=example.com"])
    return Catalogue.load([RUNBOOKS], site).bindings


def _probe(instance: str) -> Alert:
    labels = {"alertname": "BlackboxProbeFailure", "instance": instance}
    return Alert("alertmanager", "firing", "BlackboxProbeFailure", labels)


@pytest.mark.parametrize(
    ("instance", "target"),
    [
        ("smtp-in.example.com:25", "smtp-relay"),
        ("imap.cabal.internal:143", "imap"),
        ("https://ntfy.example.com/v1/health", "ntfy"),
        ("smtp-out.example.com:465", "submission-tls"),
    ],
)
def test_blackbox_instance_picks_the_target(
    bindings: dict[str, Binding], instance: str, target: str
) -> None:
    assert match(_probe(instance), bindings) == ("probe-failure", target)


@pytest.mark.parametrize(
    ("monitor", "target"),
    [
        ("IMAP reachable (internal)", "imap"),
        ("SMTP relay (STARTTLS)", "smtp-relay"),
        ("Submission (STARTTLS)", "submission"),
        ("Submission (implicit TLS)", "submission-tls"),
        ("Admin app", "admin-app"),
        ("API reachable (`/list`)", "api-list"),
        ("API reachable (/list)", "api-list"),
        ("ntfy server health", "ntfy"),
        ("Mail / SMTP relay (STARTTLS)", "smtp-relay"),
    ],
)
def test_kuma_monitor_picks_the_target(
    bindings: dict[str, Binding], monitor: str, target: str
) -> None:
    assert match(Alert("kuma", "firing", monitor), bindings) == ("probe-failure", target)


def test_unknown_alertname_matches_nothing(bindings: dict[str, Binding]) -> None:
    labels = {"alertname": "NodeHighCPU", "instance": "smtp-in.example.com:25"}
    assert match(Alert("alertmanager", "firing", "NodeHighCPU", labels), bindings) is None


def test_instance_of_another_domain_matches_nothing(bindings: dict[str, Binding]) -> None:
    assert match(_probe("smtp-in.other.org:25"), bindings) is None


def test_alert_without_the_label_matches_nothing(bindings: dict[str, Binding]) -> None:
    alert = Alert("alertmanager", "firing", "BlackboxProbeFailure", {"severity": "critical"})
    assert match(alert, bindings) is None


def test_unknown_kuma_monitor_matches_nothing(bindings: dict[str, Binding]) -> None:
    assert match(Alert("kuma", "firing", "Status page"), bindings) is None
