"""What a timeline holds: plain values, in the order things happened."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass(frozen=True, kw_only=True)
class Entry:
    at: float  # by the bot's clock (seconds since the epoch)
    kind: str  # opened, alert_fired, alert_repeated, alert_resolved, step, answer, ...
    who: str  # a Slack user id, `alert:<source>`, or "" when nobody acted
    what: str  # one line in words, plain text
    source_at: float | None = None  # the alert source's own time, when it says
    detail: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, kw_only=True)
class Timeline:
    incident_id: int
    runbook: str
    target: str
    status: str
    opened_at: float
    opened_by: str
    resolved_at: float | None
    resolved_by: str | None
    entries: list[Entry]

    def to_json(self) -> dict[str, Any]:
        return asdict(self)
