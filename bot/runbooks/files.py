"""Reading a configuration file without trusting what the path names.

A path under runbooks/ (or a site or blackbox config, or a rehearsal) could
be a FIFO, which blocks `open` until a writer comes, a link to /dev/zero,
which never ends, or simply huge. Only regular files under a size cap are
read, and the check is made on the opened descriptor, so that the file
cannot be swapped between the check and the read.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

# The example runbook is 18 KB; a megabyte leaves room for fifty of it.
MAX_FILE_BYTES = 1024 * 1024


class FileRefused(ValueError):
    """The path is not something a configuration file can be."""


def read_text(path: Path, *, cap: int = MAX_FILE_BYTES) -> str:
    """The file's text; FileRefused when it is not a regular file, is over
    `cap` bytes or is not UTF-8; OSError when it cannot be opened."""
    # O_NONBLOCK: opening a FIFO for reading must not wait for a writer.
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise FileRefused(f"not a regular file ({_kind(info.st_mode)}); refusing to read it")
        if info.st_size > cap:
            raise FileRefused(f"larger than {cap // 1024} KiB ({info.st_size} bytes)")
        data = _read_at_most(fd, cap + 1)
    finally:
        os.close(fd)
    if len(data) > cap:  # it grew while we read
        raise FileRefused(f"larger than {cap // 1024} KiB")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise FileRefused("not UTF-8 text") from exc


def _read_at_most(fd: int, limit: int) -> bytes:
    chunks: list[bytes] = []
    left = limit
    while left > 0:
        chunk = os.read(fd, min(left, 64 * 1024))
        if not chunk:
            break
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


def _kind(mode: int) -> str:
    kinds = (
        (stat.S_ISFIFO, "a FIFO"),
        (stat.S_ISCHR, "a character device"),
        (stat.S_ISBLK, "a block device"),
        (stat.S_ISDIR, "a folder"),
        (stat.S_ISSOCK, "a socket"),
    )
    return next((name for test, name in kinds if test(mode)), "not a plain file")
