"""Work after an ack, kept from ever delaying another request's ack.

Work started after an ack (opening an incident, rendering, store writes,
starting checks) shares the event loop that answers Slack, so under a burst
every ack used to wait for everyone's work: 50 Run all clicks start ~300
checks and blocked the loop for ~0.5 s.

So work is a queue of units (`submit`; a burst's units get their tasks once
it is answered), and the CPU inside them runs in short stretches, one at a
time (`turn`), never while a request is being acknowledged (`acking`) nor
while one's bytes are arriving (`arriving`), nor within `grace` of either:
acks go first, then work, one stretch per pass of the loop with its sockets
polled in between, so a request that arrives meanwhile waits for at most
one stretch.
A unit's I/O (the store's thread, Slack, checks' sockets) runs outside its
stretches, so a unit waiting on a check that hangs to its deadline holds up
nothing else.

A unit that fails is logged and told (its `failed`, e.g. an ephemeral
message); what a unit must not lose on a restart it records as work itself
(IncidentService's start_run), as before.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import contextvars
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine, Iterator
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any, TypeVar

from bot.acks import ACKS, GRACE_S, OVERDUE_S, QUIET_MAX_S, Collector

log = logging.getLogger(__name__)

# Units begun and not finished at once: their checks' sockets, the store's
# threads. Beyond this, units wait their turn to begin.
RUNNING_MAX = 256
# Units waiting to begin beyond which submit refuses: a bounded queue.
QUEUED_MAX = 5000

T = TypeVar("T")
Unit = Callable[[], Awaitable[object]]
Failed = Callable[[BaseException], Awaitable[None]]


class Full(Exception):
    """The queue is full: the request is refused rather than queued forever."""


@dataclass(eq=False)
class _Queued:
    name: str
    since: float = field(default_factory=time.monotonic)
    begun: bool = False


_Unstarted = tuple[_Queued, Unit, Failed | None, contextvars.Context]
_current: ContextVar[_Queued | None] = ContextVar("triage_work_unit", default=None)


@dataclass(eq=False)
class Work:
    quiet_max: float = QUIET_MAX_S
    running_max: int = RUNNING_MAX
    queued_max: int = QUEUED_MAX
    grace: float = GRACE_S
    overdue: float = OVERDUE_S
    # The garbage collector, held like work (`triage serve` sets one).
    collector: Collector | None = None
    _overdue_until: float = 0.0
    _acks: int = 0
    _busy: bool = False  # acks pending, or the last one less than `grace` ago
    _settling: asyncio.TimerHandle | None = None
    _quiet_at: float = 0.0  # on the loop's clock: when the grace after the last ack ends
    _waiting: int = 0  # units submitted, not yet in their first stretch
    _quiet: asyncio.Event | None = None
    _stretch: asyncio.Lock | None = None
    _slots: asyncio.Semaphore | None = None
    _tasks: set[asyncio.Task[None]] = field(default_factory=set)
    _unstarted: collections.deque[_Unstarted] = field(default_factory=collections.deque)
    _starter: asyncio.Task[None] | None = None
    _queue: collections.deque[_Queued] = field(default_factory=collections.deque)

    @property
    def ahead(self) -> int:
        """Units queued that have not begun: what a new one would wait behind."""
        return self._waiting

    def waited(self) -> float:
        """How long the oldest unit not begun has waited (0 if none): a burst
        of acks delays work by a fraction of a second; a backlog by more."""
        while self._queue and self._queue[0].begun:
            self._queue.popleft()
        return time.monotonic() - self._queue[0].since if self._queue else 0.0

    # Acks first

    @contextlib.contextmanager
    def acking(self) -> Iterator[None]:
        """A request is being acknowledged: work waits until it is answered
        and `grace` has passed with no other (requests come in bursts), here
        and on the threads that hold for acks (bot.acks)."""
        self._acks += 1
        ACKS.enter()
        self._hold()
        try:
            yield
        finally:
            ACKS.leave()
            self._acks -= 1
            if self._acks == 0:
                self._quiet_after(self.grace)

    def arriving(self) -> None:
        """A request's bytes arrived (bot.slack.http_limits): its ack is on
        the way, so work waits as for an ack from now, before the loop has
        even parsed it. One that never reaches Bolt (a slow body, /healthz)
        holds work for `grace` at most."""
        ACKS.touch()
        self._hold()
        if self._acks == 0:
            self._quiet_after(self.grace)

    def _hold(self) -> None:
        if not self._busy:
            self._busy = True
            self._event().clear()
        if self.collector is not None:
            self.collector.hold()

    def _quiet_after(self, seconds: float) -> None:
        # One timer per burst, moved on when it fires early, rather than
        # cancelled and made anew at every ack: a burst of 200 left the loop
        # a heap of 200 cancelled timers to sift through.
        loop = asyncio.get_running_loop()
        self._quiet_at = loop.time() + seconds
        if self._settling is None:
            self._settling = loop.call_at(self._quiet_at, self._settle)

    def _settle(self) -> None:
        self._settling = None
        if self._acks:
            return  # the last of them to be answered sets the timer again
        loop = asyncio.get_running_loop()
        if loop.time() < self._quiet_at:
            self._settling = loop.call_at(self._quiet_at, self._settle)
            return
        self._busy = False
        self._event().set()
        if self.collector is not None:
            self.collector.release()

    async def quiet(self) -> None:
        """Until no ack is pending (at most `quiet_max`; work that waited
        that long goes ahead for the next `overdue`, as on bot.acks' threads)."""
        if not self._busy or time.monotonic() < self._overdue_until:
            return
        try:
            async with asyncio.timeout(self.quiet_max):
                await self._event().wait()
        except TimeoutError:
            self._overdue_until = time.monotonic() + self.overdue

    @contextlib.asynccontextmanager
    async def turn(self) -> AsyncIterator[None]:
        """One stretch of work's CPU (rendering, starting checks): one at a
        time, after any pending acks; then the loop gets a pass for I/O.
        Never held across I/O, nor taken again inside itself (not reentrant)."""
        if self._stretch is None:
            self._stretch = asyncio.Lock()
        stretch = self._stretch
        await stretch.acquire()
        try:
            await self.quiet()
            unit = _current.get()
            if unit is not None and not unit.begun:
                unit.begun = True
                self._waiting -= 1
            yield
        finally:
            # Given back at the loop's next pass, after it has polled its
            # sockets, not now: units that are ready at once would otherwise
            # take it one after another within this pass (a free Lock is
            # taken without a wait), and the loop would read no request
            # until all their stretches were done. Timed in the side-by-side
            # bench: 50 stretches in a row, 16 ms, 200 clicks unread.
            asyncio.get_running_loop().call_soon(stretch.release)
        await asyncio.sleep(0)  # a pass of the loop before this unit's next stretch

    # Units

    def submit(self, name: str, unit: Unit, *, failed: Failed | None = None) -> int:
        """Queue `unit` (a coroutine function) to run after the pending acks;
        returns how many units were ahead of it. Raises Full when the queue is."""
        if self._waiting >= self.queued_max:
            raise Full(f"{self._waiting} units are queued")
        ahead = self._waiting
        self._waiting += 1
        queued = _Queued(name)
        self._queue.append(queued)
        # Kept as it is (with the request's context: its id on the unit's log
        # lines) until the acks in flight are answered: making its task now
        # and running that task's first steps would be the ack path's own
        # time, ~10 us each in a burst of hundreds.
        self._unstarted.append((queued, unit, failed, contextvars.copy_context()))
        if self._starter is None:
            self._starter = self._track(self._start())
        return ahead

    async def _start(self) -> None:
        """Give each unit submitted during a burst its task, once the burst
        is answered (at most quiet_max; bot.acks)."""
        try:
            await self.quiet()
        finally:
            self._starter = None
        while self._unstarted:
            queued, unit, failed, context = self._unstarted.popleft()
            self._track(self._run(queued, unit, failed), context=context)

    def _track(
        self, coroutine: Coroutine[Any, Any, None], *, context: contextvars.Context | None = None
    ) -> asyncio.Task[None]:
        task = asyncio.get_running_loop().create_task(coroutine, context=context)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    async def _run(self, queued: _Queued, unit: Unit, failed: Failed | None) -> None:
        _current.set(queued)
        if self._slots is None:
            self._slots = asyncio.Semaphore(self.running_max)
        try:
            async with self._slots:
                async with self.turn():  # begun: no longer counted as ahead of anyone
                    pass
                await unit()
        except Exception as exc:
            if failed is None:
                log.exception("queued work %s failed", queued.name)
            else:  # logged and told by `failed`
                try:
                    await failed(exc)
                except Exception:
                    log.exception("could not tell that %s failed", queued.name)
        finally:
            if not queued.begun:
                queued.begun = True
                self._waiting -= 1

    async def drain(self) -> None:
        """Until every unit submitted so far has finished (tests, shutdown)."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    def _event(self) -> asyncio.Event:
        if self._quiet is None:
            self._quiet = asyncio.Event()
            self._quiet.set()
        return self._quiet


async def started(work: Work, coroutine: Coroutine[Any, Any, T]) -> asyncio.Task[T]:
    """Start `coroutine` as a task within one stretch, and give it a few
    passes of the loop there: starting a run's checks is CPU (templates,
    sockets, TLS contexts) and is spread out one run at a time."""
    try:
        async with work.turn():
            task = asyncio.get_running_loop().create_task(coroutine)
            for _ in range(3):
                await asyncio.sleep(0)
    except BaseException:
        coroutine.close()  # cut short before it started (shutdown): never run
        raise
    return task
