"""The one table of action types, as bot.checks.registry is of check types.

The runbook schema's `actions:` union (bot.runbooks.actions), the plan shown
before confirming, the docs, the templates linted at load and how a run is
carried out are all found here by the action's `type`; there is no second
list and no `isinstance` dispatch.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any, Union

from pydantic import Field

from bot.actions import aws_call, ecs_restart
from bot.actions.types import ActionType
from bot.registry import Registry

ACTION_TYPES: Registry[ActionType] = Registry(
    [
        aws_call.TYPE,
        ecs_restart.TYPE,
    ],
    kind="action type",
)


def action_union(registry: Mapping[str, ActionType] = ACTION_TYPES) -> Any:
    """The `actions:` item type: one variant per registered action type."""
    variants = tuple(t.model for t in registry.values())
    return Annotated[Union[variants], Field(discriminator="type")]  # noqa: UP007
