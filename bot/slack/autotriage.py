"""Alerts in, triage out: one incident per outage, in the alert's own thread.

A firing alert that matches a runbook target opens an incident bound to the
alert message's thread, runs every read-only check at once and keeps the
findings in that thread's header. While it is open, the same target's later
alerts (repeats, the other monitoring system, a second replica) join it
with, at most every `repeat_note_interval`, a short line. Nothing that
changes infrastructure ever runs from here.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import Counter, deque
from collections.abc import Callable
from dataclasses import replace

from bot.alerts.match import match
from bot.alerts.model import Alert
from bot.runbooks.site import AlertsConfig
from bot.slack import mrkdwn, render
from bot.slack.mrkdwn import escape
from bot.slack.walkthrough import Actor, Walkthrough
from bot.store import Incident
from bot.store.aio import AsyncStore

log = logging.getLogger(__name__)


class AutoTriage:
    def __init__(
        self,
        walkthrough: Walkthrough,
        config: AlertsConfig,
        *,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.walkthrough = walkthrough
        self.config = config
        self.counts: Counter[str] = Counter()  # what happened to alerts, for /metrics and logs
        self._clock = clock
        self._locks: dict[tuple[str, str], asyncio.Lock] = {}
        self._opened: dict[str, deque[tuple[float, str]]] = {}
        self._storm_noted: dict[str, float] = {}
        self._running: set[int] = set()  # incidents being triaged now

    def watches(self, channel: str) -> bool:
        return channel in self.config.channels

    async def on_alerts(self, alerts: list[Alert], *, channel: str, message_ts: str) -> None:
        for alert in alerts:
            await self.on_alert(alert, channel=channel, message_ts=message_ts)

    async def on_alert(
        self, alert: Alert, *, channel: str, message_ts: str, announce: bool = True
    ) -> None:
        """`announce=False`: the alert came in a grouped post, which already
        lists it; a joining alert is counted, not noted again in the thread."""
        if alert.status == "resolved":
            await self._resolved(alert)
            return
        matched = match(alert, self.walkthrough.catalogue.bindings)
        if matched is None:
            self.counts["unmatched"] += 1
            log.info("no runbook for alert %s %s", alert.name, alert.labels)
            if self.config.note_unmatched:
                await self._say(channel, message_ts, f"No runbook covers *{escape(alert.name)}*.")
            return
        runbook, target = matched
        async with self._locks.setdefault(matched, asyncio.Lock()):
            incident = await self.walkthrough.store.open_incident_for(runbook, target)
            opened = incident is None or await self._stalled(incident)
            if incident is None:
                incident = await self._open(alert, runbook, target, channel, message_ts)
            elif opened:
                log.warning("incident %d's triage never finished; this alert runs it", incident.id)
            if opened:
                self._running.add(incident.id)  # under the lock: one triage at a time
            binding = await self.walkthrough.store.bind_alert(
                incident.id, fingerprint=alert.fingerprint, source=alert.source, name=alert.name
            )
            await _note(self.walkthrough.store, incident.id, alert, binding.times)
            # Decided under the lock, so a burst of repeats makes one line.
            announce = announce and not opened and self._due(binding.noted_at)
            if announce:
                await self.walkthrough.store.note_alert(incident.id, alert.fingerprint)
        if opened:
            self.counts["triaged"] += 1
            await self._storm_check(channel, target)
            await self._triage(incident)
        elif announce:
            self.counts["joined"] += 1
            await self._again(incident, alert, channel, message_ts, binding.times)
        else:
            self.counts["repeat"] += 1

    async def _stalled(self, incident: Incident) -> bool:
        """Its header was never posted, or its triage stopped halfway (a
        Slack error past the retries) and is not running now: the target's
        next alert triages it, rather than only noting "fired again"."""
        if incident.id in self._running:
            return False
        if "header" not in incident.step_messages:
            return True
        return await self.walkthrough.store.last_unfinished("triage", incident.id, "") is not None

    def _due(self, noted_at: float | None) -> bool:
        return noted_at is None or self._clock() - noted_at >= self.config.repeat_note_interval

    async def _open(
        self, alert: Alert, runbook: str, target: str, channel: str, ts: str
    ) -> Incident:
        binding = self.walkthrough.catalogue.bindings[runbook]
        return await self.walkthrough.store.open_incident(
            channel=channel, runbook=runbook, target=target, variables=dict(binding.vars),
            opened_by=f"alert:{alert.source}", thread_ts=ts, alert=_alert_scope(alert),
        )  # fmt: skip

    async def _triage(self, incident: Incident) -> None:
        """Post the header (or, repairing, set it back to running), run every
        check, then edit in the findings. Recorded as work before it starts
        and finished after, so a triage cut short is run again: by the
        target's next alert, or at start-up (bot.slack.recovery)."""
        store = self.walkthrough.store
        self._running.add(incident.id)
        try:
            work = await store.start_work(
                "triage", incident.id, actor=incident.opened_by,
                request_id=f"auto-{incident.id}", params={"target": incident.target},
            )  # fmt: skip
            status = await self._run_triage(incident)
            await store.finish_work(work, status)
        finally:
            self._running.discard(incident.id)

    async def _run_triage(self, incident: Incident) -> str:
        walkthrough = self.walkthrough
        binding = walkthrough.catalogue.bindings[incident.runbook]
        view = walkthrough.target_view(binding, incident.target)
        progress = await walkthrough.progress(incident)
        text, running = (
            render.header_text(view),
            render.header_blocks(view, replace(progress, running=True)),
        )
        header = incident.step_messages.get("header")
        if header is None:
            header = await walkthrough.poster.post(
                incident.channel, text=text, blocks=running, thread_ts=incident.thread_ts
            )
            await walkthrough.store.set_step_message(incident.id, "header", header)
            if incident.thread_ts is None:
                await walkthrough.store.set_thread(incident.id, header)
        else:
            await walkthrough.poster.update(incident.channel, header, text=text, blocks=running)
        result = await walkthrough.engine_for(binding, incident).run_all(
            incident.target, alert=incident.alert, unattended=True
        )
        for step in result.steps:
            await walkthrough.store.record_run(
                incident.id, step.id, by=incident.opened_by, result=step.to_json()
            )
        actor = Actor(incident.opened_by, f"auto-{incident.id}")
        await walkthrough.audit(
            actor, "auto_triage", incident.id, {"target": incident.target}, outcome=result.status
        )
        await walkthrough.refresh_header(incident.id)
        return result.status

    async def retriage(self, incident_id: int) -> None:
        """Run an unfinished triage again (start-up repair)."""
        incident = await self.walkthrough.store.incident(incident_id)
        if incident.status == "open" and incident.id not in self._running:
            await self._triage(incident)

    async def _again(
        self, incident: Incident, alert: Alert, channel: str, message_ts: str, times: int
    ) -> None:
        link = await self._permalink(channel, message_ts)
        where = mrkdwn.link(link, alert.source) if link else alert.source
        text = f"🔁 {escape(alert.name)} fired again ({where}); {times} time(s) for this incident."
        await self._say(incident.channel, incident.thread_ts, text)

    async def _resolved(self, alert: Alert) -> None:
        store = self.walkthrough.store
        for binding in await store.resolve_alert(alert.fingerprint):
            incident = await store.incident(binding.incident_id)
            await _note(store, incident.id, alert, 0)
            took = _duration((binding.resolved_at or self._clock()) - binding.fired_at)
            await self._say(
                incident.channel,
                incident.thread_ts,
                f"✅ {escape(alert.name)} resolved after {took}.",
            )
            closed = all(a.status == "resolved" for a in await store.alerts_of(incident.id))
            if closed:
                await store.resolve(incident.id, by=f"alert:{alert.source}")
            self.counts["resolved"] += 1
            await self.walkthrough.refresh_header(incident.id)
            if closed:  # after the thread shows the resolve (bot.timeline.postmortem)
                await self.walkthrough.after_resolve(incident.id)

    async def _storm_check(self, channel: str, target: str) -> None:
        now = self._clock()
        window = self._opened.setdefault(channel, deque())
        window.append((now, target))
        while window and now - window[0][0] > self.config.storm_window:
            window.popleft()
        targets = sorted({t for _, t in window})
        noted = self._storm_noted.get(channel)
        if len(targets) > self.config.storm_targets and (
            noted is None or now - noted > self.config.storm_window
        ):
            self._storm_noted[channel] = now
            self.counts["storms"] += 1
            text = (
                f"🌩️ Alert storm: {len(targets)} targets firing within "
                f"{self.config.storm_window:g} s ({', '.join(targets)}). Each gets one triage in "
                "its alert's thread; look for a shared cause (a host, the NAT, DNS) first."
            )
            await self._say(channel, None, text)

    async def _say(self, channel: str, thread_ts: str | None, text: str) -> None:
        blocks = [{"type": "section", "text": {"type": "mrkdwn", "text": text}}]
        await self.walkthrough.poster.post(channel, text=text, blocks=blocks, thread_ts=thread_ts)

    async def _permalink(self, channel: str, ts: str) -> str | None:
        try:
            response = await self.walkthrough.poster.client.chat_getPermalink(
                channel=channel, message_ts=ts
            )
        except Exception:  # a link is a courtesy; never lose the note over it
            log.warning("no permalink for %s/%s", channel, ts, exc_info=True)
            return None
        return str(response.get("permalink") or "") or None


async def _note(store: AsyncStore, incident_id: int, alert: Alert, times: int) -> None:
    """The alert's source time for the incident's timeline (bot.timeline):
    the alerts table keeps only receive times and a count."""
    kind = "alert_resolved" if not times else "alert_fired" if times == 1 else "alert_repeated"
    when = alert.ends_at if kind == "alert_resolved" else alert.starts_at
    source_at = when.timestamp() if when is not None else None
    params = {"fingerprint": alert.fingerprint}
    await store.note_event(incident_id, kind, source_at=source_at, params=params)


def _alert_scope(alert: Alert) -> dict[str, object]:
    """What runbook templates see as `alert`."""
    return {
        "source": alert.source,
        "name": alert.name,
        "labels": dict(alert.labels),
        "summary": alert.summary,
        "runbook_url": alert.runbook_url,
    }


def _duration(seconds: float) -> str:
    seconds = max(0, int(seconds))
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours}h {minutes}m"
    return f"{minutes}m {secs}s" if minutes else f"{secs}s"
