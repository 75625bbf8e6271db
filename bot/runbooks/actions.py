"""Escalation actions as a runbook declares them, and who may press what.

They are validated when the runbook loads and run only on an explicit,
confirmed request by an allowed person (never by auto-triage or Run all).
Each action type (its model, plan, docs and execution) is registered in
bot.actions.registry; the `actions:` union is derived from it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pydantic import Field

from bot.actions.aws_call import AwsAction, AwsRead
from bot.actions.ecs_restart import EcsRestartAction
from bot.actions.registry import action_union
from bot.actions.types import ActionBase, Allow
from bot.templating.fields import Model

__all__ = [
    "Action",
    "ActionBase",
    "Allow",
    "AwsAction",
    "AwsRead",
    "Buttons",
    "EcsRestartAction",
]


class Buttons(Model):
    """Who may press the walkthrough's buttons that change an incident. Unset
    means anyone in the channel (the default); an empty list means nobody."""

    run: Allow | None = Field(None, description="Run, Re-run and Run all")
    dry_run: Allow | None = Field(None, description="Dry run on and off")
    resolve: Allow | None = Field(None, description="Resolve")


if TYPE_CHECKING:
    # What code may rely on of any action; the type's own fields via its type.
    Action = ActionBase
else:
    Action = action_union()
