"""What an action will do, with every value filled in, before anyone
confirms it: the exact API calls and the state they set."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from bot.runbooks.actions import Action, AwsAction, EcsRestartAction
from bot.runbooks.templates import Template, compile_tree, render_tree

# Read just before scaling back up: shown as such in the confirmation.
BEFORE = "<desired count before>"


@dataclass(frozen=True)
class Call:
    service: str
    operation: str
    params: dict[str, Any]
    region: str | None = None

    @property
    def name(self) -> str:
        return f"{self.service}.{self.operation}"

    def text(self) -> str:
        args = ", ".join(f"{k}={json.dumps(v)}" for k, v in self.params.items())
        return f"{self.name}({args})"


@dataclass(frozen=True)
class Plan:
    action_id: str
    title: str
    read: Call | None  # the state shown before confirming
    calls: list[Call]  # what will be called, in order
    sets: str  # the state it will set, in words
    approval: bool
    params: dict[str, Any] = field(default_factory=dict)  # for the audit log

    def audit_params(self, approved_by: str | None = None) -> dict[str, Any]:
        """What the audit log keeps of a run of this plan."""
        params: dict[str, Any] = {
            "action": self.action_id,
            **self.params,
            "calls": [c.text() for c in self.calls],
        }
        if approved_by:
            params["approved_by"] = approved_by
        return params


def plan_for(action: Action, scope: dict[str, Any]) -> Plan:
    """Raises TemplateError when a value cannot be filled in for this target."""
    if isinstance(action, EcsRestartAction):
        return _restart(action, scope)
    return _aws(action, scope)


def _restart(action: EcsRestartAction, scope: dict[str, Any]) -> Plan:
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
            Call(
                "ecs", "update_service", {**ids, "desiredCount": "<desired count before>"}, region
            ),
        ],
        sets=f"{service}: desired count to 0, wait until no task runs, then back to its"
        " desired count before, and wait until that many run",
        approval=action.approval,
        params={**ids, "region": region},
    )


def _aws(action: AwsAction, scope: dict[str, Any]) -> Plan:
    service, _, operation = action.call.partition(".")
    params = render_tree(compile_tree(action.params), scope)
    read = None
    if action.read is not None:
        read_service, _, read_operation = action.read.call.partition(".")
        read = Call(
            read_service, read_operation, render_tree(compile_tree(action.read.params), scope)
        )
    return Plan(
        action_id=action.id,
        title=action.title,
        read=read,
        calls=[Call(service, operation, params)],
        sets=", ".join(f"{k}={json.dumps(v)}" for k, v in params.items()),
        approval=action.approval,
        params={"call": action.call, **params},
    )


def _text(template: Template, scope: dict[str, Any]) -> str:
    return str(template.render(scope))
