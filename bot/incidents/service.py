"""The incident service: the one place an incident is opened and its steps
run, for every front end (Slack buttons, /triage, mentions, alerts).

It decides and records: the store, the audit log, work claims (a run is
recorded as work before it starts, so one cut short by a restart is
repaired at start-up, bot.slack.recovery). What to show goes to a
Presenter; where the presenter put a message comes back as an opaque
reference that is kept in the store, so a click after a restart finds it.
"""

from __future__ import annotations

import contextlib
import json
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine
from dataclasses import dataclass, replace
from typing import Any, TypeVar

from bot.engine.conclude import answer_say
from bot.engine.dryrun import dry_run
from bot.engine.records import StepRecord, read_across
from bot.engine.results import CheckRun, ManualView, RunResult, StepResult
from bot.engine.runner import Engine, OnCheck, Settings
from bot.incidents import answers, views
from bot.incidents.presenter import Pending, Presenter, Ran, Running, Skipped
from bot.incidents.streaming import Streaming
from bot.incidents.views import ESCALATION_ID, HEADER, Progress, StepView
from bot.incidents.work import Work, started
from bot.runbooks.binding import Binding, step_applies
from bot.runbooks.catalogue import Catalogue
from bot.runbooks.schema import Step
from bot.store import Incident, SqliteStore, Store
from bot.store.aio import AsyncStore
from bot.store.snapshot import snapshot
from bot.timeline import render as render_timeline
from bot.timeline.build import timeline as build_timeline
from bot.timeline.postmortem import postmortem as build_postmortem

log = logging.getLogger(__name__)
T = TypeVar("T")


@dataclass(frozen=True)
class Actor:
    user: str
    request_id: str
    # The message whose button was clicked, when there was one: a step is
    # edited where the responder clicked, even if its reference is not stored yet.
    message: str | None = None


