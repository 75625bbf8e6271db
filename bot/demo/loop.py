"""A background event loop for the demo's servers (and the tests' stand-ins).

The simulated stack and the Slack stand-in run here, not on the loop that
drives the Bolt app: that loop waits for the tasks a request started, and must
not find server connection tasks among them.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Coroutine
from typing import Any, TypeVar

T = TypeVar("T")
START_TIMEOUT = 10.0


class LoopThread:
    def __init__(self, name: str) -> None:
        self.loop = asyncio.new_event_loop()
        # Clients hanging up mid-handshake (a check rejecting an expired
        # certificate) is the point of some scenarios, not an error.
        self.loop.set_exception_handler(lambda loop, context: None)
        self._thread = threading.Thread(target=self.loop.run_forever, daemon=True, name=name)
        self._thread.start()

    def run(self, coro: Coroutine[Any, Any, T], timeout: float = START_TIMEOUT) -> T:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    def submit(self, coro: Coroutine[Any, Any, None]) -> None:
        """Start `coro` there without waiting for it."""
        asyncio.run_coroutine_threadsafe(coro, self.loop)

    def stop(self) -> None:
        self.run(_cancel_the_rest())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(timeout=5)
        self.loop.close()


async def _cancel_the_rest() -> None:
    tasks = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
