"""The store's interface, against SQLite and PostgreSQL alike."""

from __future__ import annotations

from bot.store import Store
from tests.store.conftest import Stores


async def test_incident_survives_reopening_the_database(stores: Stores) -> None:
    store = await stores.open()
    incident = await store.open_incident(
        channel="C1", runbook="probe-failure", target="smtp-relay",
        variables={"cluster": "mail"}, opened_by="U1",
    )  # fmt: skip
    await store.set_thread(incident.id, "1700000000.000100")
    await store.set_step_message(incident.id, "outside-in", "1700000000.000200")
    await store.set_step_message(incident.id, "outside-in", "1700000000.000300")
    await store.record_run(incident.id, "outside-in", by="U2", result={"status": "fail"})
    await store.record_run(incident.id, "outside-in", by="U3", result={"status": "pass"})
    await stores.kill(store)

    again = await stores.open()
    loaded = await again.incident(incident.id)
    assert loaded.thread_ts == "1700000000.000100"
    assert loaded.variables == {"cluster": "mail"}
    assert loaded.step_messages == {"outside-in": "1700000000.000300"}
    latest = (await again.latest_runs(incident.id))["outside-in"]
    assert (latest.by, latest.result) == ("U3", {"status": "pass"})


async def test_resolve_records_who_and_only_once(store: Store) -> None:
    incident = await store.open_incident(
        channel="C1", runbook="r", target="t", variables={}, opened_by="U1"
    )
    first = await store.resolve(incident.id, by="U2")
    second = await store.resolve(incident.id, by="U3")
    assert (first.status, first.resolved_by) == ("resolved", "U2")
    assert second.resolved_by == "U2"
    assert second.resolved_at == first.resolved_at
    assert await store.open_incident_for("r", "t") is None


async def test_audit_log_filters_by_incident(store: Store) -> None:
    await store.audit(actor="U1", action="run_step", outcome="ran", request_id="r1", incident_id=1)
    await store.audit(
        actor="U2", action="resolve", outcome="resolved", request_id="r2", incident_id=2,
        params={"why": "fixed"},
    )  # fmt: skip
    assert [r.request_id for r in await store.audit_log()] == ["r1", "r2"]
    [record] = await store.audit_log(incident_id=2)
    assert (record.actor, record.params) == ("U2", {"why": "fixed"})


async def test_an_outage_is_opened_once_and_again_after_it_is_resolved(store: Store) -> None:
    def opening(by: str) -> dict[str, object]:
        return {"channel": "C1", "runbook": "r", "target": "t", "variables": {}, "opened_by": by}

    first, opened = await store.open_outage(**opening("alert:am"))  # type: ignore[arg-type]
    again, reopened = await store.open_outage(**opening("alert:slack"))  # type: ignore[arg-type]
    assert (opened, reopened, again.id) == (True, False, first.id)
    await store.resolve(first.id, by="U1")
    later, opened_later = await store.open_outage(**opening("alert:am"))  # type: ignore[arg-type]
    assert opened_later and later.id != first.id


async def test_an_outage_joins_an_incident_opened_by_hand(store: Store) -> None:
    by_hand = await store.open_incident(
        channel="C1", runbook="r", target="t", variables={}, opened_by="U1"
    )
    found, opened = await store.open_outage(
        channel="C1", runbook="r", target="t", variables={}, opened_by="alert:am"
    )
    assert (found.id, opened) == (by_hand.id, False)


async def test_alerts_bind_count_and_resolve(store: Store) -> None:
    n = (
        await store.open_incident(
            channel="C1", runbook="r", target="t", variables={}, opened_by="alert:am"
        )
    ).id
    await store.bind_alert(n, fingerprint="f1", source="am", name="ProbeDown")
    twice = await store.bind_alert(n, fingerprint="f1", source="am", name="ProbeDown")
    assert (twice.times, twice.status) == (2, "firing")
    assert await store.headless_alert_incidents() == [n]
    await store.set_step_message(n, "header", "1.2")
    assert await store.headless_alert_incidents() == []
    [resolved] = await store.resolve_alert("f1")
    assert (resolved.incident_id, resolved.status) == (n, "resolved")
    await store.note_alert(n, "f1")
    [bound] = await store.alerts_of(n)
    assert bound.noted_at is not None


async def test_an_approval_is_decided_once(store: Store) -> None:
    n = (
        await store.open_incident(
            channel="C1", runbook="r", target="t", variables={}, opened_by="U"
        )
    ).id
    request = await store.request_approval(n, "restart", requester="U1", ttl=60)
    await store.set_approval_message(request.id, "9.9")
    assert await store.decide(request.id, status="approved", by="U2")
    assert not await store.decide(request.id, status="rejected", by="U3")
    decided = await store.approval(request.id)
    assert (decided.status, decided.decided_by, decided.message_ts) == ("approved", "U2", "9.9")
    assert decided.expires_at - decided.requested_at == 60


async def test_dry_run_is_kept(store: Store) -> None:
    n = (
        await store.open_incident(
            channel="C1", runbook="r", target="t", variables={}, opened_by="U"
        )
    ).id
    assert (await store.set_dry_run(n, True)).dry_run
    assert not (await store.set_dry_run(n, False)).dry_run


async def _alert_incident(store: Store) -> int:
    incident = await store.open_incident(
        channel="C1", runbook="r", target="t", variables={}, opened_by="alert:alertmanager"
    )
    return incident.id


async def test_an_alert_resolves_once_and_keeps_its_first_start(store: Store) -> None:
    incident = await _alert_incident(store)
    await store.bind_alert(incident, fingerprint="k", source="am", name="A", starts_at=100.0)
    again = await store.bind_alert(
        incident, fingerprint="k", source="am", name="A", starts_at=200.0
    )
    await store.bind_alert(incident, fingerprint="other", source="am", name="B")
    assert (again.times, again.starts_at) == (2, 100.0)

    first = await store.resolve_alert("k")
    second = await store.resolve_alert("k")  # the other path's (or replica's) copy
    assert [b.fingerprint for b in first] == ["k"]
    assert second == []
    assert [b.fingerprint for b in await store.firing_alerts()] == ["other"]

    refired = await store.bind_alert(
        incident, fingerprint="k", source="am", name="A", starts_at=300.0
    )
    assert (refired.status, refired.starts_at) == ("firing", 300.0)


async def test_timeline_events_and_every_run_in_order(store: Store) -> None:
    incident = await _alert_incident(store)
    await store.note_event(incident, "alert_fired", source_at=50.0, params={"name": "A"})
    await store.note_event(incident, "alert_repeated")
    await store.record_run(incident, "s1", by="U1", result={"status": "fail"})
    await store.record_run(incident, "s1", by="U2", result={"status": "pass"})

    events = await store.events_of(incident)
    assert [(e.kind, e.source_at, e.params) for e in events] == [
        ("alert_fired", 50.0, {"name": "A"}),
        ("alert_repeated", None, {}),
    ]
    assert [r.by for r in await store.runs_of(incident)] == ["U1", "U2"]
