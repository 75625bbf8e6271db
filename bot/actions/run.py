"""Carrying an action out, step by step, reporting progress as it goes.

boto3 calls run off the event loop; waiting is polling the service's state
with a deadline, since ECS offers no event to wait on.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Any

import botocore.exceptions as bx

from bot.actions.plan import Call, Plan
from bot.checks import aws
from bot.checks.context import AwsSettings
from bot.runbooks.actions import Action, EcsRestartAction

Progress = Callable[[str], Awaitable[None]]


class ActionFailed(Exception):
    pass


async def invoke(call: Call, settings: AwsSettings) -> dict[str, Any]:
    try:
        return await asyncio.to_thread(
            aws.call, call.service, call.operation, call.params, region=call.region, aws=settings
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


async def carry_out(action: Action, plan: Plan, settings: AwsSettings, progress: Progress) -> str:
    """Run the plan; returns the outcome in words or raises ActionFailed."""
    async with asyncio.timeout(action.timeout):
        if isinstance(action, EcsRestartAction):
            return await _restart(action, plan, settings, progress)
        for call in plan.calls:
            await progress(f"calling {call.text()}")
            await invoke(call, settings)
        return f"done: {', '.join(c.name for c in plan.calls)}"


async def _restart(
    action: EcsRestartAction, plan: Plan, settings: AwsSettings, progress: Progress
) -> str:
    state = await read_state(plan, settings)
    desired = int((state or {}).get("desired") or 0)
    if desired < 1:
        raise ActionFailed("the service's desired count is 0: there is nothing to bring back")
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
