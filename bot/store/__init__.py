"""Incidents, step runs and the audit log (SQLite by default)."""

from bot.store.models import AlertBinding, Approval, AuditRecord, Incident, StepRun
from bot.store.sqlite import SqliteStore, default_path

__all__ = [
    "AlertBinding",
    "Approval",
    "AuditRecord",
    "Incident",
    "SqliteStore",
    "StepRun",
    "default_path",
]
