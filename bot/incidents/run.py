"""The run path: the one way from the engine to the store, for a click's
run of a step, Run all, and an alert's unattended triage. Each run is
recorded as work before it starts and finished after, its findings shown as
they arrive (bot.incidents.streaming), then its charts."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine
from dataclasses import replace
from typing import Any, TypeVar

from bot.engine.records import StepRecord
from bot.engine.results import RunResult, StepResult
from bot.incidents import views
from bot.incidents.base import Actor, ServiceBase
from bot.incidents.presenter import Ran, Running
from bot.incidents.streaming import Streaming
from bot.incidents.views import HEADER, StepView
from bot.incidents.work import started
from bot.runbooks.binding import Binding, step_applies
from bot.runbooks.schema import Step
from bot.store import Incident, Store

log = logging.getLogger(__name__)
T = TypeVar("T")


class RunPath(ServiceBase):
    """Running steps: run_step, run_all, triage (IncidentService's part)."""

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
