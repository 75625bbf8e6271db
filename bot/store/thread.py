"""The SQLite store's one thread: calls run one at a time, in order, except
that a call made on an ack's path (the Events API delivery claim) goes
ahead of the rest, and the rest wait for pending acks before they start
(bot.acks: their Python would take the GIL from the loop sending an ack).

Built on a one-worker ThreadPoolExecutor (its thread, its clean shutdown and
its join at interpreter exit): each call submits one "run the next job"
to it, and the next job is picked when the worker gets to it, so a call
made first is run first even if others were submitted before it.
"""

from __future__ import annotations

import collections
import concurrent.futures
import time
from collections.abc import Callable
from typing import Any

from bot.acks import ACKS, AckGate

Done = concurrent.futures.Future[Any]
Job = tuple[Done, Callable[[], Any]]


class StoreThread:
    def __init__(self, gate: AckGate = ACKS) -> None:
        self.gate = gate
        self._pool = concurrent.futures.ThreadPoolExecutor(
            max_workers=1, thread_name_prefix="store"
        )
        # The gate's condition: woken by a new call and by the last pending
        # ack, never by a timer (bot.acks says why).
        self._jobs = gate.changed
        self._first: collections.deque[Job] = collections.deque()
        self._later: collections.deque[Job] = collections.deque()

    def submit(self, call: Callable[[], Any], *, first: bool = False) -> Done:
        done: Done = concurrent.futures.Future()
        with self._jobs:
            (self._first if first else self._later).append((done, call))
            if first:  # a held call waiting for acks lets it by
                self._jobs.notify_all()
        try:
            self._pool.submit(self._run_next)
        except RuntimeError:  # shut down: never run
            with self._jobs:
                (self._first if first else self._later).remove((done, call))
            raise
        return done

    def shutdown(self) -> None:
        """Run what was submitted, then stop."""
        self._pool.shutdown(wait=True)

    def _run_next(self) -> None:
        done, call = self._next()
        if not done.set_running_or_notify_cancel():
            return  # its caller gave up on it before it started
        try:
            done.set_result(call())
        except BaseException as exc:
            done.set_exception(exc)

    def _next(self) -> Job:
        # As many _run_next as jobs were submitted: one is always there.
        held_since: float | None = None
        with self._jobs:
            while True:
                if self._first:
                    return self._first.popleft()
                if self.gate.open():
                    return self._later.popleft()
                now = time.monotonic()
                held_since = now if held_since is None else held_since
                if now - held_since >= self.gate.quiet_max:
                    self.gate.overdue()
                    return self._later.popleft()
                self.gate.wait(self.gate.quiet_max - (now - held_since))
