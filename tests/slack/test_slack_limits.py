"""What issue #12 saw, each reproduced: every message the renderers build is
one Slack accepts (`bot.slack.limits`, the rules the stand-in applies), and
text from outside shows as written without pinging anyone."""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

import pytest
from pydantic import ValidationError

from bot.actions.plan import Plan
from bot.alerts.model import Alert
from bot.checks.result import CheckResult
from bot.engine.records import StepRecord
from bot.engine.results import CheckRun, Conclusion, ManualView, RunResult, StepResult
from bot.incidents.views import Progress, StepView
from bot.runbooks.catalogue import HelpEntry
from bot.runbooks.schema import MAX_MANUAL_ITEMS, EscalationSpec, Step
from bot.slack import limits, render, render_actions
from bot.slack.help import help_blocks
from bot.slack.mrkdwn import cut, escape, lines, plain
from bot.slack.payloads import ButtonValue, decode
from bot.slack.render_alerts import alert_blocks, alert_text
from tests.slack.samples import STEP, TARGET

CHANNEL_PING = "<!channel> disk full & <@U0ALL> <target>"


def accepted(blocks: list[dict[str, Any]], text: str = "fallback") -> None:
    refusal = limits.check_message({"channel": "C1", "text": text, "blocks": blocks})
    assert refusal is None, refusal


def shown(blocks: list[dict[str, Any]]) -> str:
    """What a reader sees: the blocks' text with Slack's entities decoded."""
    return plain(json.dumps(blocks, ensure_ascii=False))


def run(title: str, summary: str, status: str = "fail") -> CheckRun:
    result = CheckResult.failed(summary) if status == "fail" else CheckResult.passed(summary)
    return CheckRun(id="c", type="tcp", title=title, outcome_name="c", result=result)


def step_result(*checks: CheckRun, say: str | None = None) -> StepResult:
    return StepResult(
        id="s",
        title="t",
        why="",
        checks=list(checks),
        conclusion=Conclusion(say=say, next=None) if say else None,
    )


# 1. Re-run all with no step left posted an empty section.


def test_run_all_with_no_step_left_is_a_message_slack_accepts() -> None:
    nothing = RunResult(runbook="r", title="R", target="t", steps=[], duration_ms=1.0)
    blocks = render.run_all_blocks(nothing, by="U1")
    accepted(blocks, render.run_all_text(nothing))
    assert "No step was left to run" in shown(blocks)


# 2. A long alert summary went uncut into a section.


def test_a_kilobytes_long_alert_summary_is_cut_and_says_how_much_is_left() -> None:
    alert = Alert(source="alertmanager", status="firing", name="Probe", summary="x" * 10_477)
    accepted(alert_blocks(alert), alert_text(alert))
    assert "more characters" in alert_text(alert)


# 3. Many questions or 26+ actions: more than 50 blocks, or slack_sdk raising.


def test_the_escalation_with_fifty_actions_and_the_most_questions_fits_one_message() -> None:
    ask = ManualView(say="", ask="?" * 3000, answers=[(f"a{n}" * 15, "s") for n in range(5)])
    actions = [(f"act-{n}", f"Action {n} " + "t" * 80) for n in range(50)]
    blocks = render.escalation_blocks("why " * 500, [ask] * MAX_MANUAL_ITEMS, actions, 7)
    accepted(blocks)
    ids = [decode(e["value"]).step for b in blocks if b["type"] == "actions" for e in b["elements"]]
    assert [i for i in ids if i and i.startswith("act-")] == [a for a, _ in actions]


def test_a_step_with_more_manual_items_than_one_message_holds_is_refused_by_lint() -> None:
    item = {"say": "do it"}
    with pytest.raises(ValidationError, match=f"at most {MAX_MANUAL_ITEMS}"):
        Step.model_validate({"id": "s", "title": "t", "manual": [item] * (MAX_MANUAL_ITEMS + 1)})
    with pytest.raises(ValidationError, match="at most 50"):
        EscalationSpec.model_validate(
            {"actions": [{"id": f"a{n}", "title": "t", "type": "aws"} for n in range(51)]}
        )


def test_a_step_with_the_most_manual_items_and_long_results_fits_one_message() -> None:
    ask = ManualView(say="", ask="q" * 3000, answers=[("l" * 75, "s")] * 5)
    view = StepView(
        id="s", title="t" * 3000, why="w" * 3000, number=1, total=1, checks=["c" * 500] * 40,
        manual=[ask] * MAX_MANUAL_ITEMS,
    )  # fmt: skip
    result = step_result(*[run("c" * 300, "y" * 3000)] * 40, say="z" * 5000)
    for blocks in (
        render.step_blocks(view, 1),
        render.step_blocks(view, 1, running=True),
        render.step_blocks(view, 1, result=StepRecord.of(result)),
    ):
        accepted(blocks, render.step_text(view.title, StepRecord.of(result)))


# 4. Unescaped data in mrkdwn.


def test_alert_text_is_escaped_once_and_pings_no_one() -> None:
    alert = Alert(
        source="alertmanager",
        status="firing",
        name=CHANNEL_PING,
        labels={"instance": "<!here>"},
        summary="AT&amp;T &lt; 5",
        runbook_url="https://runbooks.example/x",
    )
    text = alert_text(alert)
    accepted(alert_blocks(alert), text)
    assert CHANNEL_PING in plain(text) and "AT&amp;T &lt; 5" in plain(text)
    assert "<https://runbooks.example/x|runbook>" in text


