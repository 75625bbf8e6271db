"""The timeline of an incident recorded through the real app, told from
the store: snapshots with the bot's clock normalised (the source's times
stay), the file the Timeline button posts, and the CLI."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bot.store import SqliteStore
from bot.timeline import render
from bot.timeline.build import timeline
from tests.peers.mail import Peer
from tests.peers.slack import SlackStandIn
from tests.timeline.recorded import matches_snapshot, normalised, record_incident


@pytest.mark.usefixtures("aws_fake_credentials")
async def test_a_recorded_incident_tells_its_timeline_in_order(
    slack_api: SlackStandIn, tmp_path: Path, closed_port: Peer
) -> None:
    db = tmp_path / "t.db"
    files = await record_incident(slack_api, db, closed_port.port)
    store = SqliteStore(db)
    try:
        told = timeline(store, 1)
    finally:
        store.close()
    kinds = [e.kind for e in told.entries]
    assert kinds[:2] == ["opened", "alert_fired"]
    assert kinds[-2:] == ["alert_resolved", "resolved"]
    assert {"alert_repeated", "step", "auto_triage", "walk", "answer", "skip", "escalate"} <= set(
        kinds
    )
    assert [e.at for e in told.entries] == sorted(e.at for e in told.entries)
    fired = next(e for e in told.entries if e.kind == "alert_fired")
    assert fired.source_at == pytest.approx(1717237880.123, abs=0.01)  # 2024-06-01T10:31:20.123Z
    matches_snapshot("timeline.md", normalised(render.markdown(told)))
    matches_snapshot("timeline.txt", normalised(render.text(told)))
    button = files["Incident 1: timeline"]
    assert button.filename == "incident-1-timeline.md"
    assert b"| Escalated |" in (button.content or b"")
    assert b"Resolved" not in (button.content or b"")  # posted before the resolve
    assert json.loads(render.as_json(told))["entries"][0]["kind"] == "opened"
