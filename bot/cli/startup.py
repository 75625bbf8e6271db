"""What a command does once it has imported what it needs."""

from __future__ import annotations

import gc


def imports_done() -> None:
    """Move everything alive now (the modules, their classes, constants and
    pydantic validators) out of the garbage collector's sight, so that no
    collection while the command runs walks them again: a cold `triage run`
    otherwise pays a full pass over them (issue 19). They live as long as
    the process anyway."""
    gc.freeze()
