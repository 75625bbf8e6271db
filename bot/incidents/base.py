"""What every part of the incident service shares: who acts, what it is
built with, the audit, and the views and messages every part reads or posts.
The parts (bot.incidents.run, .walk, .files) each add one concern to
IncidentService (bot.incidents.service), which is all of them."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from bot.engine.dryrun import dry_run
from bot.engine.results import CheckRun
from bot.engine.runner import Engine, OnCheck, Settings
from bot.incidents import views
from bot.incidents.presenter import Pending, Presenter
from bot.incidents.views import HEADER, Progress, StepView
from bot.incidents.work import Work
from bot.runbooks.binding import Binding, step_applies
from bot.runbooks.catalogue import Catalogue
from bot.runbooks.schema import Step
from bot.store import Incident, SqliteStore, Store
from bot.store.aio import AsyncStore


@dataclass(frozen=True)
class Actor:
    user: str
    request_id: str
    # The message whose button was clicked, when there was one: a step is
    # edited where the responder clicked, even if its reference is not stored yet.
    message: str | None = None


class ServiceBase:
    """What IncidentService's parts share; never used alone."""

    def __init__(
        self,
        catalogue: Catalogue,
        store: SqliteStore | Store,
        presenter: Presenter,
        settings: Settings,
        work: Work | None = None,
    ) -> None:
        self.catalogue = catalogue
        # Work after an ack runs here, never ahead of another request's ack.
        self.work = work or Work()
        # Off the event loop: a locked store file must not stall acks.
        self.store: Store = AsyncStore(store) if isinstance(store, SqliteStore) else store
        self.presenter = presenter
        self.settings = settings
        # Told of every finished check (the composition root hangs the metrics here).
        self.on_check: OnCheck | None = None
        # Told of every finished check with its incident's runbook and target.
        self.on_target_check: Callable[[str, str, CheckRun], None] | None = None
        # Told of every resolve: runbook, target, seconds open (the metrics).
        self.on_resolved: Callable[[str, str, float], None] | None = None

    async def refresh_header(self, incident_id: int) -> None:
        incident = await self.store.incident(incident_id)
        binding = self.catalogue.bindings[incident.runbook]
        view = views.target_view(binding, incident.target)
        progress = await self.progress(incident)
        await self.presenter.header(incident, view, progress, at=incident.step_messages[HEADER])

    def engine_for(
        self, binding: Binding, incident: Incident | None = None, *, also: OnCheck | None = None
    ) -> Engine:
        """An engine for this incident: in dry-run mode it only describes
        calls. `also` is told of every finished check too (streaming)."""
        execute = dry_run if incident is not None and incident.dry_run else None
        on_check = self.on_check
        if incident is not None and self.on_target_check is not None:
            on_check = _also(on_check, self.on_target_check, incident.runbook, incident.target)
        if also is not None:
            on_check = _both(on_check, also)
        return Engine(
            binding, settings=self.settings, on_check=on_check, execute=execute,
            pace=self.work.quiet,  # each check starts after the acks on their way
        )  # fmt: skip

    def step_view(self, incident: Incident, step_id: str) -> StepView:
        binding, step = self._step(incident, step_id)
        return views.step_view(binding, incident, step)

    async def progress(self, incident: Incident) -> Progress:
        binding = self.catalogue.bindings[incident.runbook]
        runs = await self.store.latest_runs(incident.id)
        alerts = await self.store.alerts_of(incident.id)
        return views.progress(binding, incident, runs, alerts)

    def _step(self, incident: Incident, step_id: str) -> tuple[Binding, Step]:
        binding = self.catalogue.bindings[incident.runbook]
        return binding, binding.runbook.step(step_id)

    async def _step_message(self, incident: Incident, step: Step) -> str:
        if step.id not in incident.step_messages:
            return await self._post_step(incident, step)
        return incident.step_messages[step.id]

    async def _post_step(self, incident: Incident, step: Step) -> str:
        view = self.step_view(incident, step.id)
        at = await self.presenter.step(incident, view, Pending(), at=None)
        await self.store.set_step_message(incident.id, step.id, at)
        return at

    async def audit(
        self,
        actor: Actor,
        action: str,
        incident_id: int,
        params: dict[str, Any],
        *,
        outcome: str = "done",
    ) -> None:
        await self.store.audit(
            actor=actor.user, action=action, outcome=outcome,
            request_id=actor.request_id, incident_id=incident_id, params=params,
        )  # fmt: skip


def step_after(
    binding: Binding, target: str, after: str | None, suggested: str | None = None
) -> Step | None:
    """The step to post after `after` (None: the first): the one its
    conclusion named, else the next that applies to the target."""
    steps = binding.runbook.steps
    if suggested:
        return binding.runbook.step(suggested)
    start = 0 if after is None else [s.id for s in steps].index(after) + 1
    return next((s for s in steps[start:] if step_applies(s, target)), None)


def _also(
    first: OnCheck | None, then: Callable[[str, str, CheckRun], None], runbook: str, target: str
) -> OnCheck:
    def told(step_id: str, run: CheckRun) -> None:
        if first is not None:
            first(step_id, run)
        then(runbook, target, run)

    return told


def _both(first: OnCheck | None, then: OnCheck) -> OnCheck:
    def told(step_id: str, run: CheckRun) -> None:
        if first is not None:
            first(step_id, run)
        then(step_id, run)

    return told
