"""The incident service shown in Slack: each of its "show this" calls is one
post or edit in the incident's thread. A message's reference is its ts; the
service keeps it in the store and hands it back to edit that message."""

from __future__ import annotations

from bot.checks.context import VantageSettings
from bot.engine.records import StepRecord
from bot.engine.results import RunResult
from bot.engine.runner import Settings
from bot.incidents.presenter import Ran, Running, Skipped, StepState
from bot.incidents.service import IncidentService
from bot.incidents.views import EscalationView, Progress, StepView, TargetView
from bot.runbooks.binding import Binding
from bot.runbooks.catalogue import Catalogue
from bot.slack import render
from bot.slack.charts import post_charts
from bot.slack.poster import Poster
from bot.store import Incident, SqliteStore, Store
from bot.store.aio import AsyncStore

Blocks = render.Blocks


class SlackPresenter:
    def __init__(self, poster: Poster, store: Store, vantage: VantageSettings) -> None:
        self.poster = poster
        self.store = store  # read only: when the incident's alert fired, for charts
        self.vantage = vantage

    async def header(
        self, incident: Incident, target: TargetView, progress: Progress, *, at: str | None
    ) -> str:
        blocks = render.header_blocks(target, progress)
        return await self._show(incident, render.header_text(target), blocks, at)

    async def step(
        self, incident: Incident, view: StepView, state: StepState, *, at: str | None
    ) -> str:
        record = state.record if isinstance(state, Ran) else None
        skipped_by = state.by if isinstance(state, Skipped) else None
        blocks = render.step_blocks(
            view, incident.id, result=record, running=isinstance(state, Running),
            skipped_by=skipped_by,
        )  # fmt: skip
        text = render.step_text(view.title, record, skipped=skipped_by is not None)
        return await self._show(incident, text, blocks, at)

    async def run_all_summary(self, incident: Incident, result: RunResult, *, by: str) -> None:
        blocks = render.run_all_blocks(result, by=by)
        await self._show(incident, render.run_all_text(result), blocks, None)

    async def escalation(self, incident: Incident, view: EscalationView) -> str:
        blocks = render.escalation_blocks(view.why, view.manual, view.actions, incident.id)
        return await self._show(incident, "Escalation", blocks, None)

    async def answer(self, incident: Incident, *, by: str, label: str, say: str) -> None:
        blocks = render.answer_blocks(by, label, say)
        await self._show(incident, render.answer_text(label, say), blocks, None)

    async def resolved(self, incident: Incident, *, by: str) -> None:
        await self._show(incident, "Resolved", render.resolved_blocks(by), None)

    async def file(self, incident: Incident, *, filename: str, content: str, title: str) -> None:
        await self.poster.upload(
            incident.channel, incident.thread_ts, filename=filename, content=content, title=title
        )

    async def charts(self, incident: Incident, record: StepRecord, binding: Binding) -> None:
        await post_charts(self.store, self.poster, self.vantage, incident, record, binding=binding)

    async def _show(self, incident: Incident, text: str, blocks: Blocks, at: str | None) -> str:
        """Edit the message `at`, or post a new one in the incident's thread."""
        if at is None:
            return await self.poster.post(
                incident.channel, text=text, blocks=blocks, thread_ts=incident.thread_ts
            )
        await self.poster.update(incident.channel, at, text=text, blocks=blocks)
        return at


def slack_incidents(
    catalogue: Catalogue, store: SqliteStore | Store, poster: Poster, settings: Settings
) -> IncidentService:
    """The incident service shown in Slack through `poster`."""
    shared: Store = AsyncStore(store) if isinstance(store, SqliteStore) else store
    if shared.shared:  # replicas keep one posting pace per channel, in the store
        poster.share_pace(shared)
    presenter = SlackPresenter(poster, shared, settings.vantage)
    return IncidentService(catalogue, shared, presenter, settings)