def test_runbook_placeholders_and_check_output_are_escaped_in_blocks_and_text() -> None:
    view = StepView(
        id="s", title="Scale <service>", why="see <target>", number=1, total=1,
        checks=["<!here>"],
        manual=[ManualView(say="run", command="aws ecs execute-command --task <task-id>")],
    )  # fmt: skip
    result = step_result(run("<b>", CHANNEL_PING), say=f"quoting: {CHANNEL_PING}")
    blocks = render.step_blocks(view, 1, result=StepRecord.of(result))
    text = render.step_text(view.title, StepRecord.of(result))
    accepted(blocks, text)
    assert "--task <task-id>" in shown(render.step_blocks(view, 1))
    assert CHANNEL_PING in plain(text)


def test_an_incident_resolved_by_an_alert_names_the_alert_in_words() -> None:
    progress = Progress(
        incident_id=7,
        total_steps=3,
        opened_by="alert:kuma",
        status="resolved",
        resolved_by="alert:kuma",
        alerts=[f"🔔 {CHANNEL_PING} (kuma): firing"],
        runs={"s": StepRecord.of(step_result(run("t", CHANNEL_PING)))},
    )
    blocks = render.header_blocks(TARGET, progress)
    accepted(blocks, render.header_text(TARGET))
    assert "<@alert:kuma>" not in json.dumps(blocks)
    assert "resolved by an alert (kuma)" in shown(blocks)


def test_the_confirm_dialog_escapes_the_state_aws_reported() -> None:
    plan = Plan("scale", "Scale <svc>", None, [], "desired <n>", approval=False)
    value = ButtonValue(incident=1, step="scale")
    state = {"running": 0, "desired": 1, "status": "<!channel>"}
    view = render_actions.confirm_view(plan, state, None, value)
    assert limits.check_view(view) is None
    assert "<!channel>" in plain(json.dumps(view))


# 5. Answer buttons of two questions carried the same value.


def test_answer_buttons_of_two_questions_name_the_question_and_the_answer() -> None:
    asks = [
        ManualView(say="", ask=f"Question {n}?", answers=[("Yes", "y"), ("No", "n")])
        for n in range(2)
    ]
    view = StepView(id="s", title="t", why="", number=1, total=1, manual=asks)
    blocks = render.step_blocks(view, 1)
    values = [
        e["value"]
        for b in blocks
        if b.get("block_id", "").startswith("ask:")
        for e in b["elements"]
    ]
    assert len(set(values)) == 4
    assert {(decode(v).question, decode(v).answer) for v in values} == {
        (0, 0),
        (0, 1),
        (1, 0),
        (1, 1),
    }
    accepted(blocks)


# 6. A step id that is a message role.


@pytest.mark.parametrize("reserved", ["header", "escalation"])
def test_a_step_may_not_take_a_message_roles_id(reserved: str) -> None:
    with pytest.raises(ValidationError, match=f"step id '{reserved}' is reserved"):
        Step.model_validate({"id": reserved, "title": "t"})


# 7. Lists cut silently, and cuts splitting an entity.


def test_forty_check_lines_show_how_many_were_left_out() -> None:
    result = step_result(*[run(f"check {n}", "z" * 400) for n in range(40)])
    blocks = render.step_blocks(STEP, 7, result=StepRecord.of(result))
    accepted(blocks)
    assert "more" in shown(blocks) and "check 0" in shown(blocks)


def test_help_with_121_targets_says_how_many_more() -> None:
    title = "A title long enough to fill the section " * 2
    blocks = help_blocks([HelpEntry("probe-failure", "P", f"t-{n:03d}", title) for n in range(121)])
    accepted(blocks)
    assert "… and" in shown(blocks) and "more" in shown(blocks)


@pytest.mark.parametrize("limit", range(1, 40))
def test_a_cut_never_splits_an_entity_or_markup(limit: int) -> None:
    text = escape("&&<<>>& ") + "<@U123> " + escape("<!channel>" * 3)
    cutted = cut(text, limit + 30)
    body = cutted.split("…")[0]
    assert body == text[: len(body)]
    assert limits.unsafe_markup([body]) == []
    assert not body.endswith(("&", "&a", "&am", "&amp", "&l", "&lt", "&g", "&gt", "<@U12"))


def test_lines_say_how_many_more_and_stay_within_the_limit() -> None:
    items = [f"line {n} " + "x" * 50 for n in range(100)]
    text = lines(items, 1000)
    assert len(text) <= 1000 and text.endswith("more")


def test_the_header_stays_under_slacks_block_text_limit_with_endless_findings() -> None:
    runs = {
        f"s{n}": StepRecord.of(
            step_result(*[run(f"c{m}", "f" * 2000) for m in range(20)], say="x" * 3000)
        )
        for n in range(30)
    }
    alerts = [f"🔔 alert {n} " + "a" * 500 for n in range(100)]
    progress = Progress(incident_id=1, total_steps=30, opened_by="U1", runs=runs, alerts=alerts)
    target = replace(TARGET, summary="s" * 5000, impact="i" * 5000, title="t" * 200)
    blocks = render.header_blocks(target, progress)
    accepted(blocks, render.header_text(target))
