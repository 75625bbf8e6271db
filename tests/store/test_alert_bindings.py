"""Alert bindings: a resolution is reported once, whichever path sent it;
the source's start of a firing is kept; an older store gains the column."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from bot.store import SqliteStore


def _incident(store: SqliteStore) -> int:
    return store.open_incident(
        channel="C1", runbook="r", target="t", variables={}, opened_by="alert:alertmanager"
    ).id


def test_a_second_resolution_of_the_same_alert_resolves_nothing(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "t.db")
    incident = _incident(store)
    store.bind_alert(incident, fingerprint="k", source="alertmanager", name="A")
    store.bind_alert(incident, fingerprint="other", source="alertmanager", name="B")

    first = store.resolve_alert("k")
    second = store.resolve_alert("k")  # the other path's copy of the resolution

    assert [b.fingerprint for b in first] == ["k"]
    assert second == []
    assert [b.fingerprint for b in store.firing_alerts()] == ["other"]


def test_the_sources_start_is_kept_across_repeats_and_renewed_after_a_resolution(
    tmp_path: Path,
) -> None:
    store = SqliteStore(tmp_path / "t.db")
    incident = _incident(store)
    fields = {"fingerprint": "k", "source": "alertmanager", "name": "A"}
    assert store.bind_alert(incident, **fields, starts_at=100.0).starts_at == 100.0
    assert store.bind_alert(incident, **fields, starts_at=None).starts_at == 100.0
    store.resolve_alert("k")
    assert store.bind_alert(incident, **fields, starts_at=500.0).starts_at == 500.0


def test_an_older_store_gains_the_starts_at_column(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    with sqlite3.connect(path) as db:
        db.execute(
            "CREATE TABLE alerts (fingerprint TEXT NOT NULL, incident_id INTEGER NOT NULL,"
            " source TEXT NOT NULL, name TEXT NOT NULL, status TEXT NOT NULL,"
            " fired_at REAL NOT NULL, resolved_at REAL, times INTEGER NOT NULL DEFAULT 1,"
            " noted_at REAL, PRIMARY KEY (fingerprint, incident_id))"
        )
    db.close()
    store = SqliteStore(path)
    incident = _incident(store)
    bound = store.bind_alert(incident, fingerprint="k", source="s", name="A", starts_at=7.0)
    assert bound.starts_at == 7.0


def test_a_fired_again_note_is_taken_once_per_interval_per_incident(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "t.db")
    incident = _incident(store)
    store.bind_alert(incident, fingerprint="k", source="alertmanager", name="A")
    store.bind_alert(incident, fingerprint="other", source="alertmanager", name="B")

    assert store.note_alert(incident, "k", every=60.0, now=1000.0) is True
    assert store.note_alert(incident, "k", every=60.0, now=1030.0) is False
    # Any alert of the incident: the note is the incident's, not the alert's.
    assert store.note_alert(incident, "other", every=60.0, now=1059.0) is False
    assert store.note_alert(incident, "other", every=60.0, now=1060.0) is True
    noted = {b.fingerprint: b.noted_at for b in store.alerts_of(incident)}
    assert noted == {"k": 1000.0, "other": 1060.0}
