"""Asking Alertmanager whether open incidents' alerts still fire.

A Slack-only setup may never hear a resolution (Alertmanager's Slack
receiver defaults to `send_resolved: false`), and a silenced or inhibited
alert stops being notified at all. With `alertmanager:` in the site config,
one background task asks Alertmanager's v2 API about every alert still
firing for an open incident, every `alertmanager.poll_interval` seconds:
gone means resolved (the incident closes with its time), muted is said once
in the thread. The task runs while there is something to ask about; the
next incident starts it again. Without `alertmanager:` nothing runs.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Mapping
from typing import TYPE_CHECKING, Protocol

from bot.alerts.amapi import AlertmanagerAPI, AlertmanagerError, State
from bot.alerts.model import Alert
from bot.slack.mrkdwn import escape
from bot.store.models import AlertBinding

if TYPE_CHECKING:
    from bot.incidents.service import IncidentService


class Triage(Protocol):
    """What polling needs of auto-triage (which starts it: a Protocol here
    rather than an import keeps the two modules out of a cycle)."""

    incidents: IncidentService

    async def matchers_for(self, binding: AlertBinding) -> Mapping[str, str]: ...

    async def resolved(self, alert: Alert, *, by: str | None = None) -> None: ...

    async def say(self, channel: str, thread_ts: str | None, text: str) -> None: ...


log = logging.getLogger(__name__)
MUTED_NOTE = {
    "silenced": "is silenced in Alertmanager",
    "inhibited": "is inhibited in Alertmanager (another alert mutes it)",
}


class Resolutions:
    def __init__(self, autotriage: Triage) -> None:
        self._autotriage = autotriage
        self._task: asyncio.Task[None] | None = None
        self._muted: set[tuple[int, str]] = set()  # said once per incident and alert
        config = autotriage.incidents.catalogue.site.alertmanager
        self.interval = config.poll_interval if config else 0.0
        self.api = (
            AlertmanagerAPI(str(config.url), timeout=config.timeout) if config is not None else None
        )

    def start(self) -> None:
        """Start asking, unless no Alertmanager is configured or it already runs."""
        if self.api is None or (self._task is not None and not self._task.done()):
            return
        self._task = asyncio.create_task(self._run(), name="alert-resolutions")

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self.interval)  # the poll's pace, not a wait on a condition
            try:
                store = self._autotriage.incidents.store
                # Replicas sharing a store: one asks, the lease's holder.
                if store.shared and not await store.lease("resolutions", ttl=self.interval * 3):
                    continue
                if not await self.once():
                    return  # nothing open; the next incident starts it again
            except Exception:  # one bad round must not end the watching
                log.exception("asking Alertmanager about open incidents failed")

    async def once(self) -> bool:
        """One round; whether anything was still firing to ask about."""
        assert self.api is not None
        store = self._autotriage.incidents.store
        firing = [b for b in await store.firing_alerts() if b.source == "alertmanager"]
        for binding in firing:
            matchers = await self._autotriage.matchers_for(binding)
            if not matchers:
                continue  # not an alert Alertmanager can be asked about by label
            try:
                state = await self.api.still_firing(_alert(binding), matchers=matchers)
            except AlertmanagerError as exc:
                log.warning("could not ask about %s: %s", binding.name, exc)
                continue
            await self._act(binding, state)
        return bool(firing)

    async def _act(self, binding: AlertBinding, state: State) -> None:
        key = (binding.incident_id, binding.fingerprint)
        if state == "resolved":
            self._muted.discard(key)
            resolved = Alert(
                source="alertmanager", status="resolved", name=binding.name,
                fingerprint=binding.fingerprint,
            )  # fmt: skip
            await self._autotriage.resolved(resolved, by="Alertmanager no longer holds it")
        elif state in MUTED_NOTE and key not in self._muted:
            self._muted.add(key)
            incident = await self._autotriage.incidents.store.incident(binding.incident_id)
            text = (
                f"🔕 {escape(binding.name)} {MUTED_NOTE[state]}; the incident stays open until"
                " it resolves or someone resolves it."
            )
            await self._autotriage.say(incident.channel, incident.thread_ts, text)
        elif state == "firing":
            self._muted.discard(key)


def _alert(binding: AlertBinding) -> Alert:
    return Alert(source="alertmanager", status="firing", name=binding.name,
                 fingerprint=binding.fingerprint)  # fmt: skip
