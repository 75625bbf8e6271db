from __future__ import annotations

from pathlib import Path

from bot.store import SqliteStore


def test_incident_survives_reopening_the_database(tmp_path: Path) -> None:
    path = tmp_path / "t.db"
    store = SqliteStore(path)
    incident = store.open_incident(
        channel="C1", runbook="probe-failure", target="smtp-relay",
        variables={"cluster": "mail"}, opened_by="U1",
    )  # fmt: skip
    store.set_thread(incident.id, "1700000000.000100")
    store.set_step_message(incident.id, "outside-in", "1700000000.000200")
    store.record_run(incident.id, "outside-in", by="U2", result={"status": "fail"})
    store.record_run(incident.id, "outside-in", by="U3", result={"status": "pass"})
    store.close()

    again = SqliteStore(path)
    loaded = again.incident(incident.id)
    assert loaded.thread_ts == "1700000000.000100"
    assert loaded.variables == {"cluster": "mail"}
    assert loaded.step_messages == {"outside-in": "1700000000.000200"}
    latest = again.latest_runs(incident.id)["outside-in"]
    assert (latest.by, latest.result) == ("U3", {"status": "pass"})


def test_resolve_records_who_and_only_once(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "t.db")
    incident = store.open_incident(
        channel="C1", runbook="r", target="t", variables={}, opened_by="U1"
    )
    first = store.resolve(incident.id, by="U2")
    second = store.resolve(incident.id, by="U3")
    assert (first.status, first.resolved_by) == ("resolved", "U2")
    assert second.resolved_by == "U2"
    assert second.resolved_at == first.resolved_at


def test_audit_log_filters_by_incident(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "t.db")
    store.audit(actor="U1", action="run_step", outcome="ran", request_id="r1", incident_id=1)
    store.audit(actor="U2", action="resolve", outcome="resolved", request_id="r2", incident_id=2)
    assert [r.request_id for r in store.audit_log()] == ["r1", "r2"]
    assert [r.actor for r in store.audit_log(incident_id=2)] == ["U2"]
