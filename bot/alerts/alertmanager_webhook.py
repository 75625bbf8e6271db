"""Alertmanager's webhook body (version 4): one `Alert` per entry of
`alerts[]`, each with its own status, since a firing group can carry alerts
that have already resolved."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from bot.alerts.model import Alert, AlertPayloadError, Status

# Go's zero time: what Alertmanager sends as `endsAt` of an alert still firing.
_ZERO_YEAR = 1


class _Body(BaseModel):
    model_config = ConfigDict(extra="ignore")

    alerts: list[_Entry]
    version: str
    status: Status
    group_key: str = Field(alias="groupKey")


class _Entry(BaseModel):
    model_config = ConfigDict(extra="ignore")

    status: Status
    labels: dict[str, str]
    annotations: dict[str, str] = Field(default_factory=dict)
    fingerprint: str = ""
    starts_at: datetime | None = Field(None, alias="startsAt")
    ends_at: datetime | None = Field(None, alias="endsAt")


_Body.model_rebuild()


def parse_alertmanager_webhook(body: Any) -> list[Alert]:
    """Raises AlertPayloadError (a ValueError) for a body that is not version 4."""
    try:
        parsed = _Body.model_validate(body)
    except ValidationError as exc:
        raise AlertPayloadError(f"not an Alertmanager webhook body: {exc}") from exc
    if parsed.version != "4":
        raise AlertPayloadError(f"Alertmanager webhook version {parsed.version!r}, expected '4'")
    return [_alert(entry) for entry in parsed.alerts if entry.labels.get("alertname")]


def _alert(entry: _Entry) -> Alert:
    notes = entry.annotations
    return Alert(
        source="alertmanager",
        status=entry.status,
        name=entry.labels["alertname"],
        labels=entry.labels,
        fingerprint=entry.fingerprint,
        summary=notes.get("summary") or notes.get("description") or "",
        runbook_url=notes.get("runbook_url") or None,
        starts_at=_time(entry.starts_at),
        ends_at=_time(entry.ends_at),
    )


def _time(value: datetime | None) -> datetime | None:
    return None if value is None or value.year == _ZERO_YEAR else value
