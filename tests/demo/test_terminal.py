"""Snapshot of the terminal renderer over blocks made by the real Block Kit
renderer. UPDATE_SNAPSHOTS=1 rewrites the snapshot; review the diff."""

from __future__ import annotations

import os
from pathlib import Path

from bot.checks.result import CheckResult, ErrorKind
from bot.demo.slackapi import Message, Note
from bot.demo.terminal import plain, render_note, render_thread
from bot.engine.records import StepRecord
from bot.engine.results import CheckRun, Conclusion, StepResult
from bot.incidents.views import Progress
from bot.slack import render
from bot.slack.payloads import Act
from tests.slack.samples import STEP, TARGET

SNAPSHOT = Path(__file__).parent / "snapshots" / "thread.txt"
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
            result=CheckResult.failed(
                "cabal-smtp-in runs 0 of 1 <tasks>", kind=ErrorKind.INTERNAL, duration_ms=12
            ),
        )
    ],
    conclusion=Conclusion(say="cabal-smtp-in runs 0 of 1 tasks: this is the cause."),
    manual=STEP.manual,  # as the engine renders them after the run (what the message shows)
)


def thread() -> list[Message]:
    header = render.header_blocks(TARGET, Progress(incident_id=7, total_steps=3, opened_by="U1"))
    return [
        Message("C1", "1.000001", "header", header),
        Message("C1", "1.000002", "step", render.step_blocks(STEP, 7), thread_ts="1.000001"),
        Message(
            "C1",
            "1.000003",
            "step",
            render.step_blocks(STEP, 7, result=StepRecord.of(FAILED)),
            thread_ts="1.000001",
            edits=2,
        ),
    ]


def test_thread_renders_as_the_snapshot() -> None:
    screen = render_thread(thread(), width=80)
    note = render_note(Note("help", render.unknown_blocks("smtp-rely", ["smtp-relay"], "no")))
    text = "\n\n".join([*(s.text for s in screen.shown), note]) + "\n"
    if os.environ.get("UPDATE_SNAPSHOTS"):
        SNAPSHOT.write_text(text)
    assert text == SNAPSHOT.read_text()


def test_buttons_are_numbered_across_the_thread_in_order() -> None:
    screen = render_thread(thread())
    assert [c.label for c in screen.clicks[:3]] == ["Run all", "Escalate", "Resolve"]
    assert screen.clicks[0].action_id == Act.RUN_ALL and screen.clicks[0].message_ts == "1.000001"
    assert [c.label for c in screen.clicks[-3:]] == ["Re-run", "Next step", "Details"]
    assert all(c.value for c in screen.clicks)


def test_plain_turns_mrkdwn_into_text() -> None:
    assert plain("*Run all* by <@U1>: _see_ <https://x.test|runbook> &lt;b&gt;") == (
        "Run all by @U1: see runbook (https://x.test) <b>"
    )
    assert plain("snake_case_name and 2*3*4") == "snake_case_name and 2*3*4"
