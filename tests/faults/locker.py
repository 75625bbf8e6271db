"""Another process holding the store's write lock until told to let go:
what `sqlite3 triage.db` with an open transaction, a backup tool or a slow
`triage audit` on a busy file does to the bot."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

_HOLD = """
import sqlite3, sys
db = sqlite3.connect(sys.argv[1], isolation_level=None)
db.execute("BEGIN IMMEDIATE")
print("locked", flush=True)
sys.stdin.readline()
db.execute("COMMIT")
"""


class Locker:
    def __init__(self, process: subprocess.Popen[str]) -> None:
        self._process = process

    def release(self) -> None:
        if self._process.poll() is None:
            assert self._process.stdin is not None
            self._process.stdin.write("go\n")
            self._process.stdin.flush()
            self._process.wait(timeout=10)


@contextmanager
def store_locked(db: Path) -> Iterator[Locker]:
    """The write lock is held from entry until `release()` (or exit)."""
    process = subprocess.Popen(
        [sys.executable, "-c", _HOLD, str(db)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    locker = Locker(process)
    try:
        assert process.stdout is not None
        assert process.stdout.readline().strip() == "locked"
        yield locker
    finally:
        locker.release()
        if process.poll() is None:
            process.kill()
            process.wait(timeout=10)
