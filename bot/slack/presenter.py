"""The incident service shown in Slack: each of its "show this" calls is one
post or edit in the incident's thread. A message's reference is its ts; the
service keeps it in the store and hands it back to edit that message.

Rendering and redaction are CPU: each message's are done in one stretch of
work (bot.incidents.work), after any pending acks, never while waiting on
Slack."""

from __future__ import annotations

from collections.abc import Callable

from bot.checks.context import VantageSettings
from bot.engine.records import StepRecord
from bot.engine.results import RunResult
from bot.engine.runner import Settings
from bot.incidents.presenter import Ran, Running, Skipped, StepState
from bot.incidents.service import IncidentService
from bot.incidents.views import EscalationView, Progress, StepView, TargetView
from bot.incidents.work import Work
from bot.runbooks.binding import Binding
from bot.runbooks.catalogue import Catalogue
from bot.slack import render
from bot.slack.charts import post_charts
from bot.slack.poster import Poster
from bot.store import Incident, SqliteStore, Store
from bot.store.aio import AsyncStore

Blocks = render.Blocks


class SlackPresenter:
    def __init__(
        self, poster: Poster, store: Store, vantage: VantageSettings, work: Work | None = None
    ) -> None:
        self.poster = poster
        self.store = store  # read only: when the incident's alert fired, for charts
        self.vantage = vantage
        self.work = work or Work()

    async def header(
        self, incident: Incident, target: TargetView, progress: Progress, *, at: str | None
    ) -> str:
        def draw() -> tuple[str, Blocks]:
            return render.header_text(target), render.header_blocks(target, progress)

        return await self._show(incident, draw, at)

    async def step(
        self, incident: Incident, view: StepView, state: StepState, *, at: str | None
    ) -> str:
        def draw() -> tuple[str, Blocks]:
            record = state.record if isinstance(state, Ran) else None
            if isinstance(state, Running):
                record = state.so_far
            skipped_by = state.by if isinstance(state, Skipped) else None
            blocks = render.step_blocks(
                view, incident.id, result=record, running=isinstance(state, Running),
                skipped_by=skipped_by,
            )  # fmt: skip
            done = record if isinstance(state, Ran) else None
            return render.step_text(view.title, done, skipped=skipped_by is not None), blocks

        return await self._show(incident, draw, at)

    async def run_all_summary(self, incident: Incident, result: RunResult, *, by: str) -> None:
        def draw() -> tuple[str, Blocks]:
            return render.run_all_text(result), render.run_all_blocks(result, by=by)

        await self._show(incident, draw, None)

    async def escalation(self, incident: Incident, view: EscalationView) -> str:
        def draw() -> tuple[str, Blocks]:
            blocks = render.escalation_blocks(view.why, view.manual, view.actions, incident.id)
            return "Escalation", blocks

        return await self._show(incident, draw, None)

    async def answer(self, incident: Incident, *, by: str, label: str, say: str) -> None:
        def draw() -> tuple[str, Blocks]:
            return render.answer_text(label, say), render.answer_blocks(by, label, say)

        await self._show(incident, draw, None)

    async def resolved(self, incident: Incident, *, by: str) -> None:
        await self._show(incident, lambda: ("Resolved", render.resolved_blocks(by)), None)

    async def file(self, incident: Incident, *, filename: str, content: str, title: str) -> None:
        await self.poster.upload(
            incident.channel, incident.thread_ts, filename=filename, content=content, title=title
        )

    async def charts(self, incident: Incident, record: StepRecord, binding: Binding) -> None:
        await post_charts(self.store, self.poster, self.vantage, incident, record, binding=binding)

    async def _show(
        self, incident: Incident, draw: Callable[[], tuple[str, Blocks]], at: str | None
    ) -> str:
        """Edit the message `at`, or post a new one in the incident's thread;
        drawn and redacted in one stretch of work, sent outside it."""
        async with self.work.turn():
            text, blocks = self.poster.clean(*draw())
        if at is None:
            return await self.poster.post(
                incident.channel, text=text, blocks=blocks, thread_ts=incident.thread_ts,
                cleaned=True,
            )  # fmt: skip
        await self.poster.update(incident.channel, at, text=text, blocks=blocks, cleaned=True)
        return at


def slack_incidents(
    catalogue: Catalogue, store: SqliteStore | Store, poster: Poster, settings: Settings
) -> IncidentService:
    """The incident service shown in Slack through `poster`."""
    shared: Store = AsyncStore(store) if isinstance(store, SqliteStore) else store
    if shared.shared:  # replicas keep one posting pace per channel, in the store
        poster.share_pace(shared)
    work = Work()  # one queue for the service's units and the presenter's stretches
    poster.quiet = work.quiet  # and no Web API call starts while an ack is pending
    presenter = SlackPresenter(poster, shared, settings.vantage, work)
    return IncidentService(catalogue, shared, presenter, settings, work)
