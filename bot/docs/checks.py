"""A check described in words, with the values it uses filled in.

Each registered check type describes itself (`CheckType.describe`); a type
without words of its own is described by its parameters.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bot.checks.describing import by_parameters
from bot.checks.registry import REGISTRY

Params = Mapping[str, Any]


def describe(check_type: str, params: Params) -> str:
    found = REGISTRY.get(check_type)
    return found.words(params) if found is not None else by_parameters(params)
