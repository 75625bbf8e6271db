"""Acks first, across threads.

Slack waits for the bot's ack; the event loop sends it. Threads that run
Python beside the loop (the SQLite store's, boto3's on the AWS executor)
take the GIL from it: each time the loop makes a system call while an ack
is on its way (reading the request, writing the answer), a busy thread may
keep it waiting for a switch interval, several times per ack. Measured side
by side (issue 19): 50 `/triage` sent while 50 Run alls' store writes and
AWS calls were under way had a p99 ack of 45-83 ms against 16-23 ms for a
bare app; the loop was found waiting for the GIL.

So the loop marks the gate while requests are being acknowledged
(`enter` and `leave`, bot.incidents.work.Work.acking), and those threads
`hold` before they start their next piece of work: until no ack is pending
nor was within `GRACE_S`, at most `QUIET_MAX_S`. Work that waited that long has the way for
`OVERDUE_S` (`overdue`), so under a load that never lets up work still goes
ahead at a fair share (slower acks beat work never done). A piece already
started is not interrupted; this only keeps new ones from starting in an
ack's way.

A request's first bytes count as well (`touch`, from the HTTP server's
connections via bot.incidents.work.Work.arriving): the gate closes for
`GRACE_S` from then, before the loop has even parsed the request.

One gate per process (`ACKS`): every loop's acks hold back every thread.
`Collector` holds the garbage collector by the same rule (`triage serve`).
"""

from __future__ import annotations

import gc
import threading
import time

# Longest a piece of work waits for acks to finish (the loop's stretches of
# work and the threads' calls alike).
QUIET_MAX_S = 0.25
# How long work, once it waited QUIET_MAX_S, goes ahead regardless.
OVERDUE_S = 0.05
# Work waits this long after the last ack before it goes on: requests come
# in bursts (50 clicks land over ~50 ms), and work that starts between two
# of them holds up the next one's ack.
GRACE_S = 0.01


class AckGate:
    def __init__(
        self, quiet_max: float = QUIET_MAX_S, overdue: float = OVERDUE_S, grace: float = GRACE_S
    ) -> None:
        self.quiet_max = quiet_max
        self.overdue_s = overdue
        self.grace = grace
        self._pending = 0
        self._left_at = -grace  # when the last ack was ready
        self._overdue_until = 0.0
        # Notified when the last pending ack is ready, and when work is
        # overdue. Threads wait on it with a deadline (the end of the grace,
        # of quiet_max), never poll: a thread waking up on a timer takes the
        # GIL from the loop, and on a busy machine may not run for a while
        # once the loop has handed it over, which is the wait this gate is
        # there to end. A thread may keep its own state under it
        # (bot.store.thread does).
        self.changed = threading.Condition()

    def touch(self) -> None:
        """A request's bytes arrived (called on the loop): threads hold
        for `grace` from now, as after an ack, while the loop reads it."""
        with self.changed:
            self._left_at = max(self._left_at, time.monotonic())

    def enter(self) -> None:
        """A request is being acknowledged (called on the loop)."""
        with self.changed:
            self._pending += 1

    def leave(self) -> None:
        """Its ack is ready (called on the loop)."""
        with self.changed:
            self._pending -= 1
            if self._pending == 0:
                self._left_at = time.monotonic()
                self.changed.notify_all()  # to wait out the grace instead

    @property
    def pending(self) -> bool:
        return self._pending > 0

    def open(self) -> bool:
        """Whether work may start now: no ack pending and none for `grace`,
        or work is overdue."""
        now = time.monotonic()
        quiet = self._pending == 0 and now - self._left_at >= self.grace
        return quiet or now < self._overdue_until

    def overdue(self) -> None:
        """Work waited `quiet_max`: it goes ahead for the next `overdue_s`
        (every thread holding, not only the one that waited)."""
        with self.changed:
            self._overdue_until = time.monotonic() + self.overdue_s
            self.changed.notify_all()

    def wait(self, limit: float) -> None:
        """With `changed` held: wait for a change, at most `limit` or until
        the grace after the last ack ends."""
        if self._pending == 0:
            limit = min(limit, self.grace - (time.monotonic() - self._left_at))
        self.changed.wait(max(limit, 0.0))

    def hold(self) -> None:
        """In a worker thread, before a piece of work: wait until the gate is
        open, at most `quiet_max`."""
        deadline = time.monotonic() + self.quiet_max
        with self.changed:
            while not self.open():
                left = deadline - time.monotonic()
                if left <= 0:
                    self.overdue()
                    return
                self.wait(left)


ACKS = AckGate()


class Collector:
    """Python's cyclic garbage collector, held while acks are in flight
    (`hold`, at every request) and let go once they are answered
    (`release`, after the grace): a collection is work like any other, and
    one that starts in a burst stops the loop for all of it. Timed in the
    side-by-side bench (issue 19), a full collection in the middle of 200
    Run all clicks took 8.7 ms, and younger ones 1-2 ms several times a
    burst. Reference counting still frees everything not in a cycle; a
    collection due meanwhile runs at the next allocation after the release.

    Under acks that never let up, it is held at most `quiet_max`, then
    left alone for `overdue`, as work is. Never held if something else
    turned the collector off (bot.cli.startup.collector_paused)."""

    def __init__(self, quiet_max: float = QUIET_MAX_S, overdue: float = OVERDUE_S) -> None:
        self.quiet_max = quiet_max
        self.overdue = overdue
        self._held_since: float | None = None
        self._free_until = 0.0

    @property
    def held(self) -> bool:
        return self._held_since is not None

    def hold(self) -> None:
        now = time.monotonic()
        if self._held_since is None:
            if now >= self._free_until and gc.isenabled():
                gc.disable()
                self._held_since = now
        elif now - self._held_since >= self.quiet_max:
            self.release()
            self._free_until = now + self.overdue

    def release(self) -> None:
        if self._held_since is not None:
            self._held_since = None
            gc.enable()
