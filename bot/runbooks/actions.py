"""Escalation actions: changes to infrastructure a runbook declares.

They are validated when the runbook loads and run only on an explicit,
confirmed request by an allowed person (never by auto-triage or Run all).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field, field_validator

from bot.checks.aws import operation_model
from bot.runbooks.fields import Model, Slug, TemplateText


class Allow(Model):
    users: list[str] = Field(default_factory=list, description="Slack user ids")
    groups: list[str] = Field(default_factory=list, description="Slack user group ids")


class Buttons(Model):
    """Who may press the walkthrough's buttons that change an incident. Unset
    means anyone in the channel (the default); an empty list means nobody."""

    run: Allow | None = Field(None, description="Run, Re-run and Run all")
    dry_run: Allow | None = Field(None, description="Dry run on and off")
    resolve: Allow | None = Field(None, description="Resolve")


class ActionBase(Model):
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


class AwsRead(Model):
    """A read-only call showing the state before the change."""

    call: str
    params: dict[str, Any] = Field(default_factory=dict)
    query: str | None = None

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


class EcsRestartAction(ActionBase):
    """Scale an ECS service to 0, wait until nothing runs, scale it back to
    the desired count it had, and wait until that many run: what breaks a
    restart loop."""

    type: Literal["ecs_restart"]
    cluster: TemplateText = Field(default="{{ vars.cluster }}", validate_default=True)
    service: TemplateText = Field(default="{{ target.service }}", validate_default=True)
    region: TemplateText | None = None
    poll: float = Field(5, gt=0, le=60, description="seconds between state reads while waiting")


Action = Annotated[AwsAction | EcsRestartAction, Field(discriminator="type")]


def _known(call: str) -> str:
    service, _, operation = call.partition(".")
    operation_model(service, operation)
    return call
