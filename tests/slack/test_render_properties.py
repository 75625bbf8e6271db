"""Property-based: for any runbook the schema accepts, any check result, any
alert text and any user, every view renders a payload Slack accepts
(`bot.slack.limits`, the stand-in's rules), and text from outside shows as
written. HYPOTHESIS_PROFILE=renderers-long runs ten times the examples."""

from __future__ import annotations

import json
import os
from typing import Any

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from bot.actions.plan import Call, Plan
from bot.alerts.model import Alert
from bot.checks.result import CheckResult, CheckStatus
from bot.engine.conclude import render_manual
from bot.engine.records import StepRecord
from bot.engine.results import CheckRun, Conclusion, RunResult, StepResult
from bot.incidents.views import Progress, StepView, TargetView
from bot.runbooks.catalogue import HelpEntry
from bot.runbooks.schema import EscalationSpec, Step
from bot.slack import limits, render, render_actions
from bot.slack.help import help_blocks
from bot.slack.mrkdwn import escape, plain
from bot.slack.payloads import ButtonValue
from bot.slack.render_alerts import alert_blocks, alert_text
from tests.peers.slack.webapi import TALLY

EXAMPLES = int(os.environ.get("RENDER_EXAMPLES", "300"))
settings.register_profile(
    "renderers",
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    derandomize=True,  # the same examples on every run: a failure is reproducible
)
settings.register_profile(
    "renderers-long", parent=settings.get_profile("renderers"), max_examples=3000
)
PROFILE = settings.get_profile(os.environ.get("HYPOTHESIS_PROFILE", "renderers"))

NASTY = [
    "<!channel>", "<!here>", "<!everyone>", "<@U0ALL>", "<@alert:kuma>", "<#C123>",
    "<https://evil.example|click>", "<target>", "<task-id>", "&amp;", "&lt;", "&", "<", ">",
    "*bold*", "_it_", "~s~", "`code`", "```", "🔥", "⚠️", "👩‍👩‍👧", "é", "\n", " ",
]  # fmt: skip
WORDS = ["disk", "full", "AT&T", "ecs", "0 of 1", "Ünïcode", "日本語", "x" * 80, "\t", "  "]
# Pieces drawn whole (fast to generate), and now and then a random short text.
piece = st.one_of(st.sampled_from(NASTY + WORDS), st.text(max_size=12))
text = st.one_of(
    st.lists(piece, max_size=6).map("".join),
    # kilobytes: a piece repeated
    st.tuples(piece, st.integers(1, 400)).map(lambda p: (p[0] * p[1])[:5000]),
)


def many(items: st.SearchStrategy[Any], most: int) -> st.SearchStrategy[list[Any]]:
    """A few different items, or one repeated up to `most` times: long lists
    at the cost of one draw (generating is what takes the time here)."""
    repeated = st.tuples(items, st.integers(0, most)).map(lambda t: [t[0]] * t[1])
    return st.one_of(st.lists(items, max_size=3), repeated)


# Text with something visible in it (titles, labels: the schema wants some).
visible = st.sampled_from(["a", "Z", "7", "🔥", "<!channel>", "&amp;", "<target>"])
words = st.tuples(visible, text).map("".join)
label = st.tuples(visible, st.lists(piece, max_size=3).map("".join)).map("".join)
users = st.one_of(
    st.integers(0, 10**9).map("U{:08X}".format),
    st.sampled_from(["alert:kuma", "alert:alertmanager", "<!channel>", "", "U"]),
    st.text(max_size=20),
)
slug = st.builds(
    "{}{}".format, st.sampled_from(["s", "check-", "web_", "x9-"]), st.integers(0, 999)
)
# Runbook text: anything but a template's braces.
template_safe = words.map(lambda s: s.replace("{", "(").replace("}", ")"))


def accepted(blocks: list[dict[str, Any]], fallback: str = "fallback") -> None:
    args = {"channel": "C1", "text": fallback, "blocks": blocks}
    refusal = limits.check_message(args)
    TALLY.count("chat.postMessage", args, refusal)  # in the session's summary line
    assert refusal is None, (refusal, json.dumps(blocks)[:2000])


