"""What an executor module declares about itself: `CHECK = CheckType(...)`."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from bot.checks.context import RunContext
from bot.checks.params import Params
from bot.checks.result import CheckResult, CheckStatus

Runner = Callable[[Any, RunContext], Awaitable[CheckResult]]


@dataclass(frozen=True)
class CheckType:
    name: str
    params: type[Params]
    run: Runner
    description: str
    # A probe that misses its deadline has found the target silent (fail);
    # an API call that does has found nothing out (error).
    on_deadline: CheckStatus = CheckStatus.FAIL
