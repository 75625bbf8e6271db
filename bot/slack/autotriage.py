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
from collections.abc import Callable, Mapping
from dataclasses import replace
from datetime import UTC, datetime
from typing import Literal

from bot.alerts.identity import identity
from bot.alerts.match import Match, match
from bot.alerts.model import Alert
from bot.alerts.times import lasted
from bot.incidents.service import Actor, IncidentService
from bot.runbooks.site import AlertsConfig
from bot.slack import mrkdwn
from bot.slack.mrkdwn import escape
from bot.slack.poster import Poster
from bot.slack.resolutions import Resolutions
from bot.store import Incident
from bot.store.models import AlertBinding
from bot.store.protocol import Store

Path = Literal["webhook", "slack"]

log = logging.getLogger(__name__)
# On a shared store, an incident whose header is this late is not being
# posted by the replica that opened it (dead, or its Slack call failed).
STALL_GRACE_S = 30.0


class AutoTriage:
    def __init__(
        self,
        incidents: IncidentService,
        poster: Poster,
        config: AlertsConfig,
        *,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.incidents = incidents
        self.poster = poster  # the alert's own lines: repeats, recoveries, storms
        self.config = config
        self.counts: Counter[str] = Counter()  # what happened to alerts, for /metrics and logs
        self._clock = clock
        self._locks: dict[tuple[str, str], asyncio.Lock] = {}
        self._opened: dict[str, deque[tuple[float, str]]] = {}
        self._storm_noted: dict[str, float] = {}
        self._running: set[int] = set()  # incidents being triaged now
        # Identity key -> Alertmanager matchers (asking whether it still fires).
        self._matchers: dict[str, Mapping[str, str]] = {}
        # (incident, identity key) -> the paths that delivered its firing.
        self._paths: dict[tuple[int, str], set[Path]] = {}
        self._unmatched_firing: set[str] = set()
        # Identity key -> the channel line the webhook posted for its firing
        # ("" while being posted), until the firing is bound.
        self._lined: dict[str, str] = {}
        # Identity key -> when its Slack message last arrived (hosted_by_slack).
        self._arrived: dict[str, float] = {}
        self._arrival = asyncio.Condition()
        self.resolutions = Resolutions(self)

    def watches(self, channel: str) -> bool:
        return channel in self.config.channels

    def identify(self, alert: Alert) -> Alert:
        """The alert under its cross-path identity (bot.alerts.identity): a
        webhook's and a Slack message's record of one firing are one record."""
        found = identity(alert, self.incidents.catalogue.bindings)
        if found.matchers:
            self._matchers[found.key] = found.matchers
        return replace(alert, fingerprint=found.key)

    async def is_new(self, alert: Alert) -> bool:
        """Not already firing for an open incident: a new firing (the
        webhook path posts a channel line only for these)."""
        alert = self.identify(alert)
        if alert.status == "resolved" or alert.fingerprint in self._lined:
            return False
        found = match(alert, self.incidents.catalogue.bindings)
        if found is None:
            return alert.fingerprint not in self._unmatched_firing
        incident = await self.incidents.store.open_incident_for(*found)
        if incident is None:
            return True
        bound = await self.incidents.store.alerts_of(incident.id)
        return not any(b.fingerprint == alert.fingerprint and b.status == "firing" for b in bound)

    def lined(self, alert: Alert, ts: str | None) -> None:
        """The webhook posts (ts "") or posted this firing's channel line:
        until it is bound the next notification of it is not new (one line
        per firing), and is triaged under that line. None: not posted after all."""
        key = self.identify(alert).fingerprint
        if ts is None:
            self._lined.pop(key, None)
        else:
            self._lined[key] = ts

    def line_of(self, alert: Alert) -> str:
        """The channel line posted for this firing and not yet bound, or ""."""
        return self._lined.get(self.identify(alert).fingerprint, "")

    async def hosted_by_slack(self, alert: Alert) -> bool:
        """Whether Alertmanager's own Slack message of this firing arrived
        (or arrives within `slack_window` seconds): then it hosts the
        incident and the webhook posts no line of its own."""
        if self.config.slack_window <= 0:
            return False
        key = self.identify(alert).fingerprint
        since = self._clock() - self.config.slack_window
        async with self._arrival:
            try:
                async with asyncio.timeout(self.config.slack_window):
                    await self._arrival.wait_for(lambda: self._arrived.get(key, -1.0) >= since)
            except TimeoutError:
                return False
        return True

    async def on_alerts(
        self, alerts: list[Alert], *, channel: str, message_ts: str, path: Path = "slack"
    ) -> None:
        for alert in alerts:
            await self.on_alert(alert, channel=channel, message_ts=message_ts, path=path)

    async def on_alert(
        self,
        alert: Alert,
        *,
        channel: str,
        message_ts: str,
        announce: bool = True,
        path: Path = "slack",
    ) -> None:
        """`announce=False`: the alert came in a grouped post, which already
        lists it; a joining alert is counted, not noted again in the thread.
        `path`: the webhook or a Slack message; one firing delivered by both
        is one firing (the second arrival is counted, never noted)."""
        alert = self.identify(alert)
        self._lined.pop(alert.fingerprint, None)  # bound (or resolved) from here on
        if alert.status == "resolved":
            self._unmatched_firing.discard(alert.fingerprint)
            await self.resolved(alert)
            return
        if path == "slack":
            async with self._arrival:
                self._arrived[alert.fingerprint] = self._clock()
                self._arrival.notify_all()
        matched = match(alert, self.incidents.catalogue.bindings)
        if matched is None:
            self._unmatched_firing.add(alert.fingerprint)
            self.counts["unmatched"] += 1
            log.info("no runbook for alert %s %s", alert.name, alert.labels)
            if self.config.note_unmatched:
                await self.say(channel, message_ts, f"No runbook covers *{escape(alert.name)}*.")
            return
        await self._bound(alert, matched, channel, message_ts, announce=announce, path=path)

    async def _bound(
        self, alert: Alert, matched: Match, channel: str, message_ts: str, *, announce: bool,
        path: Path,
    ) -> None:  # fmt: skip
        runbook, target = matched
        store = self.incidents.store
        async with self._locks.setdefault(matched, asyncio.Lock()):
            incident = await store.open_incident_for(runbook, target)
            opened = incident is None or await self._stalled(incident)
            if incident is None:
                # The database decides between replicas given the same alert.
                incident, opened = await self._open(alert, runbook, target, channel, message_ts)
            elif opened:
                log.warning("incident %d's triage never finished; this alert runs it", incident.id)
            if opened:
                self._running.add(incident.id)  # under the lock: one triage at a time
            bound = await store.alerts_of(incident.id)
            was = next((b for b in bound if b.fingerprint == alert.fingerprint), None)
            firing = was is not None and was.status == "firing"
            paths = self._paths.setdefault((incident.id, alert.fingerprint), set())
            other_path = firing and path not in paths and not opened
            paths.add(path)
            if other_path:
                # The same firing by its second path: one firing, not a repeat.
                self.counts["other_path"] += 1
                return
            binding = await store.bind_alert(
                incident.id, fingerprint=alert.fingerprint, source=alert.source, name=alert.name,
                starts_at=alert.starts_at.timestamp() if alert.starts_at else None,
            )  # fmt: skip
            # A notification repeating a firing the source dates the same (a
            # group's other alert changed) is no news at all. Otherwise the
            # store decides, in one statement, whether this repeat takes the
            # incident's note (whichever alert or path the last one was for),
            # so a burst of repeats makes one line across replicas too.
            announce = announce and not opened and not (firing and _same_start(was, alert))
            await _note(store, incident.id, alert, binding.times)
            if announce:
                announce = await store.note_alert(
                    incident.id, alert.fingerprint,
                    every=self.config.repeat_note_interval, now=self._clock(),
                )  # fmt: skip
        if opened:
            self.counts["triaged"] += 1
            self.resolutions.start()
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
            # On a store replicas share, the one that opened it may be
            # posting the header right now: stalled only once that is late.
            store = self.incidents.store
            return not store.shared or time.time() - incident.opened_at > STALL_GRACE_S
        return await self.incidents.store.last_unfinished("triage", incident.id, "") is not None

    async def _open(
        self, alert: Alert, runbook: str, target: str, channel: str, ts: str
    ) -> tuple[Incident, bool]:
        """Recorded only: its triage shows it (the header, running). The
        database decides between replicas given the same alert."""
        return await self.incidents.open_outage(
            channel=channel, runbook=runbook, target=target, thread_ts=ts or None,
            actor=Actor(f"alert:{alert.source}", ""), alert=_alert_scope(alert),
        )  # fmt: skip

    async def _triage(self, incident: Incident) -> None:
        """One triage of an incident at a time; bot.incidents runs it (and
        records it as work, so one cut short is run again)."""
        self._running.add(incident.id)
        try:
            await self.incidents.triage(incident)
        finally:
            self._running.discard(incident.id)

    async def retriage(self, incident_id: int) -> None:
        """Run an unfinished triage again (start-up repair)."""
        incident = await self.incidents.store.incident(incident_id)
        if incident.status == "open" and incident.id not in self._running:
            await self._triage(incident)

    async def matchers_for(self, binding: AlertBinding) -> Mapping[str, str]:
        """How to find this alert in Alertmanager's API: as identified on
        arrival, else (after a restart) from the alert that opened the incident."""
        known = self._matchers.get(binding.fingerprint)
        if known is not None:
            return known
        incident = await self.incidents.store.incident(binding.incident_id)
        scope = incident.alert
        if scope.get("source") != "alertmanager" or not scope.get("name"):
            return {}
        opener = Alert(
            source="alertmanager", status="firing", name=str(scope["name"]),
            labels={str(k): str(v) for k, v in dict(scope.get("labels") or {}).items()},
        )  # fmt: skip
        found = identity(opener, self.incidents.catalogue.bindings)
        return found.matchers if found.key == binding.fingerprint else {}

    async def _again(
        self, incident: Incident, alert: Alert, channel: str, message_ts: str, times: int
    ) -> None:
        link = await self._permalink(channel, message_ts) if message_ts else None
        where = mrkdwn.link(link, alert.source) if link else alert.source
        text = f"🔁 {escape(alert.name)} fired again ({where}); {times} time(s) for this incident."
        await self.say(incident.channel, incident.thread_ts, text)

    async def resolved(self, alert: Alert, *, by: str | None = None) -> None:
        """The recovery line, once per incident (a second path's resolution
        of the same alert finds it resolved already), and the incident
        closed when all its alerts are."""
        store = self.incidents.store
        for binding in await store.resolve_alert(alert.fingerprint):
            self._paths.pop((binding.incident_id, alert.fingerprint), None)
            incident = await store.incident(binding.incident_id)
            await _note(store, incident.id, alert, 0)
            started = binding.starts_at
            took = lasted(
                alert,
                fired_at=binding.fired_at,
                resolved_at=binding.resolved_at or self._clock(),
                firing_started=datetime.fromtimestamp(started, UTC) if started else None,
            )
            how = f" ({by})" if by else ""
            await self.say(
                incident.channel,
                incident.thread_ts,
                f"✅ {escape(alert.name)} resolved after {took.words()}{how}.",
            )
            closed = all(a.status == "resolved" for a in await store.alerts_of(incident.id))
            if closed:
                await store.resolve(incident.id, by=f"alert:{alert.source}")
            self.counts["resolved"] += 1
            await self.incidents.refresh_header(incident.id)
            if closed:  # after the thread shows the resolve (bot.timeline.postmortem)
                await self.incidents.after_resolve(incident.id)

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
            await self.say(channel, None, text)

    async def say(self, channel: str, thread_ts: str | None, text: str) -> None:
        blocks = [{"type": "section", "text": {"type": "mrkdwn", "text": text}}]
        await self.poster.post(channel, text=text, blocks=blocks, thread_ts=thread_ts)

    async def _permalink(self, channel: str, ts: str) -> str | None:
        try:
            response = await self.poster.client.chat_getPermalink(channel=channel, message_ts=ts)
        except Exception:  # a link is a courtesy; never lose the note over it
            log.warning("no permalink for %s/%s", channel, ts, exc_info=True)
            return None
        return str(response.get("permalink") or "") or None


async def _note(store: Store, incident_id: int, alert: Alert, times: int) -> None:
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


def _same_start(was: AlertBinding | None, alert: Alert) -> bool:
    if was is None or was.starts_at is None or alert.starts_at is None:
        return False
    return abs(was.starts_at - alert.starts_at.timestamp()) < 1.0