def accepted_view(view: dict[str, Any]) -> None:
    refusal = limits.check_view(view)
    TALLY.count("views.open", {"view": view}, refusal)
    assert refusal is None, refusal


# Generated runbook parts, validated by the schema models.

question = st.fixed_dictionaries(
    {
        "ask": template_safe,
        "answers": st.lists(
            st.fixed_dictionaries({"label": label, "say": template_safe}), min_size=1, max_size=5
        ),
    }
)
instruction = st.fixed_dictionaries({"say": template_safe}, optional={"command": template_safe})
manual = many(st.one_of(question, instruction), 10)


@st.composite
def steps(draw: st.DrawFn) -> StepView:
    data = {"id": draw(slug), "title": draw(words), "why": draw(text), "manual": draw(manual)}
    try:
        step = Step.model_validate(data)
    except ValidationError:
        assume(False)
        raise
    checks = draw(many(words, 40))
    total = draw(st.integers(1, 60))
    return StepView(
        id=step.id, title=step.title, why=step.why, number=draw(st.integers(1, total)),
        total=total, checks=checks, manual=render_manual(step.manual, {}),
    )  # fmt: skip


@st.composite
def check_runs(draw: st.DrawFn) -> CheckRun:
    status = draw(st.sampled_from(list(CheckStatus)))
    summary = draw(text).replace("\n", " ")  # a summary is one line
    result = CheckResult(status=status, summary=summary).with_duration(
        draw(st.floats(0, 1e7, allow_nan=False))
    )
    return CheckRun(id=draw(slug), type="tcp", title=draw(text), outcome_name="c", result=result)


@st.composite
def step_results(draw: st.DrawFn, most: int = 40) -> StepResult:
    say = draw(st.one_of(st.none(), words))
    return StepResult(
        id=draw(slug), title=draw(words), why=draw(text),
        checks=draw(many(check_runs(), most)),
        conclusion=Conclusion(say=say) if say else None,
        applies=draw(st.booleans()),
    )  # fmt: skip


targets = st.builds(
    TargetView, name=slug, title=words, impact=text, runbook_id=slug, runbook_title=words,
    summary=text, source=st.one_of(st.none(), st.just("https://runbooks.example/x"), text),
)  # fmt: skip


@st.composite
def progresses(draw: st.DrawFn) -> Progress:
    runs = {f"s{n}": StepRecord.of(draw(step_results(20))) for n in range(draw(st.integers(0, 3)))}
    status = draw(st.sampled_from(["open", "resolved"]))
    return Progress(
        incident_id=draw(st.integers(1, 10**9)), total_steps=draw(st.integers(1, 60)),
        runs=runs, status=status, opened_by=draw(users), resolved_by=draw(users),
        walk=draw(st.booleans()), dry_run=draw(st.booleans()), running=draw(st.booleans()),
        alerts=draw(many(text, 100)),
    )  # fmt: skip


@PROFILE
@given(view=steps(), result=st.one_of(st.none(), step_results()), mode=st.integers(0, 3),
       user=users)  # fmt: skip
def test_every_step_message_is_one_slack_accepts(
    view: StepView, result: StepResult | None, mode: int, user: str
) -> None:
    record = StepRecord.of(result) if result is not None else None
    blocks = render.step_blocks(
        view, 7, result=record if mode == 1 else None, running=mode == 2,
        skipped_by=user or "U1" if mode == 3 else None,
    )  # fmt: skip
    accepted(blocks, render.step_text(view.title, record, skipped=mode == 3))


@PROFILE
@given(target=targets, progress=progresses())
def test_every_header_is_one_slack_accepts(target: TargetView, progress: Progress) -> None:
    accepted(render.header_blocks(target, progress), render.header_text(target))


