"""What an executor module declares about itself: `CHECK = CheckType(...)`."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from bot.checks.context import RunContext
from bot.checks.params import Params
from bot.checks.result import CheckResult, CheckStatus

Runner = Callable[[Any, RunContext], Awaitable[CheckResult]]
# Problems in parameters as written (placeholders not yet filled in), by key.
Vetter = Callable[[Mapping[str, Any]], dict[str, str]]


def _no_problems(params: Mapping[str, Any]) -> dict[str, str]:
    return {}


@dataclass(frozen=True)
class CheckType:
    name: str
    params: type[Params]
    run: Runner
    description: str
    # A probe that misses its deadline has found the target silent (fail);
    # an API call that does has found nothing out (error).
    on_deadline: CheckStatus = CheckStatus.FAIL
    # Parameters that must be written out, because a rule judges them when
    # the runbook loads (e.g. the `aws` check's call).
    literal: frozenset[str] = frozenset()
    # Safety rules over the parameters as written, placeholders included.
    vet: Vetter = field(default=_no_problems)
