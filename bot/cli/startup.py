"""What a command does once it has imported what it needs."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


def imports_done() -> None:
    """Move everything alive now (the modules, their classes, constants and
    pydantic validators) out of the garbage collector's sight, so that no
    collection while the command runs walks them again: a cold `triage run`
    otherwise pays a full pass over them (issue 19). They live as long as
    the process anyway."""
    gc.freeze()


def built() -> None:
    """The same for what a long-running command built before it serves (the
    runbooks and their models, the app, clients, TLS contexts): a full
    collection under load would otherwise walk them all (measured: ~48,000
    objects left in sight after `triage serve` started, against ~106,000
    frozen at imports_done)."""
    gc.freeze()


@contextmanager
def collector_paused() -> Iterator[None]:
    """No garbage collection while a short, bounded piece of work runs that
    makes many objects and next to no reference cycles (`triage lint` over a
    shelf: parsed YAML, models); the collector comes back on afterwards, as
    it was, so an in-process caller (the tests) keeps its own."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
