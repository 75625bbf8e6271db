"""One spelling per click: a button's action id given to the store is
written as the workflow's verb, and rows written before under the action
id read back under the verb."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from bot.store import SqliteStore
from bot.store.audit_names import audit_action


@pytest.mark.parametrize(
    ("given", "verb"),
    [("triage.run_step", "run_step"), ("run_step", "run_step"), ("triage.rerun", "run_step"),
     ("triage.action", "run_action"), ("triage.reject", "approve"), ("open", "open")],
)  # fmt: skip
def test_each_name_has_one_verb(given: str, verb: str) -> None:
    assert audit_action(given) == verb


def test_the_store_writes_the_verb_and_reads_old_rows_as_the_verb(tmp_path: Path) -> None:
    path = tmp_path / "t.db"
    store = SqliteStore(path)
    store.audit(actor="U1", action="triage.run_step", outcome="refused", request_id="r1")
    store.close()
    raw = sqlite3.connect(path)
    try:
        assert raw.execute("SELECT action FROM audit").fetchall() == [("run_step",)]
        # A row as an older bot wrote it, under the button's action id.
        raw.execute(
            "INSERT INTO audit (at, incident_id, actor, action, params, outcome, request_id)"
            " VALUES (0, NULL, 'U2', 'triage.run_step', '{}', 'refused', 'r2')"
        )
        raw.commit()
    finally:
        raw.close()
    store = SqliteStore(path)
    try:
        assert [r.action for r in store.audit_log()] == ["run_step", "run_step"]
    finally:
        store.close()
