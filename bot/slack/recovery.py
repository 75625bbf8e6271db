"""Start-up repair: work a killed process left halfway, put right in its
thread, so nothing stays "running" forever.

- a step run: its message gets its Run button back, and a line in the
  thread says the run did not finish;
- an auto-triage: run again (its checks are read-only), header and all;
  so is an incident an alert opened whose header was never posted;
- a Run all: run again for whoever asked (the steps it recorded stay);
- an escalation action: the thread is told what was started, by whom, what
  the service's state is now, with the action's button to finish it (the
  same confirmation, allow list and approval as any run; a restart picks up
  from the desired count it had scaled down from).
- a unit acked and queued but cut short (bot.slack.queued): an alert
  message is triaged again; a click, a /triage or a mention is told in its
  thread (or channel), not run again blindly (its person may have moved
  on), unless the work it recorded is repaired and told above.

Each piece of work is marked "interrupted" once its thread is told, so a
second restart does not tell it twice.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections import Counter
from datetime import UTC, datetime
from typing import Any

from slack_sdk.models.blocks import MarkdownTextObject, SectionBlock

from bot.actions.plan import plan_for
from bot.actions.run import ActionFailed, read_state
from bot.incidents.presenter import Pending
from bot.incidents.service import Actor, IncidentService
from bot.slack import render, render_actions
from bot.slack.autotriage import STALL_GRACE_S, AutoTriage
from bot.slack.events import alerts
from bot.slack.mrkdwn import cut, escape, mention
from bot.slack.payloads import BadValue, decode
from bot.slack.poster import Poster
from bot.store import Incident, Work
from bot.store.models import QueuedUnit

log = logging.getLogger(__name__)
INTERRUPTED = "interrupted"
# How often replicas sharing a store look for work a dead one left.
REPAIR_EVERY_S = 5.0


async def repair(autotriage: AutoTriage) -> Counter[str]:
    """Repair every piece of unfinished work; returns how many of each kind."""
    repaired: Counter[str] = Counter()
    incidents, poster = autotriage.incidents, autotriage.poster
    unfinished = await incidents.store.unfinished_work()
    for work in unfinished:
        try:
            incident = await incidents.store.incident(work.incident_id)
            await incidents.store.finish_work(work.id, INTERRUPTED)
            if work.kind == "step":
                await _step(incidents, poster, incident, work)
            elif work.kind == "triage":
                await autotriage.retriage(incident.id)
            elif work.kind == "run_all":
                await _run_all(incidents, incident, work)
            else:
                await _action(incidents, poster, incident, work)
            repaired[work.kind] += 1
        except Exception:  # one bad row must not stop the others' repair
            log.exception("could not repair %s work %d", work.kind, work.id)
    told = {work.request_id for work in unfinished}
    for unit in await incidents.store.unfinished_units():
        try:
            await incidents.store.finish_unit(unit.id)  # once, even if telling fails
            repaired[await _unit(autotriage, unit, told)] += 1
        except Exception:
            log.exception("could not repair queued %s %d", unit.name, unit.id)
    for incident_id in await incidents.store.headless_alert_incidents():
        try:
            if incidents.store.shared and not await _late(incidents, incident_id):
                continue  # the live replica that opened it may be posting its header now
            await autotriage.retriage(incident_id)
            repaired["headless"] += 1
        except Exception:
            log.exception("could not triage incident %d", incident_id)
    if repaired:
        log.warning("repaired work a previous process left unfinished: %s", dict(repaired))
    return repaired


async def keep_repairing(autotriage: AutoTriage, *, every: float = REPAIR_EVERY_S) -> None:
    """Repair at start-up; on a store several replicas share, again every
    `every` seconds, by whichever replica holds the lease: work of a
    replica that died (kill -9, a lost host) is finished by the others,
    with no restart needed."""
    store = autotriage.incidents.store
    if not store.shared:
        await repair(autotriage)
        return
    while True:
        try:
            if await store.lease("repair", ttl=every * 3):
                await repair(autotriage)
        except Exception:  # the store unreachable for a while: try again later
            log.warning("could not look for unfinished work", exc_info=True)
        await asyncio.sleep(every)  # the sweep's pace, not a wait on a condition


async def _unit(autotriage: AutoTriage, unit: QueuedUnit, told: set[str]) -> str:
    """Repair one queued unit a dead process never ended; returns its kind."""
    params = unit.params
    if unit.name == alerts.ALERT_UNIT:  # read-only checks: run again, as an auto-triage
        bot_id = params.get("bot_id")
        await alerts.triage(
            autotriage, params["event"], bot_id if isinstance(bot_id, str) else None
        )
        return "queued alert"
    if unit.request_id in told:  # its step, run all or action was repaired and told above
        return "queued, told by its work"
    channel, thread = await _where(autotriage.incidents, params)
    if not channel:
        log.warning("a queued %s by %s was cut short; nowhere to tell it", unit.name, unit.actor)
        return "queued, untold"
    text = (
        f"⚠️ {mention(unit.actor)}, your {_asked(unit)} at {_clock(unit.queued_at)} may not have"
        " been carried out: the bot restarted before it finished. Look at the thread, and"
        " do it again if it is still needed."
    )
    blocks = [SectionBlock(text=MarkdownTextObject(text=cut(text, 3000))).to_dict()]
    await autotriage.poster.post(channel, text=text, blocks=blocks, thread_ts=thread)
    return "queued, told"


async def _where(incidents: IncidentService, params: dict[str, Any]) -> tuple[str, str | None]:
    """Where to tell a queued unit: the channel and thread it came from, or
    (a dialog, which has neither) its incident's thread."""
    channel, thread = params.get("channel"), params.get("thread_ts")
    if isinstance(channel, str) and channel:
        return channel, thread if isinstance(thread, str) else None
    try:
        incident = await incidents.store.incident(decode(params.get("value")).incident)
    except (BadValue, KeyError):
        return "", None
    return incident.channel, incident.thread_ts


