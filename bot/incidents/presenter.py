"""What the incident service tells a front end to show, and nothing else.

The service decides and records; a presenter shows. Where a message went is
an opaque reference the presenter returns (a Slack ts, say): the service
keeps it in the store (`Incident.step_messages`, the thread) and hands it
back as `at` to edit that message, so a click after a restart finds it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from bot.engine.records import StepRecord
from bot.engine.results import RunResult
from bot.incidents.views import EscalationView, Progress, StepView, TargetView
from bot.runbooks.binding import Binding
from bot.store import Incident


@dataclass(frozen=True)
class Pending:
    """Not run yet: what it will check, and its buttons."""


@dataclass(frozen=True)
class Running:
    """Its checks are running now; `so_far` holds those that have finished
    (a partial record, status "running"), shown while the others run."""

    so_far: StepRecord | None = None


@dataclass(frozen=True)
class Ran:
    record: StepRecord


@dataclass(frozen=True)
class Skipped:
    by: str


StepState = Pending | Running | Ran | Skipped


class Presenter(Protocol):
    async def header(
        self, incident: Incident, target: TargetView, progress: Progress, *, at: str | None
    ) -> str:
        """Show the incident's header (post it, or edit it `at`); where it is."""
        ...

    async def step(
        self, incident: Incident, view: StepView, state: StepState, *, at: str | None
    ) -> str:
        """Show a step in `state` (post it, or edit it `at`); where it is."""
        ...

    async def run_all_summary(self, incident: Incident, result: RunResult, *, by: str) -> None: ...

    async def escalation(self, incident: Incident, view: EscalationView) -> str: ...

    async def answer(self, incident: Incident, *, by: str, label: str, say: str) -> None: ...

    async def resolved(self, incident: Incident, *, by: str) -> None: ...

    async def file(self, incident: Incident, *, filename: str, content: str, title: str) -> None:
        """A text file in the incident's thread (details, timeline, postmortem)."""
        ...

    async def charts(self, incident: Incident, record: StepRecord, binding: Binding) -> None:
        """Charts of what a step judged; called after its findings are shown."""
        ...
