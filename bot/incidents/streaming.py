"""Findings as they arrive: each check's result shown while the others run.

Without this the thread showed nothing until the slowest check ended: a
probe hanging to its 5 s deadline hid an ECS 0/1 known after 20 ms. The
engine tells every finished check (`on_check`); this keeps them per step as
partial StepRecords and has them shown, one show at a time, each showing
all that is known by then (the latest state wins, states in between are
dropped), so a burst of results costs one edit, not one per check. The
presenter's poster also coalesces edits per message (Slack's edit rate).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable

from bot.engine.records import CheckRecord, StepRecord
from bot.engine.results import CheckRun

log = logging.getLogger(__name__)

# A partial record's status: its step's checks are still running.
RUNNING = "running"
# Results this close together go out in one edit: a message may be edited
# about once a second (bot.slack.poster), so every edit spent on one result
# makes the next result wait up to that second.
SETTLE_S = 0.1
# The plain "running" state is shown only if no result came this soon: a
# check that answers at once is shown at once, instead of a second after
# an edit that only said "running".
GRACE_S = 0.3
Show = Callable[[dict[str, StepRecord]], Awaitable[None]]
Running = Callable[[], Awaitable[object]]


class Streaming:
    def __init__(
        self,
        titles: dict[str, str],
        show: Show,
        *,
        running: Running | None = None,
        settle: float = SETTLE_S,
        grace: float = GRACE_S,
    ) -> None:
        self._titles = titles  # step id -> title
        self._show = show
        self._settle = settle
        self._runs: dict[str, list[CheckRun]] = {}
        self._dirty = False
        self._task: asyncio.Task[None] | None = None
        self._closed = False
        self._news = asyncio.Event()  # a result came, or the run ended
        self._first: asyncio.Task[None] | None = None
        if running is not None:
            self._first = asyncio.ensure_future(self._running_after(running, grace))

    def told(self, step_id: str, run: CheckRun) -> None:
        """The engine's on_check: a check of `step_id` finished."""
        if self._closed or step_id not in self._titles:
            return
        self._runs.setdefault(step_id, []).append(run)
        self._news.set()
        self._dirty = True
        if self._task is None or self._task.done():
            self._task = asyncio.ensure_future(self._showing())

    def partial(self) -> dict[str, StepRecord]:
        return {step: self._record(step, runs) for step, runs in self._runs.items()}

    def _record(self, step: str, runs: list[CheckRun]) -> StepRecord:
        checks = [CheckRecord.of(r) for r in runs]
        return StepRecord(id=step, title=self._titles[step], status=RUNNING, checks=checks)

    async def close(self) -> None:
        """No more shows; waits for one under way, so that what is shown
        after (the final findings) is never overwritten by a partial state."""
        self._closed = True
        self._news.set()
        self._dirty = False
        for task in (self._first, self._task):
            if task is not None:
                with contextlib.suppress(Exception):
                    await task

    async def _showing(self) -> None:
        await asyncio.sleep(self._settle)  # a timer: let results close together join
        while self._dirty and not self._closed:
            self._dirty = False
            try:
                await self._show(self.partial())
            except Exception:  # a partial view is a courtesy; the final one follows
                log.warning("could not show findings so far", exc_info=True)

    async def _running_after(self, running: Running, grace: float) -> None:
        """ "Running", unless a result (or the end) came within `grace`."""
        if self._closed:
            return
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._news.wait(), grace)
        if self._runs or self._closed:
            return
        try:
            await running()
        except Exception:  # "running" is a courtesy; the run itself goes on
            log.warning("could not show a run as running", exc_info=True)
