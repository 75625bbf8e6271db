"""The one shape every alert source is parsed into."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal, get_args

Source = Literal["alertmanager", "kuma", "healthchecks"]
Status = Literal["firing", "resolved"]


class AlertPayloadError(ValueError):
    """A webhook body that claims to be an alert but cannot be read as one."""


@dataclass(frozen=True)
class Alert:
    source: Source
    status: Status
    name: str
    labels: Mapping[str, str] = field(default_factory=dict)
    fingerprint: str = ""
    summary: str = ""
    runbook_url: str | None = None
    starts_at: datetime | None = None
    ends_at: datetime | None = None

    def __post_init__(self) -> None:
        if self.source not in get_args(Source):
            raise ValueError(f"unknown alert source {self.source!r}")
        if self.status not in get_args(Status):
            raise ValueError(f"unknown alert status {self.status!r}")
        if not self.name.strip():
            raise ValueError("an alert needs a name")
        # A copy, so that a caller's later edits cannot change a frozen value.
        object.__setattr__(self, "labels", dict(self.labels))
        if not self.fingerprint:
            object.__setattr__(
                self, "fingerprint", fingerprint_of(self.source, self.name, self.labels)
            )

    def __hash__(self) -> int:
        return hash((self.source, self.fingerprint, self.status))


def fingerprint_of(source: str, name: str, labels: Mapping[str, str], *extra: str) -> str:
    """Stable across processes and repeats of the same alert; the status is
    left out so that an alert's "resolved" finds its "firing"."""
    data = json.dumps([source, name, sorted(labels.items()), list(extra)], ensure_ascii=False)
    return hashlib.sha256(data.encode()).hexdigest()[:16]
