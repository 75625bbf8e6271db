"""Files in the incident's thread: a step's details, the timeline, and the
postmortem draft after a resolve (which a failure here never undoes)."""

from __future__ import annotations

import json
import logging

from bot.engine.records import StepRecord
from bot.incidents.base import Actor, ServiceBase
from bot.store.snapshot import snapshot
from bot.timeline import render as render_timeline
from bot.timeline.build import timeline as build_timeline
from bot.timeline.postmortem import postmortem as build_postmortem

log = logging.getLogger(__name__)


class Files(ServiceBase):
    """details, timeline, the postmortem draft (IncidentService's part)."""

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
