"""A postmortem draft, in Markdown, from what the store recorded and the
runbook says: summary, impact (the target's `impact`), detection and time
to recovery (the source's times when it gave them, the bot's otherwise, and
the words say which), what the checks found, what was done and by whom, and
open questions (questions nobody answered, steps never run, checks that
could not look). Nothing beyond recorded facts: a section with no facts
says so rather than guessing."""

from __future__ import annotations

from bot.alerts.times import duration
from bot.engine.conclude import render_manual
from bot.engine.records import StepRecord, read_across
from bot.runbooks.binding import Binding, step_applies
from bot.store import Incident, StepRun
from bot.store.snapshot import Records
from bot.timeline.build import finding, timeline
from bot.timeline.model import Entry, Timeline
from bot.timeline.render import markdown as timeline_markdown
from bot.timeline.render import source_stamp, stamp

# The escalation's message in the thread, and the step id its answers carry
# (bot.slack.render.ESCALATION_ID; the core does not import Slack).
ESCALATION = "escalation"
# Timeline entries that are something a person (or the bot for them) did.
DONE = frozenset({
    "auto_triage", "walk", "run_all", "answer", "skip", "escalate", "dry_run",
    "request_approval", "approved", "rejected", "dry_run_action", "run_action", "resolved",
})  # fmt: skip


def postmortem(store: Records, binding: Binding, incident_id: int) -> str:
    """Raises KeyError for an unknown incident. Synchronous (bot.store.snapshot)."""
    incident = store.incident(incident_id)
    told = timeline(store, incident_id)
    runs = store.latest_runs(incident_id)
    answered = {
        (r.params.get("step"), r.params.get("question"))
        for r in store.audit_log(incident_id=incident_id)
        if r.action == "answer" and r.outcome == "done"
    }
    sections = [
        _summary(binding, incident),
        _section("Impact", [_one_line(str(binding.targets[incident.target]["impact"]))]),
        _section("Detection and recovery", _detection(told)),
        _section("What the checks found", _found(binding, runs)),
        _section("What was done, and by whom", _done(told)),
        _section("Open questions", _open(binding, incident, runs, answered)),
        "## Timeline\n\n" + timeline_markdown(told).split("\n", 4)[4],
    ]
    return "\n".join(sections)


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _section(title: str, items: list[str]) -> str:
    body = "\n".join(f"- {i}" for i in items) if items else "- Nothing recorded."
    return f"## {title}\n\n{body}\n"


def _summary(binding: Binding, incident: Incident) -> str:
    runbook = binding.runbook
    title = binding.targets[incident.target]["title"]
    state = (
        f"Resolved {stamp(incident.resolved_at)} by {incident.resolved_by or '?'}."
        if incident.status == "resolved" and incident.resolved_at is not None
        else "Still open."
    )
    return (
        f"# Postmortem draft: {runbook.title}: {title} (incident {incident.id})\n\n"
        f"_A draft from what triage recorded; edit before sharing._\n\n"
        f"## Summary\n\n{_one_line(runbook.summary)}\n\n"
        f"Runbook `{runbook.id}`, target `{incident.target}`. "
        f"Opened {stamp(incident.opened_at)} by {incident.opened_by}. {state}\n"
    )


def _detection(t: Timeline) -> list[str]:
    fired = next((e for e in t.entries if e.kind == "alert_fired"), None)
    ended = [e for e in t.entries if e.kind == "alert_resolved"]
    checked = next((e for e in t.entries if e.kind == "step"), None)
    lines = [_detected(t, fired)]
    if checked is not None:
        lines.append(f"First findings {duration(checked.at - t.opened_at)} after opening.")
    start, end = fired.source_at if fired else None, ended[-1].source_at if ended else None
    if start is not None and end is not None and end >= start:
        lines.append(
            f"Time to recovery: {duration(end - start)} by the source's clock "
            f"({source_stamp(start)} to {source_stamp(end)})."
        )
    elif ended:
        lines.append(
            f"Time to recovery: {duration(ended[-1].at - (fired.at if fired else t.opened_at))} "
            "by the bot's clock (the source gave no start and end)."
        )
    if t.resolved_at is not None:
        lines.append(
            f"Time to resolve: {duration(t.resolved_at - t.opened_at)} from opening to "
            f"resolved, by the bot's clock."
        )
    return lines


def _detected(t: Timeline, fired: Entry | None) -> str:
    if fired is None:
        return f"Opened by {t.opened_by} at {stamp(t.opened_at)}; no alert was recorded."
    if fired.source_at is None:
        return f"{fired.what}; received {stamp(fired.at)} (the source gave no start time)."
    lag = duration(fired.at - fired.source_at)
    return (
        f"{fired.what}; the source says it started {source_stamp(fired.source_at)}, "
        f"received {stamp(fired.at)} ({lag} later)."
    )


def _found(binding: Binding, runs: dict[str, StepRun]) -> list[str]:
    found = []
    for step in binding.runbook.steps:
        run = runs.get(step.id)
        if run is not None:
            record = StepRecord.from_json(run.result)
            said = finding(record)
            found.append(
                f"**{step.title}**: {record.status}" + (f": {_one_line(said)}" if said else "")
            )
    return found


def _done(t: Timeline) -> list[str]:
    return [
        f"{stamp(e.at)}, {e.who or 'nobody'}: {_one_line(e.what)}"
        for e in t.entries
        if e.kind in DONE
    ]


def _open(
    binding: Binding,
    incident: Incident,
    runs: dict[str, StepRun],
    answered: set[tuple[object, object]],
) -> list[str]:
    records = {step: StepRecord.from_json(run.result) for step, run in runs.items()}
    scope = binding.scope(incident.target, alert=incident.alert)
    questions: list[str] = []
    for step in binding.runbook.steps:
        if not step_applies(step, incident.target):
            continue
        if step.id not in runs:
            questions.append(f"Step **{step.title}** was never run.")
        # The questions as the step's message showed them (after a run, filled
        # from its checks), so that an answer's index finds its question.
        ran = records.get(step.id)
        asks = [m for m in (ran.manual if ran else render_manual(step.manual, scope)) if m.ask]
        questions += [
            f"Unanswered ({step.title}): {_one_line(m.ask or '')}"
            for n, m in enumerate(asks)
            if (step.id, n) not in answered
        ]
        for check in ran.checks if ran else []:
            if check.status == "error":
                questions.append(f"Could not check ({step.title}): {_one_line(check.summary)}")
    escalation = binding.runbook.escalation
    if escalation is not None and ESCALATION in incident.step_messages:
        found = {**scope, "checks": read_across(records.values())}
        asks = [m for m in render_manual(escalation.manual, found) if m.ask]
        questions += [
            f"Unanswered (escalation): {_one_line(m.ask or '')}"
            for n, m in enumerate(asks)
            if (ESCALATION, n) not in answered
        ]
    return questions
