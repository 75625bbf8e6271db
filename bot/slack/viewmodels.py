"""What the renderer is given: plain views built from runbooks, the engine's
results and the store, so that rendering stays a pure function."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from bot.engine.results import ManualView


@dataclass(frozen=True, kw_only=True)
class TargetView:
    name: str
    title: str
    impact: str
    runbook_id: str
    runbook_title: str
    summary: str
    source: str | None = None


@dataclass(frozen=True, kw_only=True)
class StepView:
    id: str
    title: str
    why: str
    number: int
    total: int
    checks: list[str] = field(default_factory=list)  # check titles (or ids)
    manual: list[ManualView] = field(default_factory=list)


@dataclass(frozen=True, kw_only=True)
class Progress:
    """The header's view of an incident: kept current as steps run."""

    incident_id: int
    total_steps: int
    runs: dict[str, dict[str, Any]] = field(default_factory=dict)  # step id -> StepResult JSON
    status: str = "open"
    opened_by: str = ""
    resolved_by: str | None = None
    walk: bool = False  # no step posted yet: offer to walk through
    dry_run: bool = False  # checks and actions only show what they would call
    running: bool = False  # every check is running now (auto-triage)
    alerts: list[str] = field(default_factory=list)  # lines about the alerts bound to it

    @property
    def findings(self) -> list[tuple[str, str, str]]:
        """(icon, name, text): failing checks first, then each step's conclusion."""
        failing = [
            ("❌" if c["status"] == "fail" else "⚠️", c.get("title") or c["id"], c["summary"])
            for run in self.runs.values()
            for c in run.get("checks", [])
            if c.get("status") in ("fail", "error")
        ]
        said = [("➡️", "", run["conclusion"]) for run in self.runs.values() if run.get("conclusion")]
        return failing + said

    @property
    def failing(self) -> list[str]:
        return [
            f"{step}/{c['id']}"
            for step, run in self.runs.items()
            for c in run.get("checks", [])
            if c.get("status") in ("fail", "error")
        ]
