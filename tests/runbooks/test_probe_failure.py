"""The shipped probe-failure runbook carries what the reference runbook says."""

from __future__ import annotations

from pathlib import Path

from bot.runbooks.binding import bind
from bot.runbooks.loader import load_runbook, load_site

RUNBOOK = Path(__file__).parents[2] / "runbooks" / "probe-failure.yaml"
CATALOGUE = {"imap", "smtp-relay", "submission", "submission-tls", "admin-app", "api-list", "ntfy"}


def test_catalogue_has_the_seven_user_facing_targets() -> None:
    runbook = load_runbook(RUNBOOK)
    assert set(runbook.targets) == CATALOGUE
    assert all(t.impact for t in runbook.targets.values())


def test_every_target_is_reachable_from_a_trigger() -> None:
    runbook = load_runbook(RUNBOOK)
    kuma = set(runbook.triggers.kuma.values())
    (blackbox,) = [
        t for t in runbook.triggers.alertmanager if t.alertname == "BlackboxProbeFailure"
    ]
    assert blackbox.label == "instance"
    assert kuma == CATALOGUE
    assert set(blackbox.targets.values()) == CATALOGUE - {"api-list"}


def test_imap_defaults_to_in_vpc_starttls_and_can_be_the_public_993_layout() -> None:
    runbook = load_runbook(RUNBOOK)
    upstream = bind(runbook, load_site(None)).targets["imap"]
    assert (upstream["port"], upstream["tls"], upstream["probe_from"]) == (143, "starttls", ["vpc"])
    seed = bind(
        runbook,
        load_site(
            None,
            [
                "targets.imap.host=imap.example.com",
                "targets.imap.port=993",
                "targets.imap.tls=implicit",
                "targets.imap.probe_from=[public, vpc]",
            ],
        ),
    ).targets["imap"]
    assert (seed["host"], seed["port"], seed["tls"]) == ("imap.example.com", 993, "implicit")
    assert seed["probe_from"] == ["public", "vpc"]


def test_api_list_accepts_401_as_healthy() -> None:
    runbook = load_runbook(RUNBOOK)
    assert runbook.targets["api-list"].expect_status == ["200-299", 401]
