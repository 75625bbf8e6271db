"""The one table of action types, as bot.checks.registry is of check types.

The runbook schema's `actions:` union (bot.runbooks.actions), the plan shown
before confirming, the docs, the templates linted at load and how a run is
carried out are all found here by the action's `type`; there is no second
list and no `isinstance` dispatch.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import Annotated, Any, Union

from pydantic import Field

from bot.actions import aws_call, ecs_restart
from bot.actions.types import ActionType


class ActionRegistry(Mapping[str, ActionType]):
    def __init__(self, types: Iterable[ActionType]) -> None:
        self._types: dict[str, ActionType] = {}
        for action_type in types:
            if action_type.name in self._types:
                raise ValueError(f"action type {action_type.name!r} registered twice")
            self._types[action_type.name] = action_type

    def __getitem__(self, name: str) -> ActionType:
        return self._types[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._types)

    def __len__(self) -> int:
        return len(self._types)


ACTION_TYPES = ActionRegistry(
    [
        aws_call.TYPE,
        ecs_restart.TYPE,
    ]
)


def action_union(registry: Mapping[str, ActionType] = ACTION_TYPES) -> Any:
    """The `actions:` item type: one variant per registered action type."""
    variants = tuple(t.model for t in registry.values())
    return Annotated[Union[variants], Field(discriminator="type")]  # noqa: UP007
