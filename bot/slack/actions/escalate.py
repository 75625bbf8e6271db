"""Escalation action buttons: ask (opens the confirmation dialog), approve,
reject. Each acks at once; a refusal is told only to the person who clicked."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncBoltContext, AsyncRespond

from bot.slack.ackflush import after_ack
from bot.slack.escalation import Escalation
from bot.slack.payloads import Act, BadValue, ButtonValue, decode
from bot.slack.walkthrough import Actor

Handler = Callable[..., Awaitable[None]]


async def _refuse(respond: AsyncRespond, text: str) -> None:
    await respond(text=text, response_type="ephemeral", replace_original=False)


async def _bad(
    escalation: Escalation, actor: Actor, act: Act, body: dict[str, Any], exc: Exception
) -> str:
    """A forged, garbled or stale button: audited with what it carried."""
    raw = str(((body.get("actions") or [{}])[0] or {}).get("value"))[:200]
    await escalation.refused(actor, act.value, f"bad button value: {exc}", value=raw)
    return "This button is not valid any more."


def _value(body: dict[str, Any], *, needs_request: bool = False) -> ButtonValue:
    value = decode(body["actions"][0].get("value"))
    if value.s is None or (needs_request and value.r is None):
        raise BadValue("this button lacks its action or request")
    return value


async def on_action(
    ack: AsyncAck, body: dict[str, Any], context: AsyncBoltContext, respond: AsyncRespond
) -> None:
    await ack()
    await after_ack()
    escalation: Escalation = context["escalation"]
    actor = Actor(body["user"]["id"], context["request_id"])
    try:
        value = _value(body)
        refusal = await escalation.ask(value.i, value.s or "", actor, body["trigger_id"])
    except (BadValue, KeyError) as exc:
        refusal = await _bad(escalation, actor, Act.ACTION, body, exc)
    if refusal:
        await _refuse(respond, refusal)


def _decision(approve: bool) -> Handler:
    async def handle(
        ack: AsyncAck, body: dict[str, Any], context: AsyncBoltContext, respond: AsyncRespond
    ) -> None:
        await ack()
        await after_ack()
        escalation: Escalation = context["escalation"]
        actor = Actor(body["user"]["id"], context["request_id"])
        try:
            value = _value(body, needs_request=True)
            refusal = await escalation.decide(value.r or 0, actor, approve=approve)
        except (BadValue, KeyError) as exc:
            act = Act.APPROVE if approve else Act.REJECT
            refusal = await _bad(escalation, actor, act, body, exc)
        if refusal:
            await _refuse(respond, refusal)

    handle.__name__ = "on_approve" if approve else "on_reject"
    return handle


HANDLERS: dict[Act, Handler] = {
    Act.ACTION: on_action,
    Act.APPROVE: _decision(True),
    Act.REJECT: _decision(False),
}
