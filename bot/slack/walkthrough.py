"""The incident walkthrough: open, run a step, skip, next, run all, resolve.

Slack-shaped but free of Bolt: listeners acknowledge, then call in here. All
state lives in the store, so a click on a message posted before a restart
works the same as one posted a second ago.
"""

from __future__ import annotations

import contextlib
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from bot.engine.conclude import render_manual
from bot.engine.dryrun import dry_run
from bot.engine.results import CheckRun, ManualView, StepResult
from bot.engine.runner import Engine, OnCheck, Settings
from bot.runbooks.binding import Binding, step_applies
from bot.runbooks.catalogue import Catalogue
from bot.runbooks.schema import Step
from bot.slack import render, viewbuild
from bot.slack.charts import post_charts
from bot.slack.poster import Poster
from bot.slack.viewmodels import Progress, StepView, TargetView
from bot.store import Incident, SqliteStore, Store
from bot.store.aio import AsyncStore
from bot.store.snapshot import snapshot
from bot.timeline import render as render_timeline
from bot.timeline.build import timeline as build_timeline
from bot.timeline.postmortem import postmortem as build_postmortem

log = logging.getLogger(__name__)

ESCALATION = render.ESCALATION_ID


@dataclass(frozen=True)
class Actor:
    user: str
    request_id: str
    # The message whose button was clicked, when there was one: a step is
    # edited where the responder clicked, even if its ts is not stored yet.
    message_ts: str | None = None


