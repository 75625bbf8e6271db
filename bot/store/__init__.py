"""Incidents, step runs and the audit log (SQLite by default)."""

from bot.store.connection import StoreUnavailable
from bot.store.models import (
    AlertBinding,
    Approval,
    AuditRecord,
    Incident,
    StepRun,
    TimelineEvent,
    Work,
)
from bot.store.sqlite import SqliteStore, default_path

__all__ = [
    "AlertBinding",
    "Approval",
    "AuditRecord",
    "Incident",
    "SqliteStore",
    "StepRun",
    "StoreUnavailable",
    "TimelineEvent",
    "Work",
    "default_path",
]
