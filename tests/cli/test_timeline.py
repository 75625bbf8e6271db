"""`triage timeline` and `triage postmortem` read the store the bot wrote."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

from bot.cli import main
from bot.engine.records import CheckRecord, StepRecord
from bot.store import SqliteStore, Store
from bot.store.aio import AsyncStore

RUN = StepRecord(
    id="outside-in", title="From outside", status="fail",
    checks=[CheckRecord(id="smtp", type="tcp", title="", status="fail",
                        summary="connection refused")],
)  # fmt: skip


async def record(store: Store) -> None:
    """One incident's facts, through the store the bot writes with."""
    incident = await store.open_incident(
        channel="C1", runbook="probe-failure", target="smtp-relay", variables={},
        opened_by="U7", alert={"name": "BlackboxProbeFailure"},
    )  # fmt: skip
    await store.record_run(incident.id, RUN.id, by="U7", result=RUN.to_json())
    await store.audit(actor="U7", action="escalate", outcome="done", request_id="r1",
                      incident_id=incident.id)  # fmt: skip
    await store.resolve(incident.id, by="U8")


def _store(path: Path) -> None:
    store = AsyncStore(SqliteStore(path))
    try:
        asyncio.run(record(store))
    finally:
        store.close()


def test_timeline_prints_text_markdown_and_json(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = tmp_path / "t.db"
    _store(db)
    assert main(["timeline", "1", "--db", str(db)]) == 0
    text = capsys.readouterr().out
    assert "opened" in text and "From outside: fail" in text and "U8" in text
    assert main(["timeline", "1", "--md", "--db", str(db)]) == 0
    assert "| Time (UTC) |" in capsys.readouterr().out
    assert main(["timeline", "1", "--json", "--db", str(db)]) == 0
    kinds = [e["kind"] for e in json.loads(capsys.readouterr().out)["entries"]]
    assert kinds == ["opened", "step", "escalate", "resolved"]


def test_timeline_says_what_is_missing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    db = tmp_path / "t.db"
    _store(db)
    assert main(["timeline", "9", "--db", str(db)]) == 2
    assert "no incident 9" in capsys.readouterr().err
    monkeypatch.setenv("TRIAGE_DB", str(tmp_path / "none.db"))
    assert main(["timeline", "1"]) == 2
    assert "no store at" in capsys.readouterr().err


def test_postmortem_prints_the_draft_from_the_store_and_the_runbook(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    db = tmp_path / "t.db"
    _store(db)
    monkeypatch.setenv("TRIAGE_RUNBOOKS", str(Path(__file__).parents[2] / "runbooks"))
    assert main(["postmortem", "1", "--db", str(db)]) == 0
    draft = capsys.readouterr().out
    assert draft.startswith("# Postmortem draft: ")
    assert "Mail sent to our domains bounces" in draft  # smtp-relay's impact
    assert "**From outside**: fail: connection refused" not in draft  # titles from the runbook
    assert "fail: connection refused" in draft
    assert "Step **Is the ECS service running all its tasks?** was never run." in draft
    assert "Opened by U7 at" in draft and "no alert was recorded" in draft
    assert main(["postmortem", "5", "--db", str(db)]) == 2
    assert "no incident 5" in capsys.readouterr().err