class IncidentService:
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

    # Opening

    async def open(
        self,
        *,
        channel: str,
        target: str,
        runbook: str,
        actor: Actor,
        thread_ts: str | None = None,
        alert: dict[str, Any] | None = None,
        unattended: bool = False,
    ) -> Incident:
        """Open an incident: shown with its header and first step, or, for an
        alert (`unattended`), only recorded: `triage` shows it as it runs."""
        binding = self.catalogue.bindings[runbook]
        if unattended:
            incident, _ = await self.open_outage(
                channel=channel, target=target, runbook=runbook, actor=actor,
                thread_ts=thread_ts, alert=alert,
            )  # fmt: skip
            return incident
        incident = await self.store.open_incident(
            channel=channel, runbook=runbook, target=target, variables=dict(binding.vars),
            opened_by=actor.user, thread_ts=thread_ts, alert=alert,
        )  # fmt: skip
        at = await self.presenter.header(
            incident, views.target_view(binding, target), await self.progress(incident), at=None
        )
        await self.store.set_thread(incident.id, thread_ts or at)
        await self.store.set_step_message(incident.id, HEADER, at)
        await self.audit(actor, "open", incident.id, {"target": target, "runbook": runbook})
        first = _following(binding, target, None)
        if first is not None:
            await self._post_step(await self.store.incident(incident.id), first)
        return await self.store.incident(incident.id)

    async def open_outage(
        self,
        *,
        channel: str,
        target: str,
        runbook: str,
        actor: Actor,
        thread_ts: str | None = None,
        alert: dict[str, Any] | None = None,
    ) -> tuple[Incident, bool]:
        """An alert's incident, recorded only (`triage` shows it): the open
        one for this outage if there is one, else a new one. The database
        decides between replicas given the same alert; True if this call
        opened it."""
        binding = self.catalogue.bindings[runbook]
        return await self.store.open_outage(
            channel=channel, runbook=runbook, target=target, variables=dict(binding.vars),
            opened_by=actor.user, thread_ts=thread_ts, alert=alert,
        )  # fmt: skip

    # Running: the one path from the engine to the store

    async def run_step(self, incident_id: int, step_id: str, actor: Actor) -> StepResult | None:
        """The step's result; None if it is running already (another click,
        on this replica or another)."""
        incident = await self.store.incident(incident_id)
        binding, step = self._step(incident, step_id)
        at = actor.message or await self._step_message(incident, step)
        view = views.step_view(binding, incident, step)
        # Recorded before it starts: a run cut short by a restart is shown as
        # such, with its Run button back, at start-up (bot.slack.recovery).
        # One run of a step at a time, whichever replica the click reached.
        work = await self.store.start_run(
            "step", incident.id, key=step.id, actor=actor.user, request_id=actor.request_id,
            params={"ts": at},
        )  # fmt: skip
        if work is None:
            log.info("step %s of incident %d is already running", step.id, incident.id)
            return None
        async with _finished_if_cut(self.store, work, "failed"):
            return await self._run_step(
                incident, binding, step, view, at=at, actor=actor, work=work
            )

    async def _run_step(
        self, incident: Incident, binding: Binding, step: Step, view: StepView, *,
        at: str, actor: Actor, work: int,
    ) -> StepResult:  # fmt: skip

        async def so_far(partial: dict[str, StepRecord]) -> None:
            await self.presenter.step(incident, view, Running(partial.get(step.id)), at=at)

        async def running() -> None:  # unless its first results come at once
            await self.presenter.step(incident, view, Running(), at=at)

        stream = Streaming({step.id: step.title}, so_far, running=running)
        engine = self.engine_for(binding, incident, also=stream.told)
        result = await self._streamed(
            stream, engine.run_step(step.id, incident.target, alert=incident.alert)
        )
        (record,) = await self._record(incident, [result], by=actor.user)
        await self.audit(actor, "run_step", incident.id, {"step": step.id}, outcome=result.status)
        await self.presenter.step(incident, view, Ran(record), at=at)
        await self.store.finish_work(work, result.status)
        await self.refresh_header(incident.id)
        await self._charts(incident, [record])  # after the findings, never before
        return result

    async def run_all(self, incident_id: int, actor: Actor) -> None:
        """Every step not run yet, at once; one summary in the thread."""
        incident = await self.store.incident(incident_id)
        binding = self.catalogue.bindings[incident.runbook]
        done = await self.store.latest_runs(incident.id)
        remaining = [
            s.id
            for s in binding.runbook.steps
            if s.id not in done and step_applies(s, incident.target)
        ]
        # Recorded, and one at a time: a replica killed halfway leaves it
        # unfinished, and a live one runs it again (bot.slack.recovery).
        work = await self.store.start_run(
            "run_all", incident.id, key="", actor=actor.user, request_id=actor.request_id
        )
        if work is None:
            log.info("run all of incident %d is already running", incident.id)
            return
        async with _finished_if_cut(self.store, work, "failed"):
            result, records = await self._run_all(
                incident, actor, "run_all", {"steps": remaining}, steps=remaining,
                header=incident.step_messages.get(HEADER),
            )  # fmt: skip
        await self.store.finish_work(work, result.status)
        await self.presenter.run_all_summary(incident, result, by=actor.user)
        await self.refresh_header(incident.id)
        await self._charts(incident, records)

    async def triage(self, incident: Incident) -> str | None:
        """Unattended (an alert's): show the header running, run every
        check, then show the findings. Recorded as work before it starts and
        finished after, so a triage cut short is run again: by the target's
        next alert, or at start-up (bot.slack.recovery). Returns its status;
        None if it is being run already (by this replica or another)."""
        work = await self.store.start_run(
            "triage", incident.id, key="", actor=incident.opened_by,
            request_id=f"auto-{incident.id}", params={"target": incident.target},
        )  # fmt: skip
        if work is None:
            log.info("incident %d is being triaged already", incident.id)
            return None
        # Finished as cut short: the next alert runs it again (an unfinished
        # run would read as still running).
        async with _finished_if_cut(self.store, work, "interrupted"):
            return await self._triage(incident, work)

    async def _triage(self, incident: Incident, work: int) -> str:
        binding = self.catalogue.bindings[incident.runbook]
        progress = replace(await self.progress(incident), running=True)
        header = incident.step_messages.get(HEADER)
        view = views.target_view(binding, incident.target)
        at = await self.presenter.header(incident, view, progress, at=header)
        if header is None:
            await self.store.set_step_message(incident.id, HEADER, at)
            if incident.thread_ts is None:
                await self.store.set_thread(incident.id, at)
        actor = Actor(incident.opened_by, f"auto-{incident.id}")
        result, records = await self._run_all(
            incident, actor, "auto_triage", {"target": incident.target}, unattended=True,
            header=at,
        )  # fmt: skip
        await self.refresh_header(incident.id)
        await self.store.finish_work(work, result.status)
        await self._charts(await self.store.incident(incident.id), records)
        return result.status

    async def _run_all(
        self, incident: Incident, actor: Actor, action: str, params: dict[str, Any], *,
        steps: list[str] | None = None, unattended: bool = False, header: str | None = None,
    ) -> tuple[RunResult, list[StepRecord]]:  # fmt: skip
        binding = self.catalogue.bindings[incident.runbook]
        chosen = [s for s in binding.runbook.steps if steps is None or s.id in steps]
        stream = Streaming({s.id: s.title for s in chosen}, self._header_so_far(incident, header))
        engine = self.engine_for(binding, incident, also=stream.told)
        result = await self._streamed(
            stream,
            engine.run_all(
                incident.target, alert=incident.alert, steps=steps, unattended=unattended
            ),
        )
        records = await self._record(incident, result.steps, by=actor.user)
        await self.audit(actor, action, incident.id, params, outcome=result.status)
        return result, records

    async def _streamed(self, stream: Streaming, run: Coroutine[Any, Any, T]) -> T:
        """The engine's run, started in one stretch of work (starting checks
        is CPU that must not hold up acks), its findings shown as they come."""
        running = await started(self.work, run)
        try:
            return await running
        finally:
            running.cancel()  # nothing when done; a run cut short stops its checks
            await stream.close()  # before the final findings are shown

    def _header_so_far(
        self, incident: Incident, at: str | None
    ) -> Callable[[dict[str, StepRecord]], Awaitable[None]]:
        """Shows the header with the findings known so far, while the rest
        run; only when what is failing changed (a passing check adds no line)."""
        shown: set[str] = set()

        async def show(partial: dict[str, StepRecord]) -> None:
            failing = {f"{s}/{c.id}" for s, r in partial.items() for c in r.failing}
            if at is None or failing <= shown:
                return
            shown.update(failing)
            binding = self.catalogue.bindings[incident.runbook]
            progress = await self.progress(incident)
            progress = replace(progress, runs={**progress.runs, **partial}, running=True)
            await self.presenter.header(
                incident, views.target_view(binding, incident.target), progress, at=at
            )

        return show

    async def _record(
        self, incident: Incident, results: list[StepResult], *, by: str
    ) -> list[StepRecord]:
        records = [StepRecord.of(r) for r in results]
        for record in records:
            await self.store.record_run(incident.id, record.id, by=by, result=record.to_json())
        return records

    async def _charts(self, incident: Incident, records: list[StepRecord]) -> None:
        """After the findings are shown, never before; never an error."""
        binding = self.catalogue.bindings[incident.runbook]
        for record in records:
            try:
                await self.presenter.charts(incident, record, binding)
            except Exception:  # a chart is a courtesy; the findings are already shown
                log.exception("could not show the charts of incident %d", incident.id)

    # The walk through the steps

    async def skip(self, incident_id: int, step_id: str, actor: Actor) -> None:
        incident = await self.store.incident(incident_id)
        binding, step = self._step(incident, step_id)
        at = actor.message or await self._step_message(incident, step)
        view = views.step_view(binding, incident, step)
        await self.presenter.step(incident, view, Skipped(actor.user), at=at)
        await self.audit(actor, "skip", incident.id, {"step": step.id})
        await self.next(incident_id, step_id, actor, audit=False)

    async def next(
        self, incident_id: int, step_id: str, actor: Actor, *, audit: bool = True
    ) -> None:
        """Post the step after `step_id` (or the one its conclusion named), or
        the escalation when none is left. A step already posted is not posted twice."""
        incident = await self.store.incident(incident_id)
        binding, _ = self._step(incident, step_id)
        run = (await self.store.latest_runs(incident.id)).get(step_id)
        suggested = StepRecord.from_json(run.result).next if run else None
        following = _following(binding, incident.target, step_id, suggested)
        if audit:
            await self.audit(actor, "next", incident.id, {"step": step_id})
        if following is None:
            await self.escalate(incident_id, actor, audit=False)
        elif following.id not in incident.step_messages:
            await self._post_step(incident, following)

    async def walk(self, incident_id: int, actor: Actor) -> None:
        """Post the first step (after an auto-triage, which posts none)."""
        incident = await self.store.incident(incident_id)
        binding = self.catalogue.bindings[incident.runbook]
        first = _following(binding, incident.target, None)
        if first is not None and first.id not in incident.step_messages:
            await self.audit(actor, "walk", incident.id, {})
            await self._post_step(incident, first)

    async def escalate(self, incident_id: int, actor: Actor, *, audit: bool = True) -> None:
        incident = await self.store.incident(incident_id)
        if ESCALATION_ID in incident.step_messages:
            return
        binding = self.catalogue.bindings[incident.runbook]
        runs = views.records(await self.store.latest_runs(incident.id))
        at = await self.presenter.escalation(
            incident, views.escalation_view(binding, incident, runs)
        )
        await self.store.set_step_message(incident.id, ESCALATION_ID, at)
        if audit:
            await self.audit(actor, "escalate", incident.id, {})

    async def answer(
        self, incident_id: int, step_id: str, question: int, index: int, actor: Actor, *,
        check: str | None = None, shown: bool = False,
    ) -> None:  # fmt: skip
        """Answer `index` of a step's question (or the escalation's, whose
        button carries ESCALATION_ID in place of a step id). `question` is its
        position among the questions as written (bot.incidents.answers), or,
        `shown`, for a button posted before that, among those its message
        showed. `check`, if given, must fit the question and answer: a button
        that names another is refused (StaleAnswer), never misapplied."""
        incident = await self.store.incident(incident_id)
        binding = self.catalogue.bindings[incident.runbook]
        questions = answers.written(binding, step_id)
        if shown:
            question = answers.position_of_shown(questions, question)
        asked = answers.chosen(questions, question, index, check)
        label = asked.answers[index].label
        say = answers.said(await self._manual(incident, step_id), asked, question, index)
        if say is None:  # not shown now (an `if:` changed since): filled from the findings
            runs = views.records(await self.store.latest_runs(incident.id))
            scope = binding.scope(
                incident.target, alert=incident.alert, checks=read_across(runs.values())
            )
            say = answer_say(asked, index, scope)
        params = {"step": step_id, "question": question, "answer": label}
        await self.audit(actor, "answer", incident.id, params)
        await self.presenter.answer(incident, by=actor.user, label=label, say=say)

    async def _manual(self, incident: Incident, step_id: str) -> list[ManualView]:
        """The manual items a step's message shows now, or the escalation's
        (what an answer says, as shown). After a run, a step shows its
        record's items, filled from its checks."""
        binding = self.catalogue.bindings[incident.runbook]
        runs = views.records(await self.store.latest_runs(incident.id))
        if step_id == ESCALATION_ID:
            return views.escalation_view(binding, incident, runs).manual
        _, step = self._step(incident, step_id)
        ran = runs.get(step.id)
        # While it runs (again), its message shows the items before a run.
        running = await self.store.last_unfinished("step", incident.id, step.id)
        if ran is None or running is not None:
            return views.step_view(binding, incident, step).manual
        return ran.manual

    # Files

    async def details(self, incident_id: int, step_id: str, actor: Actor) -> None:
        """The step's last results in full, as a file in the thread."""
        incident = await self.store.incident(incident_id)
        run = (await self.store.latest_runs(incident.id)).get(step_id)
        if run is None:
            raise LookupError(f"step {step_id} has not run yet")
        record = StepRecord.from_json(run.result)
        await self.presenter.file(
            incident, filename=f"incident-{incident.id}-{step_id}.json",
            content=json.dumps(record.to_json(), indent=2, default=str),
            title=f"{step_id}: details",
        )  # fmt: skip
        await self.audit(actor, "details", incident.id, {"step": step_id})

    async def timeline(self, incident_id: int, actor: Actor) -> None:
        """The incident's story so far (bot.timeline), as a file in the thread."""
        told = build_timeline(await snapshot(self.store, incident_id), incident_id)
        incident = await self.store.incident(incident_id)
        await self.presenter.file(
            incident, filename=f"incident-{incident.id}-timeline.md",
            content=render_timeline.markdown(told), title=f"Incident {incident.id}: timeline",
        )  # fmt: skip
        await self.audit(actor, "timeline", incident.id, {})

    # State

    async def toggle_dry_run(self, incident_id: int, actor: Actor) -> None:
        incident = await self.store.incident(incident_id)
        incident = await self.store.set_dry_run(incident.id, not incident.dry_run)
        await self.audit(actor, "dry_run", incident.id, {"on": incident.dry_run})
        await self.refresh_header(incident.id)

    async def resolve(self, incident_id: int, actor: Actor) -> None:
        incident = await self.store.incident(incident_id)
        if incident.status == "resolved":
            return
        await self.store.resolve(incident.id, by=actor.user)
        await self.audit(actor, "resolve", incident.id, {})
        await self.presenter.resolved(incident, by=actor.user)
        await self.refresh_header(incident.id)
        await self.after_resolve(incident.id)

    async def after_resolve(self, incident_id: int) -> None:
        """Once resolved (by a click or by its alerts): the metrics, then the
        postmortem draft. Neither can undo or delay the resolve."""
        incident = await self.store.incident(incident_id)
        if self.on_resolved is not None and incident.resolved_at is not None:
            took = incident.resolved_at - incident.opened_at
            self.on_resolved(incident.runbook, incident.target, took)
        await self.post_postmortem(incident_id)

    async def post_postmortem(self, incident_id: int) -> None:
        """The postmortem draft as a file in the thread, once, after the
        resolve: a failure here is logged and never undoes or delays it."""
        try:
            if not await self.store.once(f"postmortem:{incident_id}"):
                return
            incident = await self.store.incident(incident_id)
            binding = self.catalogue.bindings[incident.runbook]
            draft = build_postmortem(await snapshot(self.store, incident.id), binding, incident.id)
            await self.presenter.file(
                incident, filename=f"incident-{incident.id}-postmortem.md", content=draft,
                title=f"Incident {incident.id}: postmortem draft",
            )  # fmt: skip
        except Exception:
            log.exception("could not post incident %d's postmortem draft", incident_id)

    async def refresh_header(self, incident_id: int) -> None:
        incident = await self.store.incident(incident_id)
        binding = self.catalogue.bindings[incident.runbook]
        view = views.target_view(binding, incident.target)
        progress = await self.progress(incident)
        await self.presenter.header(incident, view, progress, at=incident.step_messages[HEADER])

    # Views and helpers

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
        return Engine(binding, settings=self.settings, on_check=on_check, execute=execute)

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


def _following(
    binding: Binding, target: str, after: str | None, suggested: str | None = None
) -> Step | None:
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


@contextlib.asynccontextmanager
async def _finished_if_cut(store: Store, work: int, outcome: str) -> AsyncIterator[None]:
    """A run that raises is finished as `outcome`, not left "running": the
    next click (or alert) may run it again. The error still propagates."""
    try:
        yield
    except Exception:
        with contextlib.suppress(Exception):
            await store.finish_work(work, outcome)
        raise
