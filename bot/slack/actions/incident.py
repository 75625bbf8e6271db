"""The incident's own buttons: each is one call into the incident service.
What each may do, and when it is refused, is declared here (bot.slack.actions.button)."""

from __future__ import annotations

from bot.slack.actions.button import Button, Click
from bot.slack.payloads import Act


async def _run_step(c: Click) -> None:
    await c.incidents.run_step(c.incident.id, c.step, c.actor)


async def _skip(c: Click) -> None:
    await c.incidents.skip(c.incident.id, c.step, c.actor)


async def _next(c: Click) -> None:
    await c.incidents.next(c.incident.id, c.step, c.actor)


async def _run_all(c: Click) -> None:
    await c.incidents.run_all(c.incident.id, c.actor)


async def _walk(c: Click) -> None:
    await c.incidents.walk(c.incident.id, c.actor)


async def _escalate(c: Click) -> None:
    await c.incidents.escalate(c.incident.id, c.actor)


async def _resolve(c: Click) -> None:
    await c.incidents.resolve(c.incident.id, c.actor)


async def _dry_run(c: Click) -> None:
    await c.incidents.toggle_dry_run(c.incident.id, c.actor)


async def _details(c: Click) -> None:
    await c.incidents.details(c.incident.id, c.step, c.actor)


async def _timeline(c: Click) -> None:
    await c.incidents.timeline(c.incident.id, c.actor)


async def _answer(c: Click) -> None:
    v = c.value
    if v.shown is not None:  # posted before the upgrade: counts the questions shown
        await c.incidents.answer(c.incident.id, c.step, v.shown, v.answer or 0, c.actor, shown=True)
        return
    await c.incidents.answer(
        c.incident.id, c.step, v.question or 0, v.answer or 0, c.actor, check=v.check
    )


BUTTONS: dict[Act, Button] = {
    Act.RUN_STEP: Button(_run_step, gate="run", needs=("step",)),
    Act.RERUN: Button(_run_step, gate="run", needs=("step",)),
    Act.SKIP: Button(_skip, needs=("step",)),
    Act.NEXT: Button(_next, needs=("step",)),
    Act.RUN_ALL: Button(_run_all, gate="run"),
    Act.WALK: Button(_walk),
    Act.ESCALATE: Button(_escalate),
    Act.RESOLVE: Button(_resolve, gate="resolve"),
    Act.DRY_RUN: Button(_dry_run, gate="dry_run"),
    Act.DETAILS: Button(_details, needs_open=False, needs=("step",)),
    Act.TIMELINE: Button(_timeline, needs_open=False),
    Act.ANSWER: Button(_answer, needs=("step",)),
}
