"""Snapshot tests of the Block Kit renderer. UPDATE_SNAPSHOTS=1 rewrites them;
review the diff before committing."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from bot.checks.result import CheckResult, ErrorKind
from bot.engine.records import StepRecord
from bot.engine.results import CheckRun, Conclusion, RunResult, StepResult
from bot.incidents.views import Progress, StepView
from bot.runbooks.catalogue import HelpEntry
from bot.slack import render
from bot.slack.help import help_blocks
from bot.slack.payloads import Act, decode
from tests.slack.samples import STEP, TARGET

SNAPSHOTS = Path(__file__).parent / "snapshots"

FAILED = StepResult(
    id="ecs-health",
    title=STEP.title,
    why=STEP.why,
    checks=[
        CheckRun(
            id="service",
            type="aws",
            title="ECS service running vs desired",
            outcome_name="service",
            result=CheckResult.failed("ecs.describe_services: 0 of 1 <@U0> running").with_duration(
                42
            ),
        ),
        CheckRun(
            id="probe",
            type="tcp",
            title="",
            outcome_name="probe",
            result=CheckResult.failed(
                "127.0.0.1:25: refused", kind=ErrorKind.REFUSED
            ).with_duration(3),
        ),
    ],
    conclusion=Conclusion(say="cabal-smtp-in runs 0 of 1 tasks", next="lb-health"),
    manual=STEP.manual,  # as the engine renders them after the run (what the message shows)
)

RECORD = StepRecord.of(FAILED)


def snapshot(name: str, blocks: list[dict[str, Any]]) -> None:
    path = SNAPSHOTS / f"{name}.json"
    text = json.dumps(blocks, indent=2, ensure_ascii=False, sort_keys=True) + "\n"
    if os.environ.get("UPDATE_SNAPSHOTS"):
        path.parent.mkdir(exist_ok=True)
        path.write_text(text)
    assert path.exists(), f"no snapshot {path.name}: run with UPDATE_SNAPSHOTS=1"
    assert text == path.read_text()


@pytest.mark.parametrize(
    ("name", "blocks"),
    [
        ("step-pending", render.step_blocks(STEP, 7)),
        ("step-running", render.step_blocks(STEP, 7, running=True)),
        ("step-failed", render.step_blocks(STEP, 7, result=RECORD)),
        ("step-skipped", render.step_blocks(STEP, 7, skipped_by="U2")),
        ("header-open", render.header_blocks(TARGET, Progress(incident_id=7, total_steps=3, opened_by="U1", runs={"ecs-health": RECORD}))),  # noqa: E501
        ("header-resolved", render.header_blocks(TARGET, Progress(incident_id=7, total_steps=3, opened_by="U1", status="resolved", resolved_by="U2"))),  # noqa: E501
        ("help", help_blocks([HelpEntry("probe-failure", "Probe failure", "imap", "IMAP (reading mail)")])),  # noqa: E501
        ("unknown", render.unknown_blocks("smtp-rely", ["smtp-relay"], "no such target")),
        ("run-all", render.run_all_blocks(RunResult(runbook="probe-failure", title="Probe failure", target="smtp-relay", steps=[FAILED], duration_ms=1234.5), by="U3")),  # noqa: E501
    ],
)  # fmt: skip
def test_blocks_match_their_snapshot(name: str, blocks: list[dict[str, Any]]) -> None:
    snapshot(name, blocks)


def test_peer_text_cannot_mention_anyone() -> None:
    progress = Progress(incident_id=7, total_steps=3, opened_by="U1", runs={"s": RECORD})
    for blocks in (
        render.step_blocks(STEP, 7, result=RECORD),
        render.header_blocks(TARGET, progress),
    ):
        text = json.dumps(blocks)
        assert "<@U0>" not in text
        assert "&lt;@U0&gt;" in text


def test_buttons_carry_small_typed_values_that_decode() -> None:
    blocks = render.step_blocks(STEP, 7, result=RECORD)
    buttons = [e for b in blocks if b["type"] == "actions" for e in b["elements"]]
    ids = [b["action_id"] for b in buttons]
    assert set(ids) >= {Act.RERUN, Act.NEXT, Act.DETAILS, f"{Act.ANSWER}:0", f"{Act.ANSWER}:1"}
    for block in blocks:
        if block["type"] == "actions":
            block_ids = [e["action_id"] for e in block["elements"]]
            assert len(block_ids) == len(set(block_ids)), "action ids must be unique in a block"
    for button in buttons:
        assert len(button["value"]) < 100
        value = decode(button["value"])
        assert (value.incident, value.step) == (7, "ecs-health")


def test_long_text_is_cut_to_block_kit_limits() -> None:
    long = StepView(id="s", title="t", why="w" * 5000, number=1, total=1)
    blocks = render.step_blocks(long, 1)
    assert all(
        len(b["text"]["text"]) <= render.SECTION_MAX for b in blocks if b["type"] == "section"
    )
