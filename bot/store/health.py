"""Is the store reachable? Asked in the background, answered from memory:
/healthz and /readyz never wait on a locked or hung store (a health check
that hangs would get a healthy task killed by its load balancer)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any, Literal

from bot.store.protocol import Store

log = logging.getLogger(__name__)
State = Literal["ok", "unreachable"]
EVERY_S = 5.0
DEADLINE_S = 2.0


class StoreHealth:
    def __init__(
        self, store: Store, *, every: float = EVERY_S, deadline: float = DEADLINE_S
    ) -> None:
        self.store = store
        self.every = every
        self.deadline = deadline
        # Until the first check, made before the server listens (watching).
        self.state: State = "unreachable"
        self.checked = asyncio.Event()  # set after each check (tests wait on it)
        # In Socket Mode: is the WebSocket to Slack open? (bot.slack.server sets it)
        self.slack: Callable[[], Awaitable[bool]] | None = None
        self.slack_up: bool | None = None

    def report(self) -> dict[str, Any]:
        """/healthz's body: what the last checks found."""
        body: dict[str, Any] = {"ok": True, "store": self.state}
        if self.slack_up is not None:
            body["slack"] = "connected" if self.slack_up else "disconnected"
        return body

    @property
    def ready(self) -> bool:
        """Whether to send this replica work: its store answers and, in
        Socket Mode, its connection to Slack is open."""
        return self.state == "ok" and self.slack_up is not False

    async def check(self) -> State:
        try:
            await asyncio.wait_for(self.store.ping(), self.deadline)
            state: State = "ok"
        except Exception as exc:  # any failure to answer is "unreachable"
            state = "unreachable"
            if self.state == "ok":
                log.warning(
                    "the store is unreachable: %s",
                    str(exc).splitlines()[0] if str(exc) else type(exc).__name__,
                )
        if state == "ok" and self.state != "ok":
            log.warning("the store is reachable again")
        self.state = state
        if self.slack is not None:
            try:
                self.slack_up = await asyncio.wait_for(self.slack(), self.deadline)
            except Exception:
                self.slack_up = False
        self.checked.set()
        return state

    async def watch(self) -> None:
        while True:
            await asyncio.sleep(self.every)  # a period, not a wait for a condition
            await self.check()

    @contextlib.asynccontextmanager
    async def watching(self) -> AsyncIterator[None]:
        """The first check before the server listens (at most `deadline`):
        its first /healthz already says what is known, not a guess."""
        await self.check()
        task = asyncio.create_task(self.watch())
        try:
            yield
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
