"""Rows to the store's models, and values to JSON columns."""

from __future__ import annotations

import json
from typing import Any, Protocol

from bot import redact
from bot.store.audit_names import audit_action
from bot.store.models import AlertBinding, AuditRecord, Incident, StepRun, TimelineEvent


class Row(Protocol):
    """A sqlite3.Row or a psycopg dict row: both are read by column name."""

    def __getitem__(self, column: str, /) -> Any: ...


def dump(value: dict[str, Any]) -> str:
    return json.dumps(value, separators=(",", ":"), default=str)


def dump_redacted(value: dict[str, Any]) -> str:
    """For columns holding text from outside (a peer's answer, an AWS error,
    an alert): nothing in the store may hold a secret, whoever wrote it."""
    return dump(redact.active().redact_tree(value))


def incident(row: Row, step_messages: dict[str, str]) -> Incident:
    return Incident(
        id=row["id"],
        channel=row["channel"],
        thread_ts=row["thread_ts"],
        runbook=row["runbook"],
        target=row["target"],
        variables=json.loads(row["variables"]),
        alert=json.loads(row["alert"]),
        opened_by=row["opened_by"],
        opened_at=row["opened_at"],
        status=row["status"],
        resolved_by=row["resolved_by"],
        resolved_at=row["resolved_at"],
        dry_run=bool(row["dry_run"]),
        step_messages=step_messages,
    )


def alert_binding(row: Row) -> AlertBinding:
    return AlertBinding(
        fingerprint=row["fingerprint"],
        incident_id=row["incident_id"],
        source=row["source"],
        name=row["name"],
        status=row["status"],
        fired_at=row["fired_at"],
        resolved_at=row["resolved_at"],
        times=row["times"],
        noted_at=row["noted_at"],
        starts_at=row["starts_at"],
    )


def run(row: Row) -> StepRun:
    return StepRun(
        incident_id=row["incident_id"],
        step_id=row["step_id"],
        by=row["by"],
        at=row["at"],
        result=json.loads(row["result"]),
    )


def audit(row: Row) -> AuditRecord:
    return AuditRecord(
        id=row["id"],
        at=row["at"],
        incident_id=row["incident_id"],
        actor=row["actor"],
        action=audit_action(row["action"]),
        params=json.loads(row["params"]),
        outcome=row["outcome"],
        request_id=row["request_id"],
    )


def event(row: Row) -> TimelineEvent:
    return TimelineEvent(
        incident_id=row["incident_id"],
        at=row["at"],
        kind=row["kind"],
        source_at=row["source_at"],
        params=json.loads(row["params"]),
    )
