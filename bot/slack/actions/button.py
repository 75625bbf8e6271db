"""One wrapper for every button: ack at once, then, queued after the acks
(bot.slack.queued), decode the value, look up the incident, refuse what
this button may not do (each button declares it), and audit every refusal;
only then the button's own work.

A handler gets a Click (the incident, the typed value, who clicked) and
returns None when it went ahead, or a reason to tell the person who clicked
(already audited by whoever refused). A forged or stale value, an unknown
step or answer, is refused and audited here, never guessed at.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from slack_bolt.async_app import AsyncAck, AsyncBoltContext, AsyncRespond
from slack_sdk.web.async_client import AsyncWebClient

from bot.actions.policy import policy_of
from bot.incidents.answers import StaleAnswer
from bot.incidents.escalation import EscalationActions
from bot.incidents.service import Actor, IncidentService
from bot.slack import queued
from bot.slack.mrkdwn import mention
from bot.slack.payloads import Act, BadValue, ButtonValue, decode
from bot.store import Incident

NOT_VALID = "This button is not valid any more."
# The names a runbook's `buttons:` restricts (bot.runbooks.actions.Buttons).
Gate = Literal["run", "dry_run", "resolve"]


@dataclass(frozen=True)
class Click:
    incident: Incident
    value: ButtonValue
    actor: Actor
    incidents: IncidentService
    escalation: EscalationActions
    trigger_id: str  # for a dialog this click opens

    @property
    def step(self) -> str:
        """The step (or action) the button names; every button that uses
        this declares `needs="step"`, so the wrapper checked it is there."""
        return self.value.step or ""


Work = Callable[[Click], Awaitable[str | None]]


@dataclass(frozen=True)
class Button:
    work: Work
    # Refused once the incident is resolved (Details and Timeline still work).
    needs_open: bool = True
    # Whom the runbook's `buttons:` allows, when it names anyone.
    gate: Gate | None = None
    # Value fields it cannot do without.
    needs: tuple[Literal["step", "request"], ...] = ()


Listener = Callable[..., Awaitable[None]]


def listener(buttons: Mapping[Act, Button]) -> tuple[re.Pattern[str], Listener]:
    """One Bolt listener for every button, and the action ids it answers:
    Bolt tries its listeners in turn and builds each matcher's arguments
    afresh, so with a listener per button a Run all click paid six tries
    (issue 19: 0.19 s of 0.46 s profiled over 300 clicks in process; 0.035 s
    with one). Answer buttons share a block, so their ids carry ":<n>"."""
    by_id = {act.value: (act, button) for act, button in buttons.items()}
    ids = re.compile(rf"^({'|'.join(map(re.escape, by_id))})(?::\d+)?$")

    async def on_button(
        ack: AsyncAck,
        body: dict[str, Any],
        context: AsyncBoltContext,
        respond: AsyncRespond,
        client: AsyncWebClient,
    ) -> None:
        await ack()
        matched = ids.match(str(((body.get("actions") or [{}])[0] or {}).get("action_id")))
        assert matched is not None  # Bolt matched it with `ids`
        act, button = by_id[matched[1]]
        work = context["incidents"].work

        async def press() -> None:  # queued: never ahead of another request's ack
            refusal = await _press(act, button, body, context)
            if refusal:
                await respond(text=refusal, response_type="ephemeral", replace_original=False)

        kept = _kept(act, body, context)
        ahead = queued.later(work, act.name, press, body=body, client=client, kept=kept)
        if ahead is None or queued.deep(work):
            tell = queued.BUSY if ahead is None else queued.note(ahead)
            # Sent in a stretch of work, like any work: never ahead of an ack.
            note = respond(tell, response_type="ephemeral", replace_original=False)
            queued.aside(work, "queue note", note)

    return ids, on_button


def _kept(act: Act, body: dict[str, Any], context: AsyncBoltContext) -> queued.Kept:
    """What a restart needs to tell this click, if it is cut short: where
    (the message's channel and thread) and which button."""
    message = body.get("message") or {}
    container = body.get("container") or {}
    thread = message.get("thread_ts") or container.get("thread_ts") or container.get("message_ts")
    value = ((body.get("actions") or [{}])[0] or {}).get("value")
    params = {
        "channel": (body.get("channel") or {}).get("id") or container.get("channel_id"),
        "thread_ts": thread, "act": act.value, "value": str(value)[:200],
    }  # fmt: skip
    user = str((body.get("user") or {}).get("id") or "")
    return queued.Kept(context["incidents"].store, user, context["request_id"], params)


async def _press(
    act: Act, button: Button, body: dict[str, Any], context: AsyncBoltContext
) -> str | None:
    """None when the button's work went ahead, else what to tell the clicker."""
    incidents: IncidentService = context["incidents"]
    escalation: EscalationActions = context["escalation"]
    message = (body.get("container") or {}).get("message_ts")
    actor = Actor(body["user"]["id"], context["request_id"], message)
    refuse = _Refuser(incidents, act, actor)
    try:
        value = decode(body["actions"][0].get("value"))
        incident = await incidents.store.incident(value.incident)
    except (BadValue, KeyError) as exc:
        raw = str(((body.get("actions") or [{}])[0] or {}).get("value"))[:200]
        return await refuse(f"bad button value: {exc}", NOT_VALID, None, {"value": raw})
    trigger = str(body.get("trigger_id") or "")
    click = Click(incident, value, actor, incidents, escalation, trigger)
    refused = await _refusal(button, click)
    if refused is not None:
        return await refuse(*refused, incident.id, value.audited())
    try:
        return await button.work(click)
    except StaleAnswer as exc:  # a question changed since its message was drawn
        return await refuse(str(exc), exc.tell, incident.id, value.audited())
    except (BadValue, LookupError) as exc:  # no such step or answer
        return await refuse(str(exc), NOT_VALID, incident.id, value.audited())


@dataclass(frozen=True)
class _Refuser:
    incidents: IncidentService
    act: Act
    actor: Actor

    async def __call__(
        self, why: str, tell: str, incident: int | None, params: dict[str, Any]
    ) -> str:
        """Audit the refusal; return what to tell the person who clicked."""
        await self.incidents.store.audit(
            actor=self.actor.user, action=self.act.value, outcome=f"refused: {why}",
            request_id=self.actor.request_id, incident_id=incident, params=params,
        )  # fmt: skip
        return tell


async def _refusal(button: Button, click: Click) -> tuple[str, str] | None:
    """Why this click may not go ahead (for the audit, for the clicker), or None."""
    incident = click.incident
    if button.needs_open and incident.status != "open":
        by = mention(incident.resolved_by or "?")
        return "the incident is resolved", f"Incident {incident.id} is resolved (by {by})."
    if not await _may_press(button.gate, click):
        return "not allowed", "You may not press this button in this runbook; this is audited."
    # After the allow list: a stranger's click lacking them is refused by it as before.
    missing = [name for name in button.needs if getattr(click.value, name) is None]
    if missing:
        return f"this button lacks its {' and '.join(missing)}", NOT_VALID
    return None


async def _may_press(gate: Gate | None, click: Click) -> bool:
    """Anyone, unless the incident's runbook names who may press this button."""
    if gate is None:
        return True
    binding = click.incidents.catalogue.bindings.get(click.incident.runbook)
    allow = getattr(binding.runbook.buttons, gate) if binding else None
    return allow is None or await click.escalation.may(click.actor.user, policy_of(allow))