class Walkthrough:
    def __init__(
        self,
        catalogue: Catalogue,
        store: SqliteStore | Store,
        poster: Poster,
        settings: Settings,
    ) -> None:
        self.catalogue = catalogue
        # Off the event loop: a locked store file must not stall acks.
        self.store: Store = AsyncStore(store) if isinstance(store, SqliteStore) else store
        self.poster = poster
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
    ) -> Incident:
        """Post the header (or, given `thread_ts`, use that thread) and step 1."""
        binding = self.catalogue.bindings[runbook]
        incident = await self.store.open_incident(
            channel=channel, runbook=runbook, target=target, variables=dict(binding.vars),
            opened_by=actor.user, thread_ts=thread_ts, alert=alert,
        )  # fmt: skip
        view = self.target_view(binding, target)
        blocks = render.header_blocks(view, await self.progress(incident))
        ts = await self.poster.post(
            channel, text=render.header_text(view), blocks=blocks, thread_ts=thread_ts
        )
        await self.store.set_thread(incident.id, thread_ts or ts)
        await self.store.set_step_message(incident.id, "header", ts)
        await self.audit(actor, "open", incident.id, {"target": target, "runbook": runbook})
        first = self._following(binding, target, None)
        if first is not None:
            await self._post_step(await self.store.incident(incident.id), first)
        return await self.store.incident(incident.id)

    # Buttons

    async def run_step(self, incident_id: int, step_id: str, actor: Actor) -> StepResult | None:
        """The step's result; None if it is running already (another click)."""
        incident = await self.store.incident(incident_id)
        binding, step = self._step(incident, step_id)
        ts = actor.message_ts or await self._step_message(incident, step)
        view = self._step_view(binding, incident, step)
        # Recorded before it starts: a run cut short by a restart is shown as
        # such, with its Run button back, at start-up (bot.slack.recovery).
        # One run of a step at a time, whichever replica the click reached.
        work = await self.store.start_run(
            "step", incident.id, key=step.id, actor=actor.user, request_id=actor.request_id,
            params={"ts": ts},
        )  # fmt: skip
        if work is None:
            log.info("step %s of incident %d is already running", step.id, incident.id)
            return None
        try:
            return await self._run_step(
                incident, binding, step, view=view, ts=ts, actor=actor, work=work
            )
        except Exception:
            # Not left "running": the next click may run it again.
            with contextlib.suppress(Exception):
                await self.store.finish_work(work, "failed")
            raise

    async def _run_step(
        self,
        incident: Incident,
        binding: Binding,
        step: Step,
        *,
        view: StepView,
        ts: str,
        actor: Actor,
        work: int,
    ) -> StepResult:
        try:
            await self.poster.update(
                incident.channel,
                ts,
                text=render.step_text(step.title),
                blocks=render.step_blocks(view, incident.id, running=True),
            )
        except Exception:  # "running" is a courtesy; the run itself must happen
            log.warning("could not mark step %s running; running it anyway", step.id, exc_info=True)
        result = await self.engine_for(binding, incident).run_step(
            step.id, incident.target, alert=incident.alert
        )
        await self.store.record_run(incident.id, step.id, by=actor.user, result=result.to_json())
        await self.audit(actor, "run_step", incident.id, {"step": step.id}, outcome=result.status)
        blocks = render.step_blocks(view, incident.id, result=result)
        text = render.step_text(step.title, result)
        await self.poster.update(incident.channel, ts, text=text, blocks=blocks)
        await self.store.finish_work(work, result.status)
        await self.refresh_header(incident.id)
        await self.charts(incident, result.to_json())  # after the findings, never before
        return result

    async def charts(self, incident: Incident, result: dict[str, Any]) -> None:
        try:
            binding = self.catalogue.bindings[incident.runbook]
            await post_charts(
                self.store, self.poster, self.settings.vantage, incident, result, binding=binding
            )
        except Exception:  # a chart is a courtesy; the findings are already posted
            log.exception("could not post the charts of incident %d", incident.id)

    async def skip(self, incident_id: int, step_id: str, actor: Actor) -> None:
        incident = await self.store.incident(incident_id)
        binding, step = self._step(incident, step_id)
        ts = actor.message_ts or await self._step_message(incident, step)
        view = self._step_view(binding, incident, step)
        blocks = render.step_blocks(view, incident.id, skipped_by=actor.user)
        text = render.step_text(step.title, skipped=True)
        await self.poster.update(incident.channel, ts, text=text, blocks=blocks)
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
        suggested = run.result.get("next") if run else None
        following = self._following(binding, incident.target, step_id, suggested)
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
        first = self._following(binding, incident.target, None)
        if first is not None and first.id not in incident.step_messages:
            await self.audit(actor, "walk", incident.id, {})
            await self._post_step(incident, first)

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
        try:
            result = await self.engine_for(binding, incident).run_all(
                incident.target, alert=incident.alert, steps=remaining
            )
            for step_result in result.steps:
                await self.store.record_run(
                    incident.id, step_result.id, by=actor.user, result=step_result.to_json()
                )
        except Exception:
            with contextlib.suppress(Exception):  # not left "running" for the next click
                await self.store.finish_work(work, "failed")
            raise
        await self.store.finish_work(work, result.status)
        await self.audit(actor, "run_all", incident.id, {"steps": remaining}, outcome=result.status)
        blocks = render.run_all_blocks(result, by=actor.user)
        await self.poster.post(
            incident.channel,
            text=render.run_all_text(result),
            blocks=blocks,
            thread_ts=incident.thread_ts,
        )
        await self.refresh_header(incident.id)

    async def escalate(self, incident_id: int, actor: Actor, *, audit: bool = True) -> None:
        incident = await self.store.incident(incident_id)
        if ESCALATION in incident.step_messages:
            return
        binding = self.catalogue.bindings[incident.runbook]
        escalation = binding.runbook.escalation
        scope = binding.scope(incident.target, alert=incident.alert)
        manual = render_manual(escalation.manual, scope) if escalation else []
        actions = [
            (a.id, a.title)
            for a in (escalation.actions if escalation else [])
            if a.targets is None or incident.target in a.targets
        ]
        blocks = render.escalation_blocks(
            escalation.why if escalation else "", manual, actions, incident.id
        )
        ts = await self.poster.post(
            incident.channel, text="Escalation", blocks=blocks, thread_ts=incident.thread_ts
        )
        await self.store.set_step_message(incident.id, ESCALATION, ts)
        if audit:
            await self.audit(actor, "escalate", incident.id, {})

    async def answer(
        self, incident_id: int, step_id: str, question: int, index: int, actor: Actor
    ) -> None:
        """Answer `index` of question `question` of a step (or of the
        escalation, whose button carries ESCALATION in place of a step id)."""
        incident = await self.store.incident(incident_id)
        questions = [m for m in self._manual(incident, step_id) if m.ask]
        if question >= len(questions) or index >= len(questions[question].answers):
            raise LookupError(f"{step_id} has no answer {index} to question {question}")
        label, say = questions[question].answers[index]
        params = {"step": step_id, "question": question, "answer": label}
        await self.audit(actor, "answer", incident.id, params)
        blocks = render.answer_blocks(actor.user, label, say)
        await self.poster.post(
            incident.channel,
            text=render.answer_text(label, say),
            blocks=blocks,
            thread_ts=incident.thread_ts,
        )

    def _manual(self, incident: Incident, step_id: str) -> list[ManualView]:
        """The manual items shown in a step's message, or the escalation's."""
        binding = self.catalogue.bindings[incident.runbook]
        if step_id == ESCALATION:
            escalation = binding.runbook.escalation
            scope = binding.scope(incident.target, alert=incident.alert)
            return render_manual(escalation.manual, scope) if escalation else []
        _, step = self._step(incident, step_id)
        return self._step_view(binding, incident, step).manual

    async def details(self, incident_id: int, step_id: str, actor: Actor) -> None:
        """The step's last results in full, as a file in the thread."""
        incident = await self.store.incident(incident_id)
        run = (await self.store.latest_runs(incident.id)).get(step_id)
        if run is None:
            raise LookupError(f"step {step_id} has not run yet")
        content = json.dumps(run.result, indent=2, default=str)
        await self.poster.upload(
            incident.channel, incident.thread_ts,
            filename=f"incident-{incident.id}-{step_id}.json", content=content,
            title=f"{step_id}: details",
        )  # fmt: skip
        await self.audit(actor, "details", incident.id, {"step": step_id})

    async def timeline(self, incident_id: int, actor: Actor) -> None:
        """The incident's story so far (bot.timeline), as a file in the thread."""
        told = build_timeline(await snapshot(self.store, incident_id), incident_id)
        incident = await self.store.incident(incident_id)
        await self.poster.upload(
            incident.channel, incident.thread_ts,
            filename=f"incident-{incident.id}-timeline.md", content=render_timeline.markdown(told),
            title=f"Incident {incident.id}: timeline",
        )  # fmt: skip
        await self.audit(actor, "timeline", incident.id, {})

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
        await self.poster.post(
            incident.channel,
            text="Resolved",
            blocks=render.resolved_blocks(actor.user),
            thread_ts=incident.thread_ts,
        )
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
            await self.poster.upload(
                incident.channel, incident.thread_ts,
                filename=f"incident-{incident.id}-postmortem.md", content=draft,
                title=f"Incident {incident.id}: postmortem draft",
            )  # fmt: skip
        except Exception:
            log.exception("could not post incident %d's postmortem draft", incident_id)

    async def refresh_header(self, incident_id: int) -> None:
        incident = await self.store.incident(incident_id)
        binding = self.catalogue.bindings[incident.runbook]
        view = self.target_view(binding, incident.target)
        blocks = render.header_blocks(view, await self.progress(incident))
        await self.poster.update(
            incident.channel,
            incident.step_messages["header"],
            text=render.header_text(view),
            blocks=blocks,
        )

    # Helpers

    def engine_for(self, binding: Binding, incident: Incident | None = None) -> Engine:
        """An engine for this incident: in dry-run mode it only describes calls."""
        execute = dry_run if incident is not None and incident.dry_run else None
        on_check = self.on_check
        if incident is not None and self.on_target_check is not None:
            on_check = _also(on_check, self.on_target_check, incident.runbook, incident.target)
        return Engine(binding, settings=self.settings, on_check=on_check, execute=execute)

    def _step(self, incident: Incident, step_id: str) -> tuple[Binding, Step]:
        binding = self.catalogue.bindings[incident.runbook]
        return binding, binding.runbook.step(step_id)

    async def _step_message(self, incident: Incident, step: Step) -> str:
        if step.id not in incident.step_messages:
            return await self._post_step(incident, step)
        return incident.step_messages[step.id]

    async def _post_step(self, incident: Incident, step: Step) -> str:
        binding = self.catalogue.bindings[incident.runbook]
        view = self._step_view(binding, incident, step)
        blocks = render.step_blocks(view, incident.id)
        ts = await self.poster.post(
            incident.channel,
            text=render.step_text(step.title),
            blocks=blocks,
            thread_ts=incident.thread_ts,
        )
        await self.store.set_step_message(incident.id, step.id, ts)
        return ts

    def _following(
        self, binding: Binding, target: str, after: str | None, suggested: str | None = None
    ) -> Step | None:
        steps = binding.runbook.steps
        if suggested:
            return binding.runbook.step(suggested)
        start = 0 if after is None else [s.id for s in steps].index(after) + 1
        return next((s for s in steps[start:] if step_applies(s, target)), None)

    def target_view(self, binding: Binding, target: str) -> TargetView:
        return viewbuild.target_view(binding, target)

    async def progress(self, incident: Incident) -> Progress:
        binding = self.catalogue.bindings[incident.runbook]
        runs = await self.store.latest_runs(incident.id)
        alerts = await self.store.alerts_of(incident.id)
        return viewbuild.progress(binding, incident, runs, alerts)

    def _step_view(self, binding: Binding, incident: Incident, step: Step) -> StepView:
        return viewbuild.step_view(binding, incident, step)

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


def _also(
    first: OnCheck | None, then: Callable[[str, str, CheckRun], None], runbook: str, target: str
) -> OnCheck:
    def told(step_id: str, run: CheckRun) -> None:
        if first is not None:
            first(step_id, run)
        then(runbook, target, run)

    return told
