"""Incidents, step runs and the audit log: a SQLite file by default, or a
PostgreSQL database shared by several replicas (TRIAGE_DB=postgresql://...)."""

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
from bot.store.protocol import Store
from bot.store.sqlite import SqliteStore, default_path

__all__ = [
    "AlertBinding",
    "Approval",
    "AuditRecord",
    "Incident",
    "SqliteStore",
    "StepRun",
    "Store",
    "StoreUnavailable",
    "TimelineEvent",
    "Work",
    "default_path",
]