def _asked(unit: QueuedUnit) -> str:
    """What the person did, in their words (escaped: a command's text is theirs)."""
    if unit.name == "open":
        return f"`/triage {escape(str(unit.params.get('text') or ''))}`"
    if unit.name == "mention":
        return "mention of triage"
    if unit.name == "confirm":
        return "confirmation of an action"
    label = unit.name.replace("_", " ").capitalize()  # an Act's name: RUN_STEP -> Run step
    return f"click on *{escape(label)}*"


async def _late(incidents: IncidentService, incident_id: int) -> bool:
    incident = await incidents.store.incident(incident_id)
    return time.time() - incident.opened_at > STALL_GRACE_S


async def _run_all(incidents: IncidentService, incident: Incident, work: Work) -> None:
    """Run all again, for whoever asked: its checks are read-only, and the
    steps that did record a run are not run twice."""
    if incident.status != "open":
        return
    await incidents.run_all(incident.id, Actor(work.actor, work.request_id))


async def _step(incidents: IncidentService, poster: Poster, incident: Incident, work: Work) -> None:
    view = incidents.step_view(incident, work.key)
    ts = str(work.params.get("ts") or incident.step_messages.get(view.id) or "")
    if ts:  # its Run button back
        await incidents.presenter.step(incident, view, Pending(), at=ts)
    await _say(
        poster,
        incident,
        f"⚠️ The bot restarted while *{escape(view.title)}* was running (started by"
        f" {mention(work.actor)} at {_clock(work.started_at)}); that run did not finish."
        " Press *Run step* on it to run it again.",
    )


async def _action(
    incidents: IncidentService, poster: Poster, incident: Incident, work: Work
) -> None:
    binding = incidents.catalogue.bindings[incident.runbook]
    escalation = binding.runbook.escalation
    action = next(a for a in (escalation.actions if escalation else []) if a.id == work.key)
    plan = plan_for(action, binding.scope(incident.target, alert=incident.alert))
    message_ts = work.params.get("message_ts")
    if isinstance(message_ts, str):
        blocks = render_actions.progress_blocks(
            plan, [], by=f"started by {mention(work.actor)}", done="⚠️ interrupted by a restart"
        )
        await poster.update(
            incident.channel, message_ts, text=f"{escape(plan.title)}: interrupted", blocks=blocks
        )
    try:
        state = await read_state(plan, incidents.settings.aws)
        now = _state(state)
    except ActionFailed as exc:
        now = f"could not be read ({escape(str(exc))})"
    before = work.params.get("desired_before")
    finish = (
        f" Pressing it brings the service back to its desired count of {before}." if before else ""
    )
    text = (
        f"⚠️ The bot stopped while running *{escape(plan.title)}* (started by"
        f" {mention(work.actor)} at"
        f" {_clock(work.started_at)}); it may have changed things halfway. State now: {now}."
        f" To finish or undo it, press the button below: it asks for confirmation and checks"
        f" the allow list as usual.{finish}"
    )
    blocks = [
        SectionBlock(text=MarkdownTextObject(text=cut(text, 3000))).to_dict(),
        render.action_blocks([(action.id, action.title)], incident.id)[0].to_dict(),
    ]
    await poster.post(incident.channel, text=text, blocks=blocks, thread_ts=incident.thread_ts)


async def _say(poster: Poster, incident: Incident, text: str) -> None:
    blocks = [SectionBlock(text=MarkdownTextObject(text=cut(text, 3000))).to_dict()]
    await poster.post(incident.channel, text=text, blocks=blocks, thread_ts=incident.thread_ts)


def _state(state: dict[str, Any] | None) -> str:
    if state is None:
        return "unknown"
    if {"running", "desired"} <= state.keys():
        return f"running {state['running']} of desired {state['desired']}"
    return escape(json.dumps(state, default=str)[:300])


def _clock(at: float) -> str:
    return datetime.fromtimestamp(at, UTC).strftime("%H:%M:%S UTC")