@PROFILE
@given(results=many(step_results(), 60), user=users)
def test_every_run_all_summary_is_one_slack_accepts(results: list[StepResult], user: str) -> None:
    result = RunResult(runbook="r", title="R", target="t", steps=results, duration_ms=1.0)
    accepted(render.run_all_blocks(result, by=user), render.run_all_text(result))


@PROFILE
@given(
    why=text,
    items=manual,
    titles=many(words, 50),
)
def test_every_escalation_is_one_slack_accepts(
    why: str, items: list[dict[str, Any]], titles: list[str]
) -> None:
    actions = [(f"action-{n}", title) for n, title in enumerate(titles)]
    try:
        escalation = EscalationSpec.model_validate({"why": why, "manual": items})
    except ValidationError:
        assume(False)
        raise
    blocks = render.escalation_blocks(
        escalation.why, render_manual(escalation.manual, {}), actions, 7
    )
    accepted(blocks, "Escalation")


@PROFILE
@given(name=words, summary=text, labels=st.dictionaries(text, text, max_size=8),
       status=st.sampled_from(["firing", "resolved"]),
       url=st.one_of(st.none(), st.just("https://runbooks.example/x"), text))  # fmt: skip
def test_every_alert_line_is_one_slack_accepts_and_shows_the_alert_as_written(
    name: str, summary: str, labels: dict[str, str], status: str, url: str | None
) -> None:
    alert = Alert(
        source="alertmanager", status=status, name=name, labels=labels,  # type: ignore[arg-type]
        summary=summary, runbook_url=url,
    )  # fmt: skip
    line = alert_text(alert)
    accepted(alert_blocks(alert), line)
    if len(escape(name)) <= 200:  # not cut (render_alerts allows 200): shown as written
        assert name in plain(line)


@PROFILE
@given(
    count=st.integers(0, 200),
    title=words,
    word=text,
    suggestions=st.lists(slug, max_size=3),
    reason=words,
)
def test_help_and_unknown_are_messages_slack_accepts(
    count: int, title: str, word: str, suggestions: list[str], reason: str
) -> None:
    entries = [HelpEntry(f"r{n % 7}", title, f"target-{n}", title) for n in range(count)]
    accepted(help_blocks(sorted(entries, key=lambda e: e.runbook)), "triage targets")
    # The fallback of an unknown word is the bot's own reason, never the word.
    accepted(render.unknown_blocks(word, suggestions, reason), "which target?")


@PROFILE
@given(user=users, answer=label, say=text)
def test_answers_and_resolutions_are_messages_slack_accepts(
    user: str, answer: str, say: str
) -> None:
    accepted(render.answer_blocks(user or "U1", answer, say), render.answer_text(answer, say))
    accepted(render.resolved_blocks(user or "U1"), "Resolved")


@st.composite
def plans(draw: st.DrawFn) -> Plan:
    calls = [
        Call(service="ecs", operation="update_service", params={"cluster": draw(text)})
        for _ in range(draw(st.integers(0, 5)))
    ]
    return Plan(
        action_id=draw(slug), title=draw(words), read=None, calls=calls, sets=draw(text),
        approval=draw(st.booleans()),
    )  # fmt: skip


@PROFILE
@given(plan=plans(), state=st.one_of(st.none(), st.dictionaries(text, text, max_size=5),
       st.fixed_dictionaries({"running": st.integers(), "desired": st.integers(),
                              "status": text})),
       error=st.one_of(st.none(), text), user=users, lines=many(text, 30),
       done=st.one_of(st.none(), text))  # fmt: skip
def test_every_action_message_and_dialog_is_one_slack_accepts(
    plan: Plan, state: dict[str, Any] | None, error: str | None, user: str,
    *, lines: list[str], done: str | None,
) -> None:  # fmt: skip
    value = ButtonValue(incident=1, step="a", request=2)
    accepted_view(render_actions.confirm_view(plan, state, error, value))
    accepted(render_actions.approval_blocks(plan, user or "U1", value, "12:00"))
    accepted(render_actions.decided_blocks(plan, user or "U1", "approved"))
    accepted(render_actions.progress_blocks(plan, lines, by="<@U1>", done=done))
