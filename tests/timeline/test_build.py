"""The timeline reads step runs as typed records (bot.engine.records), the
one reader of stored results: a finding is the check that failed, and a row
this bot cannot read is told, not silently shown as something else."""

from __future__ import annotations

from typing import Any

from bot.engine.records import SCHEMA, CheckRecord, StepRecord
from bot.store import StepRun
from bot.timeline.build import _run, finding


def _check(id: str, status: str, summary: str) -> CheckRecord:
    return CheckRecord(id=id, type="tcp", title=id, status=status, summary=summary)


def _stored(record: StepRecord) -> StepRun:
    return StepRun(incident_id=1, step_id=record.id, by="U1", at=1.0, result=record.to_json())


def test_a_finding_is_the_check_that_failed_not_the_first_that_passed() -> None:
    record = StepRecord(
        id="reach", title="Reach", status="fail",
        checks=[_check("dns", "pass", "resolves"), _check("tcp", "fail", "refused on 25")],
    )  # fmt: skip
    assert finding(record) == "refused on 25"
    assert _run(_stored(record)).what == "Step Reach: fail: refused on 25"


def test_a_conclusion_is_the_finding_and_a_pass_says_its_first_check() -> None:
    said = StepRecord(id="s", title="S", status="fail", conclusion="the relay is down")
    passed = StepRecord(id="s", title="S", status="pass", checks=[_check("a", "pass", "fine")])
    assert (finding(said), finding(passed)) == ("the relay is down", "fine")


def test_a_row_from_a_newer_bot_is_told_as_unreadable() -> None:
    row: dict[str, Any] = {**StepRecord(id="s", title="S", status="pass").to_json()}
    row["v"] = SCHEMA + 1
    entry = _run(StepRun(incident_id=1, step_id="s", by="U1", at=1.0, result=row))
    assert entry.detail["status"] == "?"
    assert "this bot reads up to" in entry.what
