"""`triage audit`: the store's audit log as a table or JSON lines, redacted."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot import redact
from bot.cli import main
from bot.store import SqliteStore

TOKEN = "xoxb-1111111111-2222222222-PLANTEDtoken"


@pytest.fixture
def db(tmp_path: Path) -> Path:
    path = tmp_path / "triage.db"
    store = SqliteStore(path)
    store.audit(actor="U1", action="open", outcome="ok", request_id="req-1", incident_id=1,
                params={"target": "smtp-relay", "runbook": "probe-failure"})  # fmt: skip
    store.audit(actor="U2", action="triage.action", outcome="refused", request_id="req-2",
                incident_id=2, params={"reason": f"bad value with {TOKEN}\n\x1b[31m",
                                       "password": "hunter2"})  # fmt: skip
    store.audit(actor="U3", action="details", outcome="refused", request_id="req-3",
                params={"reason": "missing or oversized button value"})  # fmt: skip
    store.close()
    return path


@pytest.fixture(autouse=True)
def _logging_restored() -> Iterator[None]:
    factory, active = logging.getLogRecordFactory(), list(redact._active)
    yield
    logging.setLogRecordFactory(factory)
    redact._active[:] = active


def test_the_table_shows_every_record_with_iso_times_and_compact_params(
    db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["audit", "--db", str(db)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == ["time", "incident", "actor", "action", "outcome", "request",
                                "id", "params"]  # fmt: skip
    assert len(lines) == 4
    first = lines[1].split()
    assert first[0].endswith("Z") and "T" in first[0]
    assert first[1:6] == ["1", "U1", "open", "ok", "req-1"]
    assert first[6] == '{"target":"smtp-relay","runbook":"probe-failure"}'
    assert lines[3].split()[1] == "-"  # no incident


def test_nothing_in_the_output_holds_a_secret_or_a_control_character(
    db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["audit", "--db", str(db)]) == 0
    assert main(["audit", "--db", str(db), "--json"]) == 0
    out = capsys.readouterr().out
    assert TOKEN not in out and "hunter2" not in out
    assert "xoxb-***" in out and '"password": "***"' in out
    assert "\x1b" not in out


def test_json_lines_filtered_by_incident(db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["audit", "--db", str(db), "--json", "--incident", "2"]) == 0
    (line,) = capsys.readouterr().out.splitlines()
    record = json.loads(line)
    assert {k: record[k] for k in ("incident", "actor", "action", "outcome", "request_id")} == {
        "incident": 2, "actor": "U2", "action": "run_action", "outcome": "refused",
        "request_id": "req-2",
    }  # fmt: skip
    assert record["params"]["password"] == "***"


def test_the_store_comes_from_triage_db_by_default(
    db: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TRIAGE_DB", str(db))
    assert main(["audit", "--json"]) == 0
    assert len(capsys.readouterr().out.splitlines()) == 3


def test_a_missing_store_is_a_usage_error_and_is_not_created(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = tmp_path / "nope.db"
    assert main(["audit", "--db", str(missing)]) == 2
    assert "no store at" in capsys.readouterr().err
    assert not missing.exists()
