"""Incidents, step runs and the audit log (SQLite by default)."""

from bot.store.models import AlertBinding, AuditRecord, Incident, StepRun
from bot.store.sqlite import SqliteStore, default_path

__all__ = ["AlertBinding", "AuditRecord", "Incident", "SqliteStore", "StepRun", "default_path"]
