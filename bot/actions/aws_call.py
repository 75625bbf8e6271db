"""The `aws` action: one AWS API call, e.g. ecs.update_service with
forceNewDeployment, with an optional read-only call showing the state
before the change (its `query`, JMESPath, picks what the confirmation shows)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any, Literal

from pydantic import Field, field_validator

from bot.actions.types import (
    ActionBase,
    ActionType,
    Call,
    Execution,
    Fill,
    Loc,
    Plan,
    Scope,
    invoke,
)
from bot.checks.aws import operation_model
from bot.checks.describing import code, plain
from bot.checks.params import JMESPath
from bot.templating.fields import Model
from bot.templating.templates import compile_tree, render_tree


def _known(call: str) -> str:
    service, _, operation = call.partition(".")
    operation_model(service, operation)
    return call


class AwsRead(Model):
    """A read-only call showing the state before the change."""

    call: str
    params: dict[str, Any] = Field(default_factory=dict)
    query: JMESPath | None = Field(
        None, description="JMESPath over the answer: what the confirmation shows of it"
    )

    @field_validator("call")
    @classmethod
    def _known_call(cls, value: str) -> str:
        return _known(value)


class AwsAction(ActionBase):
    """One AWS API call, e.g. ecs.update_service with forceNewDeployment."""

    type: Literal["aws"] = "aws"
    call: str
    params: dict[str, Any] = Field(default_factory=dict)
    read: AwsRead | None = None

    @field_validator("call")
    @classmethod
    def _known_call(cls, value: str) -> str:
        return _known(value)


def plan(action: AwsAction, scope: Scope) -> Plan:
    service, _, operation = action.call.partition(".")
    params = render_tree(compile_tree(action.params), scope)
    read = None
    if action.read is not None:
        read_service, _, read_operation = action.read.call.partition(".")
        read_params = render_tree(compile_tree(action.read.params), scope)
        read = Call(read_service, read_operation, read_params)
    return Plan(
        action_id=action.id,
        title=action.title,
        read=read,
        calls=[Call(service, operation, params)],
        sets=", ".join(f"{k}={json.dumps(v)}" for k, v in params.items()),
        approval=action.approval,
        params={"call": action.call, **params},
        state_of=_state_of(action.read),
    )


def _state_of(read: AwsRead | None) -> Any:
    """The read's answer through its `query`, kept as a mapping for the
    confirmation (a scalar or list under `value`)."""

    def shaped(answer: dict[str, Any]) -> dict[str, Any]:
        if read is None or read.query is None:
            return answer
        found = read.query.search(answer)
        return found if isinstance(found, dict) else {"value": found}

    return shaped


async def execute(action: AwsAction, plan: Plan, run: Execution) -> str:
    for call in plan.calls:
        await run.progress(f"calling {call.text()}")
        await invoke(call, run.settings)
    return f"done: {', '.join(c.name for c in plan.calls)}"


def describe(action: AwsAction, fill: Fill) -> str:
    params = fill(compile_tree(action.params))
    arguments = ", ".join(f"{k} {code(plain(v))}" for k, v in params.items())
    return f"{code(action.call)} with {arguments}"


def templated(action: AwsAction) -> Iterator[tuple[Loc, Any]]:
    yield ("params",), action.params
    if action.read is not None:
        yield ("read", "params"), action.read.params


TYPE = ActionType(
    name="aws",
    model=AwsAction,
    plan=plan,
    execute=execute,
    describe=describe,
    templated=templated,
)
