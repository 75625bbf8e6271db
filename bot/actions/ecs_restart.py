"""The `ecs_restart` action: scale an ECS service to 0, wait until nothing
runs, scale it back to the desired count it had, and wait until that many
run: what breaks a restart loop.

Waiting is polling the service's state with a deadline, since ECS offers no
event to wait on. The desired count before is noted in the run's journal
before the first change, so that a run cut short after scaling to 0 is
finished by the next one.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterator
from typing import Any, Literal

from pydantic import Field

from bot.actions.types import (
    ActionBase,
    ActionFailed,
    ActionType,
    Call,
    Execution,
    Fill,
    Loc,
    Plan,
    Scope,
    invoke,
    read_state,
)
from bot.checks.describing import code
from bot.templating.fields import TemplateText
from bot.templating.templates import Template

# Read just before scaling back up: shown as such in the confirmation.
BEFORE = "<desired count before>"
# What the journal keeps of a run: the desired count it scaled down from.
DESIRED_BEFORE = "desired_before"


class EcsRestartAction(ActionBase):
    """Scale an ECS service to 0, wait until nothing runs, scale it back to
    the desired count it had, and wait until that many run: what breaks a
    restart loop."""

    type: Literal["ecs_restart"]
    cluster: TemplateText = Field(default="{{ vars.cluster }}", validate_default=True)
    service: TemplateText = Field(default="{{ target.service }}", validate_default=True)
    region: TemplateText | None = None
    poll: float = Field(5, gt=0, le=60, description="seconds between state reads while waiting")


def plan(action: EcsRestartAction, scope: Scope) -> Plan:
    cluster, service = _text(action.cluster, scope), _text(action.service, scope)
    region = _text(action.region, scope) if action.region else None
    ids = {"cluster": cluster, "service": service}
    describe = Call("ecs", "describe_services", {"cluster": cluster, "services": [service]}, region)
    return Plan(
        action_id=action.id,
        title=action.title,
        read=describe,
        calls=[
            Call("ecs", "update_service", {**ids, "desiredCount": 0}, region),
            Call("ecs", "update_service", {**ids, "desiredCount": BEFORE}, region),
        ],
        sets=f"{service}: desired count to 0, wait until no task runs, then back to its"
        " desired count before, and wait until that many run",
        approval=action.approval,
        params={**ids, "region": region},
        state_of=service_state,
    )


def service_state(answer: dict[str, Any]) -> dict[str, Any]:
    """An ECS service as running/desired/pending/status."""
    services = answer.get("services")
    if isinstance(services, list) and services:
        s = services[0]
        return {"running": s.get("runningCount"), "desired": s.get("desiredCount"),
                "pending": s.get("pendingCount"), "status": s.get("status")}  # fmt: skip
    return answer


async def execute(action: EcsRestartAction, plan: Plan, run: Execution) -> str:
    state = await read_state(plan, run.settings)
    desired = int((state or {}).get("desired") or 0)
    resume = run.resumed.get(DESIRED_BEFORE)
    resume = resume if isinstance(resume, int) and resume > 0 else None
    if desired < 1 and resume:
        # A run cut short after scaling to 0: finish it, back to what it was.
        await run.progress(f"an interrupted run scaled this from {resume} to 0; finishing it")
        desired = resume
    elif desired < 1:
        raise ActionFailed("the service's desired count is 0: there is nothing to bring back")
    await run.note({DESIRED_BEFORE: desired})
    down, up = plan.calls
    await run.progress(f"scaling to 0 (was {state and state.get('running')} of {desired})")
    await invoke(down, run.settings)
    await _wait(
        plan, run, until=lambda s: s.get("running") == 0, goal="0 running", poll=action.poll
    )
    back = Call(up.service, up.operation, {**up.params, "desiredCount": desired}, up.region)
    await run.progress(f"scaling back to {desired}")
    await invoke(back, run.settings)
    await _wait(
        plan, run,
        until=lambda s: s.get("running") == desired, goal=f"{desired} running", poll=action.poll,
    )  # fmt: skip
    return f"restarted: 0 then {desired} of {desired} running"


async def _wait(
    plan: Plan,
    run: Execution,
    *,
    until: Callable[[dict[str, Any]], bool],
    goal: str,
    poll: float,
) -> None:
    started = time.monotonic()
    while True:
        state = await read_state(plan, run.settings) or {}
        if until(state):
            await run.progress(f"{goal} after {time.monotonic() - started:.0f} s")
            return
        await asyncio.sleep(poll)


def describe(action: EcsRestartAction, fill: Fill) -> str:
    return f"{code('ecs.update_service')} desiredCount 0, then back to what it was"


def templated(action: EcsRestartAction) -> Iterator[tuple[Loc, Any]]:
    return iter(())


def _text(template: Template, scope: Scope) -> str:
    return str(template.render(scope))


TYPE = ActionType(
    name="ecs_restart",
    model=EcsRestartAction,
    plan=plan,
    execute=execute,
    describe=describe,
    templated=templated,
    aws_operations=frozenset({"ecs.describe_services", "ecs.update_service"}),
)
