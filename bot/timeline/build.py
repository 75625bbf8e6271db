"""An incident's timeline from what the store already records: the
incident row (opened, resolved), its alert bindings and the few alert facts
kept in the `timeline` table (source times, repeats), every step run, and
the audit log (answers, skips, escalation, approvals, actions). Nothing is
added that the store does not say."""

from __future__ import annotations

from typing import Any

from bot.engine.records import RecordError, StepRecord
from bot.store import AlertBinding, AuditRecord, Incident, StepRun, TimelineEvent
from bot.store.snapshot import Records
from bot.timeline.model import Entry, Timeline

# Audit records the timeline tells from another table, or that only show
# something (a file, the next step's message) and change nothing.
_ELSEWHERE = frozenset({"open", "resolve", "run_step", "next", "details", "timeline", "postmortem"})


def timeline(store: Records, incident_id: int) -> Timeline:
    """Raises KeyError for an unknown incident. Synchronous: the bot reads
    the incident's records first (bot.store.snapshot), the CLI the file."""
    incident = store.incident(incident_id)
    events = store.events_of(incident_id)
    entries = [_opened(incident)]
    entries += _alerts(store.alerts_of(incident_id), events)
    entries += [_run(r) for r in store.runs_of(incident_id)]
    entries += [e for r in store.audit_log(incident_id=incident_id) if (e := _audited(r))]
    if incident.status == "resolved" and incident.resolved_at is not None:
        who = incident.resolved_by or ""
        entries.append(Entry(at=incident.resolved_at, kind="resolved", who=who, what="Resolved"))
    # Stable: entries at the same instant keep the order above.
    entries.sort(key=lambda e: e.at)
    return Timeline(
        incident_id=incident.id, runbook=incident.runbook, target=incident.target,
        status=incident.status, opened_at=incident.opened_at, opened_by=incident.opened_by,
        resolved_at=incident.resolved_at, resolved_by=incident.resolved_by, entries=entries,
    )  # fmt: skip


def _opened(incident: Incident) -> Entry:
    how = "by an alert" if incident.opened_by.startswith("alert:") else "with /triage"
    name = str(incident.alert.get("name") or "")
    what = f"Incident opened {how}" + (f" ({name})" if name else "")
    return Entry(at=incident.opened_at, kind="opened", who=incident.opened_by, what=what)


def _alerts(bindings: list[AlertBinding], events: list[TimelineEvent]) -> list[Entry]:
    by_print: dict[str, list[TimelineEvent]] = {}
    for event in events:
        by_print.setdefault(str(event.params.get("fingerprint")), []).append(event)
    entries: list[Entry] = []
    for b in bindings:
        noted = by_print.get(b.fingerprint, [])
        fired = next((e for e in noted if e.kind == "alert_fired"), None)
        repeats = [e for e in noted if e.kind == "alert_repeated"]
        who = f"alert:{b.source}"
        count = "" if b.times == 1 else f"; {b.times} notifications in all"
        entries.append(Entry(
            at=b.fired_at, kind="alert_fired", who=who, what=f"Alert {b.name} fired{count}",
            source_at=fired.source_at if fired else None, detail={"fingerprint": b.fingerprint},
        ))  # fmt: skip
        entries += [
            Entry(at=e.at, kind="alert_repeated", who=who, what=f"Alert {b.name} fired again",
                  source_at=e.source_at, detail={"fingerprint": b.fingerprint})
            for e in repeats
        ]  # fmt: skip
        if b.resolved_at is not None:
            ended = next((e for e in reversed(noted) if e.kind == "alert_resolved"), None)
            entries.append(Entry(
                at=b.resolved_at, kind="alert_resolved", who=who, what=f"Alert {b.name} resolved",
                source_at=ended.source_at if ended else None,
                detail={"fingerprint": b.fingerprint},
            ))  # fmt: skip
    return entries


def _run(run: StepRun) -> Entry:
    try:
        record = StepRecord.from_json(run.result)
    except RecordError as exc:  # a row from a newer bot, say: told, not dropped
        return Entry(
            at=run.at, kind="step", who=run.by, what=f"Step {run.step_id}: {exc}",
            detail={"step": run.step_id, "status": "?"},
        )  # fmt: skip
    said = finding(record)
    what = f"Step {record.title or run.step_id}: {record.status}" + (f": {said}" if said else "")
    return Entry(
        at=run.at, kind="step", who=run.by, what=what,
        detail={"step": run.step_id, "status": record.status},
    )  # fmt: skip


def finding(record: StepRecord) -> str:
    """The conclusion, else the first check that failed, else the first check."""
    if record.conclusion:
        return record.conclusion
    chosen = (record.failing or record.checks)[:1]
    return chosen[0].summary if chosen else ""


def _audited(record: AuditRecord) -> Entry | None:
    if record.action in _ELSEWHERE and not record.outcome.startswith("refused"):
        return None
    what = _words(record)
    return Entry(
        at=record.at, kind=record.action, who=record.actor, what=what,
        detail={"outcome": record.outcome, **_ids(record.params)},
    )  # fmt: skip


def _ids(params: dict[str, Any]) -> dict[str, Any]:
    return {k: params[k] for k in ("step", "action", "answer", "approved_by") if k in params}


def _words(r: AuditRecord) -> str:
    p, outcome = r.params, r.outcome
    if outcome.startswith("refused"):
        return f"{r.action} {outcome}"
    action, step = p.get("action", "?"), p.get("step")
    question = p.get("question")
    asked = f", question {question + 1}" if isinstance(question, int) else ""
    said = {
        "skip": f"Skipped step {step}",
        "walk": "Started the walkthrough",
        "run_all": f"Ran the remaining checks ({len(p.get('steps') or [])} steps): {outcome}",
        "auto_triage": f"Auto-triage ran every check: {outcome}",
        "answer": f"Answered {p.get('answer')} (step {step}{asked})",
        "escalate": "Escalated",
        "dry_run": f"Dry run turned {'on' if p.get('on') else 'off'}",
        "request_approval": f"Asked for approval of action {action}",
        "approved": f"Approved action {action}",
        "rejected": f"Rejected action {action}",
        "dry_run_action": f"Described action {action} (dry run; nothing called)",
        "run_action": _action_words(action, outcome, p.get("approved_by")),
    }
    return said.get(r.action, f"{r.action}: {outcome}")


def _action_words(action: object, outcome: str, approved_by: object) -> str:
    approved = f", approved by {approved_by}" if approved_by else ""
    if outcome == "started":
        return f"Action {action} started{approved}"
    return f"Action {action}: {outcome}{approved}"
