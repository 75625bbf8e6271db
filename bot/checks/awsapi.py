"""Several AWS calls inside one check's deadline, for the checks that start
something and then poll it (`logs`, `command`) or read one API (`cloudwatch`).

Each call goes through `aws.call` (the shared, cached boto3 clients with
botocore's retries and short timeouts) off the event loop, bounded by what is
left of the check's budget; botocore's errors are translated by
`aws.translate`, the one place that knows them.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

import botocore.exceptions as bx

from bot.checks import aws
from bot.checks.budget import LAST_CALL_SHARE, stop_at
from bot.checks.context import RunContext
from bot.checks.result import CheckResult, ErrorKind, one_line

# First wait between polls; it doubles up to the cap. AWS documents Logs
# Insights and Run Command results as eventually ready, not pushed.
FIRST_POLL_S = 0.2
MAX_POLL_S = 2.0


class Failed(Exception):
    """An AWS call failed, or time ran out; `result()` is what the check reports."""

    def __init__(self, kind: ErrorKind, message: str, *, code: str | None = None) -> None:
        super().__init__(message)
        self.kind = kind
        self.message = message
        self.code = code

    def result(self, **kw: Any) -> CheckResult:
        return CheckResult.errored(self.kind, one_line(self.message), **kw)


class Budget:
    """The check's deadline, shared by its calls and its waits."""

    def __init__(self, ctx: RunContext, region: str | None, operations: frozenset[str]) -> None:
        # Leave a little of the budget to say where time ran out, and to
        # cancel what was started.
        self.deadline = stop_at(ctx.timeout, LAST_CALL_SHARE)
        self.timeout = ctx.timeout
        self.region = region
        self.ctx = ctx
        self._poll = FIRST_POLL_S
        # What the type declared (CheckType.aws_operations, which IAM policies
        # are checked against): a call outside it is a bug, refused unmade.
        self.operations = operations

    def left(self) -> float:
        return self.deadline - time.monotonic()

    async def call(self, service: str, operation: str, **params: Any) -> dict[str, Any]:
        return await self._call(service, operation, params, self.left())

    async def cleanup(self, service: str, operation: str, **params: Any) -> str | None:
        """A best-effort call after the deadline (stop what was started):
        None when it worked, else why not."""
        grace = max(self.timeout * 0.1, 0.05)
        try:
            await self._call(service, operation, params, grace)
        except Failed as exc:
            return exc.message
        return None

    async def pause(self) -> bool:
        """Wait before the next poll; False when the deadline leaves no time."""
        wait = min(self._poll, self.left())
        if wait <= 0:
            return False
        await asyncio.sleep(wait)
        self._poll = min(self._poll * 2, MAX_POLL_S)
        return self.left() > 0

    async def _call(
        self, service: str, operation: str, params: dict[str, Any], seconds: float
    ) -> dict[str, Any]:
        if f"{service}.{operation}" not in self.operations:
            raise Failed(
                ErrorKind.INTERNAL, f"{service}.{operation} is not declared by this check type"
            )
        where = f"{service}.{operation}"
        if seconds <= 0:
            raise Failed(
                ErrorKind.TIMEOUT, f"{where}: no time left in the {self.timeout:g} s budget"
            )
        try:
            async with asyncio.timeout(seconds):
                return await aws.call_off_loop(
                    service, operation, params, region=self.region, aws=self.ctx.aws
                )
        except TimeoutError:
            message = f"{where}: no answer within the {self.timeout:g} s budget"
            raise Failed(ErrorKind.TIMEOUT, message) from None
        except (bx.BotoCoreError, bx.ClientError) as exc:
            kind, message = aws.translate(exc)
            code = (
                exc.response.get("Error", {}).get("Code")
                if isinstance(exc, bx.ClientError)
                else None
            )
            raise Failed(kind, f"{where}: {message}", code=code) from exc
