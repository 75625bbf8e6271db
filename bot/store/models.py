"""What the store keeps. Plain values: JSON columns hold dicts."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

Status = Literal["open", "resolved"]


@dataclass(frozen=True, kw_only=True)
class Incident:
    id: int
    channel: str
    thread_ts: str | None
    runbook: str
    target: str
    variables: dict[str, Any]
    opened_by: str
    opened_at: float
    status: Status = "open"
    resolved_by: str | None = None
    resolved_at: float | None = None
    alert: dict[str, Any] = field(default_factory=dict)
    # Checks and actions only say what they would call (nothing is contacted).
    dry_run: bool = False
    # Where each step's message stands in the thread: step id -> ts.
    step_messages: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True, kw_only=True)
class StepRun:
    incident_id: int
    step_id: str
    by: str
    at: float
    result: dict[str, Any]  # StepResult.to_json()


@dataclass(frozen=True, kw_only=True)
class AuditRecord:
    id: int
    at: float
    incident_id: int | None
    actor: str
    action: str
    params: dict[str, Any]
    outcome: str
    request_id: str


@dataclass(frozen=True, kw_only=True)
class AlertBinding:
    """An alert (by fingerprint) firing for an incident."""

    fingerprint: str
    incident_id: int
    source: str
    name: str
    status: str  # firing | resolved
    fired_at: float
    resolved_at: float | None
    times: int
    noted_at: float | None
    # When the source says this firing began (epoch seconds), if it said.
    starts_at: float | None = None


@dataclass(frozen=True, kw_only=True)
class Approval:
    """A request for a second person to approve an escalation action."""

    id: int
    incident_id: int
    action_id: str
    requester: str
    requested_at: float
    expires_at: float
    status: str  # pending | approved | rejected | expired
    decided_by: str | None
    message_ts: str | None


WorkKind = Literal["step", "run_all", "triage", "action"]


@dataclass(frozen=True)
class NewUnit:
    """A unit about to be recorded as queued (Store.queue_units)."""

    name: str
    actor: str
    request_id: str
    params: dict[str, Any]


@dataclass(frozen=True, kw_only=True)
class QueuedUnit:
    """A unit of work acked and queued in memory (a click, a command, a
    mention, an alert message), recorded so that a process killed before
    the unit ended leaves a trace: the next start-up tells the person (or
    triages the alert again) instead of losing it silently."""

    id: int
    name: str  # the button's act, "open", "mention", "alert message"
    actor: str
    request_id: str  # as in the audit and the work the unit records
    params: dict[str, Any]  # enough to tell it (channel, thread) or redo it (an alert)
    queued_at: float
    owner: str


@dataclass(frozen=True, kw_only=True)
class Work:
    """Something started that changes what the thread shows (a step run, an
    auto-triage) or the infrastructure (an action): written before it starts
    and finished after, so that a process killed in between leaves a trace
    the next start-up repairs (bot.slack.recovery)."""

    id: int
    kind: WorkKind
    incident_id: int
    key: str  # the step or action id ("" for an auto-triage)
    actor: str
    request_id: str
    params: dict[str, Any]
    started_at: float
    owner: str  # the process that started it (SqliteStore.owner)
    finished_at: float | None
    outcome: str | None


@dataclass(frozen=True, kw_only=True)
class TimelineEvent:
    """A fact of an incident's story no other table keeps (bot.store.eventlog)."""

    incident_id: int
    at: float  # when the bot recorded it
    kind: str
    source_at: float | None  # the source's own time of it, when known
    params: dict[str, Any]
