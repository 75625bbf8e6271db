"""The incident service: the one place an incident is opened and its steps
run, for every front end (Slack buttons, /triage, mentions, alerts).

It decides and records: the store, the audit log, work claims (a run is
recorded as work before it starts, so one cut short by a restart is
repaired at start-up, bot.slack.recovery). What to show goes to a
Presenter; where the presenter put a message comes back as an opaque
reference that is kept in the store, so a click after a restart finds it.

One class, in parts by concern: what they share (bot.incidents.base), the
run path (bot.incidents.run), the walk, the escalation message and answers
(bot.incidents.walk), files (bot.incidents.files); opening and the
incident's state are here.
"""

from __future__ import annotations

from typing import Any

from bot.incidents import views
from bot.incidents.base import Actor, step_after
from bot.incidents.files import Files
from bot.incidents.run import RunPath
from bot.incidents.views import HEADER
from bot.incidents.walk import Walk
from bot.store import Incident

__all__ = ["Actor", "IncidentService"]


class IncidentService(RunPath, Walk, Files):
    """Opening and the incident's state, here; running, the walk and files
    from its parts (each in its own module, above)."""

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
        first = step_after(binding, target, None)
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

    # The incident's state

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
