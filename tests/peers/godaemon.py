"""Starting Debian's Prometheus-family daemons on loopback for a test.

They bind `127.0.0.1:0` and log the port the kernel gave them
(`msg="Listening on" address=127.0.0.1:NNNNN`, from the exporter toolkit
all of them share), so there is no pick-a-free-port race. A missing binary
skips the test locally and fails it in CI, where `.ci/run` installs it.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TypeVar

import httpx
import pytest

T = TypeVar("T")

_LISTENING = re.compile(r'msg="Listening on" address=(127\.0\.0\.1:\d+)')


def binary(name: str, package: str) -> str:
    found = shutil.which(name) or shutil.which(name, path="/usr/bin")
    if found is None:
        message = f"{name} is not installed (apt-get install {package})"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return found


@contextlib.contextmanager
def running(args: list[str], log: Path, *, ready_within: float = 20.0) -> Iterator[str]:
    """The daemon's base URL once `/-/ready` says 200; killed at the end."""
    name = Path(args[0]).name
    with log.open("wb") as out:
        process = subprocess.Popen(args, stdout=out, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + ready_within
        url = f"http://{_wait(process, log, deadline, lambda: _address(log), name)}"
        _wait(process, log, deadline, lambda: _ready(url), name)
        yield url
    finally:
        process.kill()
        process.wait(timeout=10)


def _address(log: Path) -> str | None:
    found = _LISTENING.search(log.read_text(errors="replace"))
    return found.group(1) if found else None


def _ready(url: str) -> str | None:
    with contextlib.suppress(httpx.HTTPError):
        if httpx.get(f"{url}/-/ready", timeout=0.5).status_code == 200:
            return url
    return None


def _wait(
    process: subprocess.Popen[bytes], log: Path, deadline: float, probe: Callable[[], T | None],
    name: str,
) -> T:  # fmt: skip
    while time.monotonic() < deadline:
        if (found := probe()) is not None:
            return found
        # Waiting on the process doubles as the pause between polls, and
        # notices at once if it died (a bad config).
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout=0.05)
            raise RuntimeError(f"{name} exited: {log.read_text(errors='replace')[-2000:]}")
    raise RuntimeError(f"{name} not ready in time: {log.read_text(errors='replace')[-2000:]}")
