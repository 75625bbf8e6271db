"""What an action will do, with every value filled in, before anyone
confirms it: the exact API calls and the state they set. The action's type
(bot.actions.registry) makes the plan."""

from __future__ import annotations

from typing import Any

from bot.actions.registry import ACTION_TYPES
from bot.actions.types import ActionBase, Call, Plan

__all__ = ["Call", "Plan", "plan_for"]


def plan_for(action: ActionBase, scope: dict[str, Any]) -> Plan:
    """Raises TemplateError when a value cannot be filled in for this target."""
    return ACTION_TYPES[action.type].plan(action, scope)
