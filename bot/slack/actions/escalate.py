"""Escalation action buttons: ask (opens the confirmation dialog), approve,
reject. The escalation decides (allow lists, approvals) and audits its own
refusals; a refusal is told only to the person who clicked."""

from __future__ import annotations

from bot.slack.actions.button import Button, Click
from bot.slack.payloads import Act


async def _ask(c: Click) -> str | None:
    return await c.escalation.ask(c.incident.id, c.step, c.actor, c.trigger_id)


async def _approve(c: Click) -> str | None:
    return await c.escalation.decide(c.value.request or 0, c.actor, approve=True)


async def _reject(c: Click) -> str | None:
    return await c.escalation.decide(c.value.request or 0, c.actor, approve=False)


BUTTONS: dict[Act, Button] = {
    Act.ACTION: Button(_ask, needs=("step",)),
    Act.APPROVE: Button(_approve, needs=("step", "request")),
    Act.REJECT: Button(_reject, needs=("step", "request")),
}
