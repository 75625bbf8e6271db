"""Carrying an action out, step by step, reporting progress as it goes.

boto3 calls run off the event loop; waiting is polling the service's state
with a deadline, since ECS offers no event to wait on.

Every run is journalled: an audit record "started" (with its parameters)
and a work row are written before the first AWS call, what is learnt on the
way (the desired count before scaling to 0) is added before the call that
changes anything, and the work is finished after. A process killed halfway
leaves the work unfinished: start-up repair (bot.slack.recovery) says so in
the thread, and the same action run again picks up from the journal.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import botocore.exceptions as bx

from bot.actions.plan import Call, Plan
from bot.checks import aws
from bot.checks.context import AwsSettings
from bot.runbooks.actions import Action, EcsRestartAction
from bot.store import Store

Progress = Callable[[str], Awaitable[None]]


class ActionFailed(Exception):
    pass


async def invoke(call: Call, settings: AwsSettings) -> dict[str, Any]:
    try:
        return await aws.call_off_loop(
            call.service, call.operation, call.params, region=call.region, aws=settings
        )
    except (bx.BotoCoreError, bx.ClientError) as exc:
        kind, message = aws.translate(exc)
        raise ActionFailed(f"{call.name}: {message} [{kind}]") from exc


async def read_state(plan: Plan, settings: AwsSettings) -> dict[str, Any] | None:
    """The state shown before confirming: ECS services as running/desired."""
    if plan.read is None:
        return None
    answer = await invoke(plan.read, settings)
    services = answer.get("services")
    if isinstance(services, list) and services:
        s = services[0]
        return {"running": s.get("runningCount"), "desired": s.get("desiredCount"),
                "pending": s.get("pendingCount"), "status": s.get("status")}  # fmt: skip
    return answer


@dataclass
class Journal:
    """Where a run is recorded before and after it acts."""

    store: Store
    incident_id: int
    actor: str
    request_id: str
    params: dict[str, Any]  # as the audit log shows them
    message_ts: str | None = None  # the run's progress message in the thread
    work_id: int | None = None

    async def started(self, action_id: str) -> None:
        self.work_id = await self.store.start_work(
            "action", self.incident_id, key=action_id, actor=self.actor,
            request_id=self.request_id, params={**self.params, "message_ts": self.message_ts},
        )  # fmt: skip
        await self.store.audit(
            actor=self.actor, action="run_action", outcome="started",
            request_id=self.request_id, incident_id=self.incident_id, params=self.params,
        )  # fmt: skip

    async def note(self, values: dict[str, Any]) -> None:
        if self.work_id is not None:
            await self.store.note_work(self.work_id, values)

    async def finished(self, outcome: str) -> None:
        if self.work_id is not None:
            await self.store.finish_work(self.work_id, outcome)

    async def interrupted_desired(self, action_id: str) -> int | None:
        """The desired count an interrupted run of this action scaled down from."""
        work = await self.store.last_unfinished("action", self.incident_id, action_id)
        before = (work.params if work is not None else {}).get("desired_before")
        return int(before) if isinstance(before, int) and before > 0 else None


async def carry_out(
    action: Action,
    plan: Plan,
    settings: AwsSettings,
    progress: Progress,
    journal: Journal | None = None,
) -> str:
    """Run the plan; returns the outcome in words or raises ActionFailed."""
    resume = await journal.interrupted_desired(action.id) if journal else None
    if journal is not None:
        await journal.started(action.id)
    try:
        outcome = await _carry_out(action, plan, settings, progress, journal=journal, resume=resume)
    except (ActionFailed, TimeoutError) as exc:
        if journal is not None:
            await journal.finished(f"failed: {exc}")
        raise
    if journal is not None:
        await journal.finished(outcome)
    return outcome


async def _carry_out(
    action: Action,
    plan: Plan,
    settings: AwsSettings,
    progress: Progress,
    *,
    journal: Journal | None,
    resume: int | None,
) -> str:
    async with asyncio.timeout(action.timeout):
        if isinstance(action, EcsRestartAction):
            return await _restart(action, plan, settings, progress, journal=journal, resume=resume)
        for call in plan.calls:
            await progress(f"calling {call.text()}")
            await invoke(call, settings)
        return f"done: {', '.join(c.name for c in plan.calls)}"


async def _restart(
    action: EcsRestartAction,
    plan: Plan,
    settings: AwsSettings,
    progress: Progress,
    *,
    journal: Journal | None,
    resume: int | None,
) -> str:
    state = await read_state(plan, settings)
    desired = int((state or {}).get("desired") or 0)
    if desired < 1 and resume:
        # A run cut short after scaling to 0: finish it, back to what it was.
        await progress(f"an interrupted run scaled this from {resume} to 0; finishing it")
        desired = resume
    elif desired < 1:
        raise ActionFailed("the service's desired count is 0: there is nothing to bring back")
    if journal is not None:
        await journal.note({"desired_before": desired})
    down, up = plan.calls
    await progress(f"scaling to 0 (was {state and state.get('running')} of {desired})")
    await invoke(down, settings)
    await _wait(
        plan,
        settings,
        progress,
        until=lambda s: s.get("running") == 0,
        goal="0 running",
        poll=action.poll,
    )
    back = Call(up.service, up.operation, {**up.params, "desiredCount": desired}, up.region)
    await progress(f"scaling back to {desired}")
    await invoke(back, settings)
    await _wait(
        plan, settings, progress,
        until=lambda s: s.get("running") == desired, goal=f"{desired} running", poll=action.poll,
    )  # fmt: skip
    return f"restarted: 0 then {desired} of {desired} running"


async def _wait(
    plan: Plan,
    settings: AwsSettings,
    progress: Progress,
    *,
    until: Callable[[dict[str, Any]], bool],
    goal: str,
    poll: float,
) -> None:
    started = time.monotonic()
    while True:
        state = await read_state(plan, settings) or {}
        if until(state):
            await progress(f"{goal} after {time.monotonic() - started:.0f} s")
            return
        await asyncio.sleep(poll)
