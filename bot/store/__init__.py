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
from bot.store.sqlite import SqliteStore


def open_store(where: str | None = None) -> Store:
    """The store TRIAGE_DB (or `where`) names: a SQLite file, the default,
    or a postgresql:// URL. Imported lazily: psycopg only when asked."""
    from bot.store.select import open_store as opened  # noqa: PLC0415 (psycopg on demand)

    return opened(where)


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
    "open_store",
]
