"""Waiting on a condition outside the Slack stand-in (a log line, moto's
state, a proxy's counter), polled with a deadline; the stand-in's own
wait_for re-checks only when a Slack call arrives."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")
POLL_S = 0.02


async def until(predicate: Callable[[], T], timeout: float = 10.0) -> T:  # noqa: ASYNC109
    deadline = time.monotonic() + timeout
    while True:
        result = await asyncio.to_thread(predicate)
        if result:
            return result
        if time.monotonic() > deadline:
            raise TimeoutError(f"not met within {timeout} s")
        await asyncio.sleep(POLL_S)
