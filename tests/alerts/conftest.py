"""Fixtures are Slack events and webhook bodies as the sources send them."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bot.alerts.model import Alert

FIXTURES = Path(__file__).parent / "fixtures"
OWN_BOT_ID = "B0TRIAGE"
RUNBOOK = (
    "https://github.com/cabalmail/cabal-infra/blob/main/docs/operations/runbooks/probe-failure.md"
)


def load(name: str) -> Any:
    return json.loads((FIXTURES / name).read_text())


@dataclass(frozen=True)
class Want:
    """What a test expects of one parsed alert: labels is a subset."""

    status: str
    name: str
    labels: dict[str, str] = field(default_factory=dict)
    runbook_url: str | None = None

    def check(self, alert: Alert) -> None:
        assert (alert.status, alert.name) == (self.status, self.name)
        assert {k: alert.labels.get(k) for k in self.labels} == self.labels
        assert alert.runbook_url == self.runbook_url
        assert alert.fingerprint


def check_all(alerts: list[Alert], wanted: list[Want]) -> None:
    assert len(alerts) == len(wanted), alerts
    for alert, want in zip(alerts, wanted, strict=True):
        want.check(alert)
