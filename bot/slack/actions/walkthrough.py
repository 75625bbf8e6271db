"""Walkthrough buttons: ack at once, validate the value, then do the work."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncBoltContext, AsyncRespond

from bot.actions.policy import policy_of
from bot.slack.ackflush import after_ack
from bot.slack.escalation import Escalation
from bot.slack.mrkdwn import mention
from bot.slack.payloads import Act, BadValue, ButtonValue, decode
from bot.slack.walkthrough import Actor, Walkthrough
from bot.store import Incident

Work = Callable[[Walkthrough, ButtonValue, Actor], Awaitable[Any]]
# Buttons that change the walkthrough; Details still works after Resolve.
_NEEDS_OPEN = frozenset(
    {
        Act.WALK,
        Act.RUN_STEP,
        Act.RERUN,
        Act.SKIP,
        Act.NEXT,
        Act.RUN_ALL,
        Act.ANSWER,
        Act.ESCALATE,
        Act.RESOLVE,
        Act.DRY_RUN,
    }
)


def _handler(act: Act, work: Work) -> Callable[..., Awaitable[None]]:
    async def handle(
        ack: AsyncAck, body: dict[str, Any], context: AsyncBoltContext, respond: AsyncRespond
    ) -> None:
        await ack()
        await after_ack()
        walkthrough: Walkthrough = context["walkthrough"]
        message_ts = (body.get("container") or {}).get("message_ts")
        actor = Actor(body["user"]["id"], context["request_id"], message_ts)
        try:
            value = decode(body["actions"][0].get("value"))
            incident = await walkthrough.store.incident(value.i)
        except (BadValue, KeyError) as exc:
            await walkthrough.store.audit(
                actor=actor.user,
                action=act.value,
                outcome="refused",
                request_id=actor.request_id,
                params={"reason": str(exc)},
            )
            await respond(
                text="This button is not valid any more.",
                response_type="ephemeral",
                replace_original=False,
            )
            return
        if act in _NEEDS_OPEN and incident.status != "open":
            await walkthrough.store.audit(
                actor=actor.user,
                action=act.value,
                outcome="refused: the incident is resolved",
                request_id=actor.request_id,
                incident_id=incident.id,
                params=value.model_dump(exclude_none=True),
            )
            by = mention(incident.resolved_by or "?")
            await respond(
                text=f"Incident {incident.id} is resolved (by {by}).",
                response_type="ephemeral",
                replace_original=False,
            )
            return
        if not await _may_press(act, walkthrough, context["escalation"], incident, actor):
            await walkthrough.store.audit(
                actor=actor.user, action=act.value, outcome="refused: not allowed",
                request_id=actor.request_id, incident_id=incident.id,
                params=value.model_dump(exclude_none=True),
            )  # fmt: skip
            await respond(
                text="You may not press this button in this runbook; this is audited.",
                response_type="ephemeral",
                replace_original=False,
            )
            return
        try:
            await work(walkthrough, value, actor)
        except (BadValue, LookupError) as exc:  # no such step or answer, a value lacking one
            await walkthrough.store.audit(
                actor=actor.user, action=act.value, outcome=f"refused: {exc}",
                request_id=actor.request_id, incident_id=incident.id,
                params=value.model_dump(exclude_none=True),
            )  # fmt: skip
            await respond(
                text="This button is not valid any more.",
                response_type="ephemeral",
                replace_original=False,
            )

    handle.__name__ = f"on_{act.name.lower()}"
    return handle


# Buttons a runbook's `buttons:` can restrict, by the name it uses.
_GATED = {Act.RUN_STEP: "run", Act.RERUN: "run", Act.RUN_ALL: "run",
          Act.DRY_RUN: "dry_run", Act.RESOLVE: "resolve"}  # fmt: skip


async def _may_press(
    act: Act, walkthrough: Walkthrough, escalation: Escalation, incident: Incident, actor: Actor
) -> bool:
    """Anyone, unless the incident's runbook names who may press this button."""
    if act not in _GATED:
        return True
    binding = walkthrough.catalogue.bindings.get(incident.runbook)
    allow = getattr(binding.runbook.buttons, _GATED[act]) if binding else None
    return allow is None or await escalation.may(actor.user, policy_of(allow))


def _step(value: ButtonValue) -> str:
    if value.s is None:
        raise BadValue("this button needs a step")
    return value.s


HANDLERS: dict[Act, Callable[..., Awaitable[None]]] = {
    act: _handler(act, work)
    for act, work in {
        Act.RUN_STEP: lambda w, v, a: w.run_step(v.i, _step(v), a),
        Act.RERUN: lambda w, v, a: w.run_step(v.i, _step(v), a),
        Act.SKIP: lambda w, v, a: w.skip(v.i, _step(v), a),
        Act.NEXT: lambda w, v, a: w.next(v.i, _step(v), a),
        Act.RUN_ALL: lambda w, v, a: w.run_all(v.i, a),
        Act.WALK: lambda w, v, a: w.walk(v.i, a),
        Act.ESCALATE: lambda w, v, a: w.escalate(v.i, a),
        Act.RESOLVE: lambda w, v, a: w.resolve(v.i, a),
        Act.DRY_RUN: lambda w, v, a: w.toggle_dry_run(v.i, a),
        Act.DETAILS: lambda w, v, a: w.details(v.i, _step(v), a),
        Act.TIMELINE: lambda w, v, a: w.timeline(v.i, a),
        Act.ANSWER: lambda w, v, a: w.answer(v.i, _step(v), v.q or 0, v.a or 0, a),
    }.items()
}
