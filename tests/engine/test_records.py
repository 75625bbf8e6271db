"""Step results in and out of the store: typed, versioned, and rows written
before the version existed still read (a migration path for SQLite files)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from bot.checks.result import CheckResult, ErrorKind
from bot.engine.conclude import read_across as read_live
from bot.engine.records import SCHEMA, RecordError, StepRecord, read_across
from bot.engine.results import CheckRun, Conclusion, ManualView, StepResult
from bot.incidents.views import Progress, records
from bot.slack import render
from bot.store import SqliteStore
from tests.slack.samples import STEP, TARGET

FAILED = StepResult(
    id="ecs-health", title="Is the ECS service running?", why="Fewer tasks than desired.",
    checks=[
        CheckRun(
            id="service", type="aws", title="ECS service running vs desired", outcome_name="s",
            result=CheckResult.failed("runs 0 of 1 tasks", details={"events": ["pull failed"]}),
        ),
        CheckRun(
            id="tg", type="aws", title="", outcome_name="t",
            result=CheckResult.errored(ErrorKind.DENIED, "denied"),
        ),
        CheckRun(
            id="other", type="tcp", title="Only for IMAP", outcome_name="o",
            result=CheckResult.skipped("not for this target"), applicable=False,
        ),
    ],
    conclusion=Conclusion(say="The service cannot start its task.", next="logs"),
    manual=[ManualView(say="Look.", ask="Restart?", answers=[("Yes", "restarting")])],
    duration_ms=12.5,
)  # fmt: skip


def test_a_record_reads_back_as_it_was_written() -> None:
    record = StepRecord.of(FAILED)
    stored = record.to_json()
    assert stored["v"] == SCHEMA
    assert StepRecord.from_json(stored) == record
    assert [c.applicable for c in record.checks] == [True, True, False]
    assert record.next == "logs" and [c.id for c in record.failing] == ["service", "tg"]


def test_a_row_in_the_shape_written_before_versions_still_reads() -> None:
    """StepResult.to_json() is what the store held until now: no `v`, no
    `applicable`, answers as JSON lists."""
    old = FAILED.to_json()
    assert "v" not in old
    record = StepRecord.from_json(old)
    assert record.conclusion == "The service cannot start its task." and record.next == "logs"
    assert [(c.id, c.status, c.summary) for c in record.failing] == [
        ("service", "fail", "runs 0 of 1 tasks"),
        ("tg", "error", "denied"),
    ]
    assert record.manual == FAILED.manual  # answers back as tuples


def test_a_questions_position_and_digest_read_back_and_a_row_without_them_reads() -> None:
    """They came later within version 2: what an answer button names a
    question by; a row written before them reads with none."""
    placed = ManualView(say="", ask="Restart?", answers=[("Yes", "y")], position=3, digest="ab12")
    record = StepRecord.of(replace(FAILED, manual=[placed]))
    assert StepRecord.from_json(record.to_json()).manual == [placed]
    older = record.to_json()
    for item in older["manual"]:
        del item["position"], item["digest"]
    assert StepRecord.from_json(older).manual == [replace(placed, position=None, digest=None)]


def test_a_row_this_bot_cannot_read_is_an_error_not_an_empty_header() -> None:
    """A field renamed on one side only fails loudly: the header would
    otherwise show no findings at all, silently."""
    renamed = StepRecord.of(FAILED).to_json()
    renamed["check_runs"] = renamed.pop("checks")
    with pytest.raises(RecordError):
        StepRecord.from_json(renamed)
    with pytest.raises(RecordError, match="reads up to"):
        StepRecord.from_json({**StepRecord.of(FAILED).to_json(), "v": SCHEMA + 1})


def test_the_header_and_the_step_message_show_the_same_findings() -> None:
    """Both are drawn from the one typed record, as read back from the store."""
    record = StepRecord.from_json(StepRecord.of(FAILED).to_json())
    step = str(render.step_blocks(STEP, 7, result=record))
    progress = Progress(incident_id=7, total_steps=3, opened_by="U1", runs={record.id: record})
    header = str(render.header_blocks(TARGET, progress))
    for check in record.failing:
        assert check.summary in step and check.summary in header
    assert "ecs-health/service" in header and "ecs-health/tg" in header
    assert "Only for IMAP" not in step  # not applicable: not shown as a finding


def test_an_existing_sqlite_file_with_old_rows_reads_into_the_header(tmp_path: Path) -> None:
    """The migration path: rows already in a store file are read as they are."""
    store = SqliteStore(tmp_path / "t.db")
    incident = store.open_incident(
        channel="C1", runbook="probe-failure", target="smtp-relay", variables={}, opened_by="U1"
    )
    store.record_run(incident.id, "ecs-health", by="U1", result=FAILED.to_json())
    store.close()
    reopened = SqliteStore(tmp_path / "t.db")
    runs = records(reopened.latest_runs(incident.id))
    reopened.close()
    progress = Progress(incident_id=incident.id, total_steps=3, runs=runs)
    assert progress.failing == ["ecs-health/service", "ecs-health/tg"]
    assert ("➡️", "", "The service cannot start its task.") in progress.findings


def test_stored_runs_read_as_the_live_ones_for_the_escalation() -> None:
    """What the escalation's manual items and actions read from the store
    (`checks.<name>` across steps) is what the engine gave them live: each
    check's result, its `as` name and its for_each item."""
    each = CheckRun(
        id="tier-web", type="aws", title="", outcome_name="tier", each="web",
        result=CheckResult.failed("web runs 0 of 2", result={"name": "web", "running": 0}),
    )  # fmt: skip
    live = [FAILED, StepResult(id="tiers", title="T", why="", checks=[each])]
    stored = [StepRecord.from_json(StepRecord.of(r).to_json()) for r in live]
    assert read_across(stored) == read_live(live)
    assert read_across(stored)["tier"]["result"]["name"] == "web"
    assert read_across(stored)["tier"]["each"] == "web"
