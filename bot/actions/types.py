"""What an action module declares about itself: `TYPE = ActionType(...)`.

An action type owns everything about it, as a check type does
(bot.checks.spec): its runbook model, the plan it shows before anyone
confirms (every value filled in, the state read and the calls it makes),
its words in the generated docs, the templates linted at load, the AWS
operations it may call (what least-privilege IAM must allow) and how it is
carried out. Adding a type is its own module and one line in
bot.actions.registry.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import botocore.exceptions as bx
from pydantic import Field

from bot.checks import aws
from bot.checks.context import AwsSettings
from bot.templating.fields import Model, Slug

Scope = dict[str, Any]
Progress = Callable[[str], Awaitable[None]]
Loc = tuple[str | int, ...]


class ActionFailed(Exception):
    pass


class Allow(Model):
    users: list[str] = Field(default_factory=list, description="Slack user ids")
    groups: list[str] = Field(default_factory=list, description="Slack user group ids")


class ActionBase(Model):
    """What every action has, whatever its type; a type adds `type` (a
    Literal of its name) and its own fields."""

    id: Slug
    title: str
    allow: Allow = Field(
        default_factory=Allow,
        description="who may run it, with the site config's (nobody if unset)",
    )
    approval: bool = Field(False, description="a second allowed person must approve")
    approval_ttl: float = Field(900, gt=0, description="seconds an approval request stays valid")
    timeout: float = Field(600, gt=0, le=3600, description="deadline for the whole action")
    targets: list[str] | None = Field(None, description="only for these targets (default: all)")

    type: str


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


def _as_answered(answer: dict[str, Any]) -> dict[str, Any]:
    return answer


@dataclass(frozen=True)
class Plan:
    action_id: str
    title: str
    read: Call | None  # the state shown before confirming
    calls: list[Call]  # what will be called, in order
    sets: str  # the state it will set, in words
    approval: bool
    params: dict[str, Any] = field(default_factory=dict)  # for the audit log
    # The state `read` answered, as the confirmation shows it: the type's
    # own shape (an ECS service's counts, a JMESPath over the answer).
    state_of: Callable[[dict[str, Any]], dict[str, Any]] = _as_answered

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


async def invoke(call: Call, settings: AwsSettings) -> dict[str, Any]:
    try:
        return await aws.call_off_loop(
            call.service, call.operation, call.params, region=call.region, aws=settings
        )
    except (bx.BotoCoreError, bx.ClientError) as exc:
        kind, message = aws.translate(exc)
        raise ActionFailed(f"{call.name}: {message} [{kind}]") from exc


async def read_state(plan: Plan, settings: AwsSettings) -> dict[str, Any] | None:
    """The state shown before confirming, as the action's type shapes it."""
    if plan.read is None:
        return None
    return plan.state_of(await invoke(plan.read, settings))


@dataclass
class Execution:
    """What carrying out a plan may use: where to call, where to say how
    it goes, and the journal of this run (bot.actions.run.Journal)."""

    settings: AwsSettings
    progress: Progress
    # Records what a run learns before it changes anything (the journal).
    note: Callable[[dict[str, Any]], Awaitable[None]]
    # What an interrupted run of this action had noted, if any.
    resumed: dict[str, Any] = field(default_factory=dict)


Fill = Callable[[Any], Any]
"""Fills a compiled template tree with the site config's values, for a page."""


@dataclass(frozen=True)
class ActionType:
    name: str
    model: type[ActionBase]
    plan: Callable[[Any, Scope], Plan]
    """Raises TemplateError when a value cannot be filled in for this target."""
    execute: Callable[[Any, Plan, Execution], Awaitable[str]]
    """Carries the plan out; returns the outcome in words or raises ActionFailed."""
    describe: Callable[[Any, Fill], str]
    """The call in words, for the generated docs (Markdown inline code)."""
    templated: Callable[[Any], Iterator[tuple[Loc, Any]]] = lambda action: iter(())
    """Parameters written as templates (compiled at load), by location."""
    aws_operations: frozenset[str] = frozenset()
    """Every AWS operation (`service.operation`) it may call whatever its
    fields. The `aws` type's calls are its own fields instead."""
