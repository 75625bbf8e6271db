"""The walk through the steps: skip, next, the first step, the escalation
message, and the answers to manual questions (bot.incidents.answers says
which question a button names)."""

from __future__ import annotations

from bot.engine.conclude import answer_say
from bot.engine.records import StepRecord, read_across
from bot.engine.results import ManualView
from bot.incidents import answers, views
from bot.incidents.base import Actor, ServiceBase, step_after
from bot.incidents.presenter import Skipped
from bot.incidents.views import ESCALATION_ID
from bot.store import Incident


class Walk(ServiceBase):
    """skip, next, walk, escalate, answer (IncidentService's part)."""

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
        following = step_after(binding, incident.target, step_id, suggested)
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
        first = step_after(binding, incident.target, None)
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
